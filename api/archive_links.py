"""Archived objects as players fetch them: a presigned redirect or the bytes, cached only
while the hearing is public. Shared by the archive (judges) and the live playlists (the public).
"""

from __future__ import annotations

from fastapi import HTTPException, status
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from court.runtime import Runtime
from storage.archive import content_type_of
from storage.catalog import stored_object
from storage.models import Hearing, Recording

HLS = "application/vnd.apple.mpegurl"
# Footage of a hearing that is not public stays out of every cache, shared or the browser's:
# a court terminal or a family's phone must not keep it once the link has been used.
NOT_KEPT = "private, no-store"
# A presigned URL cannot be revoked: it lives only long enough for the player to follow the
# redirect, so a revoked token or a sealed hearing stops its segments within a minute on S3 too.
PRESIGNED_S = 60
PUBLIC_SEGMENT = "private, max-age=31536000, immutable"  # a stored segment never changes


async def stored_object_response(
    session: AsyncSession, runtime: Runtime, *, recording_id: str, camera: str, name: str
) -> Response:
    """The named init or media segment: a redirect to a presigned URL, or the bytes.

    Cacheable only while the recording's hearing is public; otherwise the redirect, the
    presigned answer and the bytes all carry `Cache-Control: private, no-store`.
    """
    found = await stored_object(session, recording_id=recording_id, camera=camera, name=name)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such segment")
    cache_control = PUBLIC_SEGMENT if await is_public(session, recording_id) else NOT_KEPT
    # The version the index recorded: one laid on top by someone with store access is not ours.
    url = await runtime.store.presigned_get_url(
        found.object_key,
        expires_s=PRESIGNED_S,
        cache_control=cache_control,
        version_id=found.version_id,
    )
    if url is not None:
        return RedirectResponse(
            url, status.HTTP_307_TEMPORARY_REDIRECT, headers={"Cache-Control": cache_control}
        )
    return StreamingResponse(
        runtime.store.stream(found.object_key, version_id=found.version_id),
        media_type=content_type_of(name),
        headers={"Content-Length": str(found.size), "Cache-Control": cache_control},
    )


async def is_public(session: AsyncSession, recording_id: str) -> bool:
    """Looked up here rather than passed in, so no caller can forget it (already loaded)."""
    recording = await session.get(Recording, recording_id)
    if recording is None:
        return False
    hearing = await session.get(Hearing, recording.hearing_id)
    return hearing is not None and hearing.visibility == "public"
