"""Prometheus metrics: what a court's monitoring needs to page someone before footage is lost.

One `CourtMetrics` per process, owned by the runtime, with its own `CollectorRegistry`: never
the library's global one, so several apps in one process (the tests) each count their own.
The gauges and counters are read from the live state when scraped (`LiveState`); the
histograms time the four waits a court notices: a camera's WHIP answer, a closed segment
reaching the index, an upload, a viewer's WHEP answer.

Only admins read them: even without ids, counts of recordings and publishers tell that a
hearing is being recorded. Labels name courtrooms and cameras, never a hearing or a recording;
the histograms carry no labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from storage.archive import ObjectRecord, SegmentRecord

if TYPE_CHECKING:
    from court.live.viewers import ViewerRegistry
    from court.monitoring.alarms import AlarmBoard
    from court.publications import Publications
    from court.recordings import Recordings

EXPOSITION_TYPE = CONTENT_TYPE_PLAIN_0_0_4
ALARM_KINDS = ("no_frames", "spool_filling", "spool_full")
NEGOTIATION = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # buckets (s): ICE, DTLS
STORAGE = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)  # buckets (s)


class Timings:
    """The waits worth an alert, in seconds; observed where each one ends."""

    def __init__(self, registry: CollectorRegistry) -> None:
        def seconds(name: str, what: str, buckets: tuple[float, ...]) -> Histogram:
            return Histogram(f"courtcast_{name}_seconds", what, buckets=buckets, registry=registry)

        self.whip_answer = seconds(
            "whip_answer", "A camera's WHIP offer received to its SDP answer ready.", NEGOTIATION
        )
        self.segment_indexed = seconds(
            "segment_indexed",
            "A segment closed (its last frame's wall clock) to its row in the index.",
            STORAGE,
        )
        self.upload = seconds(
            "upload", "One spooled object's successful write to the object store.", STORAGE
        )
        self.viewer_join = seconds(
            "viewer_join", "A viewer's WHEP offer received to its SDP answer ready.", NEGOTIATION
        )

    def indexed(self, record: ObjectRecord, now: datetime | None = None) -> None:
        """Time a segment from its close to its indexing (init segments are not footage)."""
        if isinstance(record, SegmentRecord):
            closed = record.started_at + timedelta(seconds=record.duration_s)
            waited = ((now or datetime.now(UTC)) - closed).total_seconds()
            self.segment_indexed.observe(max(waited, 0.0))


class LiveState:
    """A collector of what is true at scrape time: recordings, spool, uploads, alarms."""

    def __init__(
        self,
        publications: Publications,
        recordings: Recordings,
        alarms: AlarmBoard,
        viewers: ViewerRegistry,
    ) -> None:
        self._publications = publications
        self._recordings = recordings
        self._alarms = alarms
        self._viewers = viewers

    def collect(self) -> Iterator[Metric]:
        recordings = self._recordings
        used, bound = recordings.spool_usage()
        yield _gauge(
            "courtcast_recordings_active", "Recordings running.", recordings.running_count()
        )
        yield _gauge(
            "courtcast_publishers", "Cameras publishing over WHIP.", self._publications.count()
        )
        yield _gauge(
            "courtcast_upload_backlog_segments",
            "Spooled objects waiting for the store.",
            recordings.uploader.backlog(),
        )
        yield _gauge("courtcast_spool_bytes", "Spooled bytes waiting for the store.", used)
        yield _gauge("courtcast_spool_max_bytes", "The spool's configured bound.", bound)
        yield _gauge(
            "courtcast_spool_writes_behind",
            "Spool writes queued for the disk; past 32 per camera its recording waits.",
            recordings.spool_writes_behind(),
        )
        yield CounterMetricFamily(
            "courtcast_objects_stored", "Objects stored and indexed.", recordings.uploader.uploaded
        )
        yield _gauge("courtcast_viewers", "Live WHEP viewers.", self._viewers.total())
        yield CounterMetricFamily(
            "courtcast_upload_failures",
            "Failed upload attempts (each is retried).",
            recordings.uploader.failures,
        )
        yield from self._alarm_families()
        silent = GaugeMetricFamily(
            "courtcast_camera_silent_seconds",
            "Since a recorded camera's last frame; -1 if it never sent one.",
            labels=["courtroom", "camera"],
        )
        silence: dict[tuple[str, str], float] = {}
        # one recording per courtroom: one sample per camera
        for feed in recordings.recorded_feeds():
            silence[feed.courtroom_id, feed.camera] = (
                feed.silent_s if feed.silent_s is not None else -1.0
            )
        for (courtroom_id, camera), seconds in sorted(silence.items()):
            silent.add_metric([courtroom_id, camera], seconds)
        yield silent

    def _alarm_families(self) -> Iterator[Metric]:
        active_kinds = [alarm.kind for alarm in self._alarms.active()]
        active = GaugeMetricFamily(
            "courtcast_alarms_active", "Alarms active now, by kind.", labels=["kind"]
        )
        raised = CounterMetricFamily(
            "courtcast_alarms_raised", "Alarms raised since the start, by kind.", labels=["kind"]
        )
        for kind in ALARM_KINDS:
            active.add_metric([kind], active_kinds.count(kind))
            raised.add_metric([kind], self._alarms.raised_total.get(kind, 0))
        yield active
        yield raised


class CourtMetrics:
    """One process's registry: the timings from the start, the live state once it exists."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.timings = Timings(self.registry)

    def watch(
        self,
        publications: Publications,
        recordings: Recordings,
        alarms: AlarmBoard,
        viewers: ViewerRegistry,
    ) -> None:
        self.registry.register(LiveState(publications, recordings, alarms, viewers))

    def exposition(self) -> bytes:
        """The Prometheus text format 0.0.4 (`EXPOSITION_TYPE`)."""
        return generate_latest(self.registry)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
