"""WHEP watch: a viewer POSTs its SDP offer and gets one camera of a hearing, live."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status

from api.admission import AdmissionDep, client_address
from api.deps import RuntimeDep, SessionDep, SettingsDep
from api.holder import resource_url
from api.sdp_offer import SDP, read_offer, require_sdp
from api.viewer_access import renew_ticket, viewer_access
from api.viewer_source import viewer_source
from court.live.viewer_access import require_camera
from court.live.viewers import Watching
from court.program import PROGRAM

router = APIRouter(prefix="/whep", tags=["whep"])


@router.post("/{hearing_id}/{camera}", status_code=status.HTTP_201_CREATED)
async def watch(
    hearing_id: str,
    camera: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    admission: AdmissionDep,
) -> Response:
    """Only through the courtroom's hearing in session (court/in_session.py); the live guard hangs
    the viewer up within a second of that ceasing to be true. The public is served by whichever
    process takes the request (api/viewer_source.py); anyone else by the courtroom's holder.
    A restart of the hearing's public (the kill switch, a new delay) while the viewer is
    judged and negotiated is a 409: it joins again under the new state."""
    admitted_at = runtime.viewers.public_mark(hearing_id)  # before judging (court/live/viewers)
    access = await viewer_access(
        request, session, runtime, hearing_id, admin_token=settings.admin_token, hls=False
    )
    hearing = access.hearing
    require_sdp(request)
    if camera != PROGRAM:
        await require_camera(session, hearing, camera)
    live, mirrored = await viewer_source(request, session, runtime, access, camera)
    offer = await read_offer(request, settings.max_sdp_bytes)
    address = client_address(request)
    slot = admission.admit_whep(address, hearing_id)
    if access.real_time:
        hub = live
    else:
        state = await runtime.broadcasts.state(session, hearing_id)
        hub = runtime.broadcasts.public_hub(hearing_id, live, camera, state)
    await session.close()  # no connection held through ICE and DTLS negotiation
    try:
        viewer = await runtime.viewers.watch(
            on_ended=slot.release,
            relay=runtime.hubs.relay(hub),
            offer_sdp=offer,
            admitted_at=admitted_at,
            watching=lambda viewer: Watching(
                hearing_id=hearing_id,
                courtroom_id=hearing.courtroom_id,
                camera=camera,
                viewer=viewer,
                kind=access.kind,
                principal=access.principal,
                code_id=access.code_id,
                device_id=access.code_pass.device_id if access.code_pass else None,
                address=address,
                mirrored=mirrored,
            ),
        )
    except ValueError as bad_offer:
        slot.release()
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"bad SDP offer: {bad_offer}"
        ) from bad_offer
    except BaseException:
        slot.release()  # a viewer that never started holds no place
        raise
    response = Response(
        viewer.answer_sdp,
        status_code=status.HTTP_201_CREATED,
        media_type=SDP,
        headers={
            "Location": resource_url(runtime, f"/whep/{hearing_id}/{camera}/{viewer.id}"),
            "ETag": f'"{viewer.id}"',
        },
    )
    renew_ticket(runtime, response, access)
    return response


@router.delete("/{hearing_id}/{camera}/{viewer_id}")
async def leave(hearing_id: str, camera: str, viewer_id: str, runtime: RuntimeDep) -> Response:
    """The unguessable viewer id in the resource URL is what lets its holder hang up."""
    if not await runtime.viewers.leave(hearing_id=hearing_id, camera=camera, viewer_id=viewer_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such viewer")
    return Response(status_code=status.HTTP_200_OK)


@router.patch("/{hearing_id}/{camera}/{viewer_id}")
async def trickle_ice(hearing_id: str, camera: str, viewer_id: str) -> Response:
    """All candidates travel in the offer and answer; trickle ICE is not offered."""
    raise HTTPException(
        status.HTTP_405_METHOD_NOT_ALLOWED,
        "trickle ICE is not supported: send every candidate in the offer",
        headers={"Allow": "DELETE"},
    )


@router.options("/{hearing_id}/{camera}")
async def watch_options(hearing_id: str, camera: str) -> Response:
    return Response(
        status_code=status.HTTP_204_NO_CONTENT,
        headers={"Allow": "POST, OPTIONS", "Accept-Post": SDP},
    )
