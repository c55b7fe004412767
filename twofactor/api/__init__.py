"""The JSON API under /api/v1: the sign-in of the pages, by the same code, for single-page and
phone apps (views), its errors as problem documents (problems), its bodies (payload), who is
calling (caller), cross-origin access (cors) and its OpenAPI description (openapi)."""
