"""court/monitoring/metrics.py: one registry per process, histograms in seconds, no clock read
when the test gives one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from court.monitoring.metrics import CourtMetrics
from storage.archive import InitRecord, SegmentRecord

CLOSED = datetime(2026, 3, 2, 9, 30, 4, tzinfo=UTC)


def segment(started_at: datetime, duration_s: float) -> SegmentRecord:
    return SegmentRecord(
        recording_id="r",
        camera="bench",
        epoch=1,
        sequence=3,
        key="k/seg-3.m4s",
        extension="m4s",
        started_at=started_at,
        duration_s=duration_s,
        size=10,
        sha256="0" * 64,
        frames=60,
        discontinuity=False,
    )


def samples(metrics: CourtMetrics) -> dict[str, float]:
    text = metrics.exposition().decode()
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if not sample.labels or sample.labels == {"le": "+Inf"}
    }


def test_a_segment_is_timed_from_its_last_frame_to_the_index() -> None:
    metrics = CourtMetrics()
    metrics.timings.indexed(
        segment(CLOSED - timedelta(seconds=2), 2.0), now=CLOSED + timedelta(seconds=1.5)
    )
    init = InitRecord("r", "bench", 1, "k/init-1.mp4", 10, "0" * 64, "avc1", 640, 360)
    metrics.timings.indexed(init, now=CLOSED)  # an init segment is no footage: not timed
    seen = samples(metrics)
    assert seen["courtcast_segment_indexed_seconds_count"] == 1
    assert seen["courtcast_segment_indexed_seconds_sum"] == 1.5


def test_a_clock_behind_the_frames_counts_no_negative_wait() -> None:
    metrics = CourtMetrics()
    metrics.timings.indexed(segment(CLOSED, 2.0), now=CLOSED)
    assert samples(metrics)["courtcast_segment_indexed_seconds_sum"] == 0.0


def test_each_process_counts_in_its_own_registry() -> None:
    first, second = CourtMetrics(), CourtMetrics()  # no "Duplicated timeseries" either
    first.timings.whip_answer.observe(0.2)
    first.timings.viewer_join.observe(0.3)
    first.timings.upload.observe(0.05)
    assert samples(first)["courtcast_whip_answer_seconds_count"] == 1
    assert samples(first)["courtcast_viewer_join_seconds_count"] == 1
    assert samples(first)["courtcast_upload_seconds_count"] == 1
    assert samples(second)["courtcast_whip_answer_seconds_count"] == 0
