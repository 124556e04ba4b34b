"""Request and response bodies of the JSON API (ids are strings, times ISO 8601 UTC), one module
per resource; every name is importable from `api.schemas` too."""

from __future__ import annotations

from api.schemas.cases import (
    CaseIn,
    CaseOut,
    CasePatch,
    LegalHoldIn,
    PartyIn,
    PartyOut,
)
from api.schemas.courtrooms import (
    CAMERA_NAME_RULE,
    CameraIn,
    CameraLabel,
    CameraName,
    CamerasIn,
    CourtroomIn,
    CourtroomOut,
    check_camera_names,
)
from api.schemas.hearings import (
    HearingIn,
    HearingOut,
    HearingPage,
    HearingPatch,
    HearingResult,
    HearingStatus,
)
from api.schemas.recordings import (
    GapOut,
    MarkerIn,
    MarkerKind,
    MarkerOut,
    RecordingOut,
    RecordingPage,
    RecordingSummary,
    TrackOut,
)
from api.schemas.tokens import (
    TokenCreated,
    TokenIn,
    TokenOut,
)
from api.schemas.transcript import (
    TranscriptEdit,
    TranscriptLineIn,
    TranscriptLineOut,
    TranscriptRevisionOut,
)

__all__ = [
    "CAMERA_NAME_RULE",
    "CameraIn",
    "CameraLabel",
    "CameraName",
    "CamerasIn",
    "CaseIn",
    "CaseOut",
    "CasePatch",
    "CourtroomIn",
    "CourtroomOut",
    "GapOut",
    "HearingIn",
    "HearingOut",
    "HearingPage",
    "HearingPatch",
    "HearingResult",
    "HearingStatus",
    "LegalHoldIn",
    "MarkerIn",
    "MarkerKind",
    "MarkerOut",
    "PartyIn",
    "PartyOut",
    "RecordingOut",
    "RecordingPage",
    "RecordingSummary",
    "TokenCreated",
    "TokenIn",
    "TokenOut",
    "TrackOut",
    "TranscriptEdit",
    "TranscriptLineIn",
    "TranscriptLineOut",
    "TranscriptRevisionOut",
    "check_camera_names",
]
