"""Every answer the API gives in the tests is checked against its own OpenAPI description."""
import json

from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder

from twofactor.api.openapi import DESCRIPTION

CONTRACT = OpenAPI.from_dict(DESCRIPTION, config=Config(
    extra_media_type_deserializers={"application/problem+json": json.loads}))


def conforms(response):
    """``response`` (from the Flask test client), after checking it fits the description."""
    sent = response.request  # its body was read by the app: only the method and path are needed
    request = EnvironBuilder(sent.path, method=sent.method).get_request()
    CONTRACT.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
    return response


class ApiClient:
    """A phone app's calls, each answer checked against the description."""

    def __init__(self, client):
        self.client = client

    def post(self, path: str, body, **kwargs):
        return conforms(self.client.post(f"/api/v1{path}", json=body, **kwargs))

    def get(self, path: str, **kwargs):
        return conforms(self.client.get(f"/api/v1{path}", **kwargs))

    def delete(self, path: str, **kwargs):
        return conforms(self.client.delete(f"/api/v1{path}", **kwargs))
