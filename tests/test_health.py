"""``/healthz`` tells a load balancer whether this instance reaches its database."""
from conftest import PRODUCTION_KEY, PRODUCTION_URL

from app import create_app


def test_healthz_is_200_with_a_database_and_sets_no_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_healthz_is_503_when_the_database_does_not_answer(app_config, tmp_path):
    broken = {**app_config, "SQLALCHEMY_DATABASE_URI":
              f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite'}"}
    response = create_app(broken).test_client().get("/healthz")
    assert response.status_code == 503 and response.json == {"status": "database unreachable"}
    assert "Set-Cookie" not in response.headers


def test_healthz_answers_plain_http_in_production(app_config):
    """Load balancers probe over plain HTTP; every other page still redirects to HTTPS."""
    production = create_app({**app_config, "TESTING": False, "SECRET_KEY": PRODUCTION_KEY,
                             "PUBLIC_URL": PRODUCTION_URL})
    client = production.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/login").status_code == 301
