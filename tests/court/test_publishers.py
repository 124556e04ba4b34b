"""Who may publish a camera over WHIP (court/live/publishers.py), in the words the API says."""

from __future__ import annotations

import pytest

from court.errors import Forbidden
from court.live.publishers import require_publisher, require_unpublisher
from court.principals import Principal, Role


def principal(role: Role, *, camera: str | None = None, rooms: tuple[str, ...] = ()) -> Principal:
    return Principal(role, role, token_id="t", courtroom_ids=frozenset(rooms), camera=camera)


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        (principal("judge"), "the judge role may not publish"),
        (principal("camera", camera="dock"), "this camera token is for another camera"),
        (principal("operator", rooms=("r2",)), "this token may not use that courtroom"),
    ],
)
def test_a_token_that_may_not_publish_is_told_why(who: Principal, refusal: str) -> None:
    with pytest.raises(Forbidden, match=refusal):
        require_publisher(who, "r1", "bench")
    with pytest.raises(Forbidden, match="this token may not end that publication"):
        require_unpublisher(who, "r1", "bench")


def test_publishers_pass() -> None:
    for who in (principal("admin"), principal("camera", camera="bench", rooms=("r1",))):
        require_publisher(who, "r1", "bench")
        require_unpublisher(who, "r1", "bench")
