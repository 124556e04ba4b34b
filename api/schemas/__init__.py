"""Request and response bodies of the JSON API (ids are strings, times ISO 8601 UTC), one module
per resource; routes import from the module (`from api.schemas.hearings import HearingOut`)."""
