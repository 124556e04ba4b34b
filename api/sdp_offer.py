"""Reading an SDP offer from a WHIP or WHEP request: media type, size limit, UTF-8, candidates."""

from __future__ import annotations

from fastapi import HTTPException, Request, status

SDP = "application/sdp"
# Each remote candidate is a pair aioice will try to connect: an offer listing
# thousands would have the server probe thousands of addresses for one peer.
MAX_REMOTE_CANDIDATES = 32


def require_sdp(request: Request) -> None:
    """415 unless the request says it carries SDP."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != SDP:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"Content-Type must be {SDP}, not {content_type!r}",
        )


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"SDP offer over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"SDP offer over {limit} bytes")
    return bytes(body)


async def read_offer(request: Request, limit: int) -> str:
    """The offer as text (400 if it is not UTF-8); callers check `require_sdp` first."""
    body = await read_limited_body(request, limit)
    try:
        offer = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "SDP offer is not UTF-8 text") from error
    candidates = sum(line.lstrip().startswith("a=candidate") for line in offer.splitlines())
    if candidates > MAX_REMOTE_CANDIDATES:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"SDP offer lists {candidates} ICE candidates; at most {MAX_REMOTE_CANDIDATES}",
        )
    return offer
