"""Document the error contract in the OpenAPI document, so clients and the fuzzer can hold us to it.

Every 4xx answer is JSON `{"detail": ...}`: a sentence, or FastAPI's list of
validation errors. FastAPI documents only the list form, for 422 alone; routes
also answer 422 with a sentence (an unknown case_id, a cursor we did not
write), and 401, 403, 404, 409, 413 or 429 with one. This rewrites the 422
schema to accept both forms and gives every operation a "4XX" answer with it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ERROR = "HTTPValidationError"  # FastAPI's name, kept so its existing references stay valid
ERROR_SCHEMA = {
    "title": ERROR,
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "title": "Detail",
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}},
            ],
        }
    },
}
CLIENT_ERROR = {
    "description": "the request was refused: the detail says why",
    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR}"}}},
}


def document_errors(app: FastAPI) -> None:
    """Wrap `app.openapi` so the document it builds (once) states the error contract."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            if "ValidationError" in schemas:
                schemas[ERROR] = ERROR_SCHEMA
                for operations in document.get("paths", {}).values():
                    for operation in operations.values():
                        operation.setdefault("responses", {}).setdefault("4XX", CLIENT_ERROR)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
