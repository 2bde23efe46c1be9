"""The server's own version, reported by GET /v2 and in the OpenAPI document."""

__version__ = "0.1.0"
