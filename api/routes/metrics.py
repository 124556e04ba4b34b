"""Prometheus metrics: what a court's monitoring needs to page someone before footage is lost.

Admins only: even without ids, counts of recordings and publishers tell that a hearing is being
recorded. Labels name courtrooms and cameras, never a hearing or a recording.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from api.deps import Admin, RuntimeDep
from court.runtime import Runtime

router = APIRouter(tags=["metrics"])
ALARM_KINDS = ("no_frames", "spool_filling", "spool_full")


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(runtime: RuntimeDep, _: Admin) -> str:
    return render_metrics(runtime)


def render_metrics(runtime: Runtime) -> str:
    """Prometheus text exposition format 0.0.4."""
    room = runtime.control_room
    stats = room.stats()
    used, bound = room.spool_usage()
    active = runtime.alarms.active()
    samples: list[tuple[str, str, str, float]] = [
        ("courtcast_recordings_active", "gauge", "", stats["recordings"]),
        ("courtcast_publishers", "gauge", "", stats["publishers"]),
        ("courtcast_upload_backlog_segments", "gauge", "", stats["upload_backlog"]),
        ("courtcast_spool_bytes", "gauge", "", used),
        ("courtcast_spool_max_bytes", "gauge", "", bound),
        ("courtcast_objects_stored_total", "counter", "", room.uploader.uploaded),
        ("courtcast_viewers", "gauge", "", runtime.viewers.total()),
        ("courtcast_upload_failures_total", "counter", "", room.uploader.failures),
    ]
    for kind in ALARM_KINDS:
        label = f'{{kind="{kind}"}}'
        samples.append(
            ("courtcast_alarms_active", "gauge", label, sum(a.kind == kind for a in active))
        )
        samples.append(
            (
                "courtcast_alarms_raised_total",
                "counter",
                label,
                runtime.alarms.raised_total.get(kind, 0),
            )
        )
    silence: dict[tuple[str, str], float] = {}
    for feed in room.recorded_feeds():  # one recording per courtroom: one sample per camera
        silent = feed.silent_s if feed.silent_s is not None else -1.0
        silence[feed.courtroom_id, feed.camera] = silent
    for (courtroom_id, camera), silent in sorted(silence.items()):
        label = f'{{courtroom="{courtroom_id}",camera="{camera}"}}'
        samples.append(("courtcast_camera_silent_seconds", "gauge", label, silent))
    lines: list[str] = []
    typed: set[str] = set()
    for name, kind, labels, value in samples:
        if name not in typed:
            typed.add(name)
            lines.append(f"# TYPE {name} {kind}")
        lines.append(f"{name}{labels} {value:g}")
    return "\n".join(lines) + "\n"
