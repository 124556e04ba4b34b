"""WHIP ingest (RFC 9725): a camera publishes with one POST of its SDP offer."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status

from api.admission import AdmissionDep, client_address
from api.deps import PrincipalDep, RuntimeDep, SessionDep, SettingsDep
from api.holder import at_holder, resource_url
from api.sdp_offer import SDP, read_offer, require_sdp
from court.live.publishers import require_publisher, require_room_camera, require_unpublisher

router = APIRouter(prefix="/whip", tags=["whip"])


@router.post("/{courtroom_id}/{camera}", status_code=status.HTTP_201_CREATED)
async def publish(
    courtroom_id: str,
    camera: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    admission: AdmissionDep,
) -> Response:
    require_publisher(principal, courtroom_id, camera)
    require_sdp(request)
    await require_room_camera(session, courtroom_id, camera)
    await at_holder(request, runtime, courtroom_id, redirect=True, take=True)
    offer = await read_offer(request, settings.max_sdp_bytes)
    negotiation = admission.admit_whip(client_address(request), courtroom_id)
    await session.close()  # no connection held through ICE and DTLS negotiation
    try:
        publication = await runtime.publications.publish(
            courtroom_id, camera, offer, token_id=principal.token_id
        )
    except ValueError as bad_offer:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"bad SDP offer: {bad_offer}"
        ) from bad_offer
    finally:
        negotiation.release()
    location = resource_url(runtime, f"/whip/{courtroom_id}/{camera}/{publication.id}")
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
    require_unpublisher(principal, courtroom_id, camera)
    if not await runtime.publications.unpublish(courtroom_id, camera, publication_id):
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
