"""RTP time to wall-clock time with fixed clocks: wraparound, sender reports, arrival fallback."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streaming.rtp_clock import NTP_UNIX_OFFSET, CourtClock, RtpClock, RtpUnwrapper, ntp_to_unix

VIDEO_RATE = 90_000


def ntp(unix_seconds: float) -> int:
    whole = int(unix_seconds)
    return (whole + NTP_UNIX_OFFSET) << 32 | round((unix_seconds - whole) * (1 << 32))


def test_ntp_round_trip() -> None:
    assert ntp_to_unix(ntp(1_764_000_000.25)) == pytest.approx(1_764_000_000.25, abs=1e-9)


def test_unwrap_crosses_32_bit_wraparound() -> None:
    unwrapper = RtpUnwrapper()
    start = (1 << 32) - 3000
    ticks = [unwrapper.unwrap((start + 3000 * i) % (1 << 32)) for i in range(5)]
    assert ticks == [start + 3000 * i for i in range(5)]


def test_small_backward_step_is_not_a_wrap() -> None:
    unwrapper = RtpUnwrapper()
    unwrapper.unwrap(10_000)
    assert unwrapper.unwrap(9_000) == 9_000  # aiortc's mapper would jump 2**32 ahead


@given(
    start=st.integers(0, (1 << 32) - 1),
    steps=st.lists(st.integers(1, 1 << 20), min_size=1, max_size=50),
)
def test_unwrapped_time_increases_with_every_forward_step(start: int, steps: list[int]) -> None:
    unwrapper = RtpUnwrapper()
    previous = unwrapper.unwrap(start)
    position = start
    for step in steps:
        position += step
        current = unwrapper.unwrap(position % (1 << 32))
        assert current - previous == step
        previous = current


def test_out_of_range_timestamp_is_rejected() -> None:
    with pytest.raises(ValueError, match="out of range"):
        RtpUnwrapper().unwrap(1 << 32)


def test_arrival_time_until_the_first_sender_report() -> None:
    clock = RtpClock(VIDEO_RATE)
    assert clock.on_frame(1000, arrival=500.0) == (0, 500.0)
    assert clock.on_frame(1000 + 45_000, arrival=500.9) == (45_000, pytest.approx(500.5))
    assert not clock.synchronized


def test_sender_report_maps_rtp_to_the_publishers_ntp_time() -> None:
    clock = RtpClock(VIDEO_RATE)
    clock.on_frame(1000, arrival=9.0)
    clock.on_sender_report(rtp_timestamp=91_000, ntp_timestamp=ntp(1_764_000_001.0))
    assert clock.synchronized
    ticks, wallclock = clock.on_frame(1000 + 180_000, arrival=9.5)
    assert ticks == 180_000
    assert wallclock == pytest.approx(1_764_000_002.0)
    # a frame from before the report maps backwards on the same line
    assert clock.on_frame(1000, arrival=9.6)[1] == pytest.approx(1_764_000_000.0)


def test_sender_report_across_wraparound() -> None:
    clock = RtpClock(VIDEO_RATE)
    near_end = (1 << 32) - 90_000
    clock.on_frame(near_end, arrival=0.0)
    clock.on_sender_report(rtp_timestamp=near_end, ntp_timestamp=ntp(1000.0))
    ticks, wallclock = clock.on_frame(90_000, arrival=0.0)  # two seconds later, wrapped
    assert ticks == 180_000
    assert wallclock == pytest.approx(1002.0)


def test_a_camera_clock_within_the_tolerance_keeps_its_capture_times() -> None:
    court = CourtClock()
    assert court.court_time(1_000.000, arrival=1_000.300) == 1_000.000
    assert court.court_time(1_000.033, arrival=1_000.010) == 1_000.033  # ahead, a little
    assert court.court_time(1_001.000, arrival=1_002.900) == 1_001.000  # late, a while
    assert court.offset_s == 0.0


def test_a_camera_clock_minutes_off_is_moved_onto_the_servers_for_all_its_streams() -> None:
    court = CourtClock()
    behind = 180.0
    first = court.court_time(1_000.0 - behind, arrival=1_000.2)  # at once: no jump back
    assert first == pytest.approx(1_000.2)
    # the camera's spacing is kept, and its audio, captured with the video, stays with it
    video = court.court_time(1_000.5 - behind, arrival=1_000.9)
    audio = court.court_time(1_000.5 - behind, arrival=1_000.6)
    assert video == audio == pytest.approx(first + 0.5)
    assert court.offset_s == pytest.approx(behind + 0.2)


def test_a_stalled_server_does_not_move_a_trusted_clock() -> None:
    """Frames held up 3 s by a busy event loop come out in a burst, then on time again."""
    court = CourtClock()
    court.court_time(3_000.0, arrival=3_000.1)
    for frame in range(90):  # 3 s of frames, all delivered in the same 0.1 s
        capture = 3_000.0 + frame / 30
        assert court.court_time(capture, arrival=3_003.1 + frame / 900) == capture
    assert court.court_time(3_003.1, arrival=3_003.2) == 3_003.1
    assert court.offset_s == 0.0


def test_a_camera_clock_stepped_mid_hearing_is_followed_once_the_step_lasts() -> None:
    court = CourtClock()
    assert court.court_time(2_000.0 + 3_600, arrival=2_000.1) == pytest.approx(2_000.1)
    # its clock is set right: for CLOCK_STEP_S the old offset still holds, then it is trusted
    assert court.court_time(2_001.0, arrival=2_001.2) == pytest.approx(2_001.0 - 3_599.9)
    assert court.court_time(2_002.0, arrival=2_002.5) == pytest.approx(2_002.0 - 3_599.9)
    assert court.court_time(2_003.0, arrival=2_003.3) == 2_003.0
    assert court.offset_s == 0.0
    # stepped again, 30 s back, and followed by the least difference seen meanwhile
    for second in range(4):
        court.court_time(1_974.0 + second, arrival=2_004.0 + second + 0.1 * (second % 2))
    assert court.offset_s == pytest.approx(30.0)
