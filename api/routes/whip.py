"""WHIP ingest (RFC 9725): a camera publishes with one POST of its SDP offer."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status

from api.admission import AdmissionDep, client_address
from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.sdp_offer import SDP, read_offer, require_sdp
from court.control_room import CameraBusy
from storage.models import Courtroom

router = APIRouter(prefix="/whip", tags=["whip"])


@router.post("/{courtroom_id}/{camera}", status_code=status.HTTP_201_CREATED)
async def publish(
    courtroom_id: str,
    camera: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    admission: AdmissionDep,
) -> Response:
    if principal.role not in ("admin", "operator", "camera"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"the {principal.role} role may not publish")
    if principal.role == "camera" and principal.camera != camera:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this camera token is for another camera")
    if not principal.may_use_courtroom(courtroom_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this token may not use that courtroom")
    require_sdp(request)
    courtroom = await session.get(Courtroom, courtroom_id)
    if courtroom is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "courtroom not found")
    if camera not in {c.name for c in courtroom.cameras}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"courtroom has no camera {camera!r}")
    offer = await read_offer(request, runtime.settings.max_sdp_bytes)
    negotiation = admission.admit_whip(client_address(request), courtroom_id)
    await session.close()  # no connection held through ICE and DTLS negotiation
    try:
        publication = await runtime.control_room.publish(
            courtroom_id, camera, offer, token_id=principal.token_id
        )
    except CameraBusy as busy:
        raise HTTPException(status.HTTP_409_CONFLICT, str(busy)) from busy
    except ValueError as bad_offer:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"bad SDP offer: {bad_offer}"
        ) from bad_offer
    finally:
        negotiation.release()
    location = f"/whip/{courtroom_id}/{camera}/{publication.id}"
    return Response(
        publication.answer_sdp,
        status_code=status.HTTP_201_CREATED,
        media_type=SDP,
        headers={"Location": location, "ETag": f'"{publication.id}"'},
    )


@router.delete("/{courtroom_id}/{camera}/{publication_id}")
async def unpublish(
    courtroom_id: str,
    camera: str,
    publication_id: str,
    runtime: RuntimeDep,
    principal: PrincipalDep,
) -> Response:
    if (
        principal.role not in ("admin", "operator", "camera")
        or (principal.role == "camera" and principal.camera != camera)
        or not principal.may_use_courtroom(courtroom_id)
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this token may not end that publication")
    if not await runtime.control_room.unpublish(courtroom_id, camera, publication_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such publication")
    return Response(status_code=status.HTTP_200_OK)


@router.patch("/{courtroom_id}/{camera}/{publication_id}")
async def trickle_ice(courtroom_id: str, camera: str, publication_id: str) -> Response:
    """All candidates travel in the offer and answer; trickle ICE is not offered."""
    raise HTTPException(
        status.HTTP_405_METHOD_NOT_ALLOWED,
        "trickle ICE is not supported: send every candidate in the offer",
        headers={"Allow": "DELETE"},
    )


@router.options("/{courtroom_id}/{camera}")
async def publish_options(courtroom_id: str, camera: str) -> Response:
    return Response(
        status_code=status.HTTP_204_NO_CONTENT,
        headers={"Allow": "POST, OPTIONS", "Accept-Post": SDP},
    )
