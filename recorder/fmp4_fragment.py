"""One fMP4 fragment (ISO/IEC 14496-12 8.8): each track's samples gathered, then packed as
`moof`+`mdat` in one go.

Every sample's duration, size and sync flag is written out in its `trun` (no defaults from
the `trex`), and data offsets count from the `moof` (`default-base-is-moof`, as CMAF asks),
so a fragment reads the same wherever it is stored.
"""

from __future__ import annotations

import struct

_TFHD_DEFAULT_BASE_IS_MOOF = 0x020000
_TRUN_FLAGS = 0x000701  # data offset, and per sample: duration, size, flags
# ISO/IEC 14496-12 8.8.3.1 sample flags: a sync sample depends on no other; any other does
# and is not a sync sample
_SYNC, _NOT_SYNC = 0x02000000, 0x01010000
_TRAF_FIXED = 8 + 16 + 20 + 20  # traf header, tfhd, tfdt, trun without its sample entries
_MOOF_FIXED = 8 + 16  # moof header, mfhd


class TrackRun:
    """One track's samples in the fragment being gathered; times in the track's timescale,
    which is its stream's clock (`rate`)."""

    __slots__ = ("_rate", "_samples", "track_id")

    def __init__(self, track_id: int, rate: int) -> None:
        self.track_id = track_id
        self._rate = rate
        # (pts, duration, size, flags, data) per sample
        self._samples: list[tuple[int, int, int, int, bytes]] = []

    def __len__(self) -> int:
        return len(self._samples)

    @property
    def first_pts(self) -> int:
        """The first sample's decode time (its tfdt)."""
        return self._samples[0][0]

    def add(self, pts: int, duration: int, data: bytes, sync: bool) -> None:
        flags = _SYNC if sync else _NOT_SYNC
        self._samples.append((pts, max(1, duration), len(data), flags, data))

    def split_at(self, time: int, rate: int) -> TrackRun:
        """Move the samples starting at or after `time` (of another track, clock `rate`) to a
        new run."""
        keep = len(self._samples)
        while keep and self._samples[keep - 1][0] * rate >= time * self._rate:
            keep -= 1
        later = self.following()
        later._samples, self._samples = self._samples[keep:], self._samples[:keep]
        return later

    def following(self) -> TrackRun:
        """An empty run of the same track: the next fragment's."""
        return TrackRun(self.track_id, self._rate)

    @property
    def payload_size(self) -> int:
        return sum(sample[2] for sample in self._samples)

    def traf(self, data_offset: int) -> bytes:
        """The `traf` of these samples, whose bytes start `data_offset` after the moof's start."""
        count = len(self._samples)
        entries: list[int] = []
        for _, duration, size, flags, _ in self._samples:
            entries += (duration, size, flags)
        trun_size = 20 + 12 * count
        return b"".join(
            (
                struct.pack(">I4s", _TRAF_FIXED + 12 * count, b"traf"),
                struct.pack(">I4sII", 16, b"tfhd", _TFHD_DEFAULT_BASE_IS_MOOF, self.track_id),
                struct.pack(">I4sIQ", 20, b"tfdt", 0x01000000, self.first_pts),
                struct.pack(">I4sIIi", trun_size, b"trun", _TRUN_FLAGS, count, data_offset),
                struct.pack(f">{3 * count}I", *entries),
            )
        )

    def payloads(self) -> list[bytes]:
        return [sample[4] for sample in self._samples]


def pack_fragment(sequence: int, runs: list[TrackRun]) -> bytes:
    """`moof` (fragment `sequence`, one `traf` per run with samples) and its `mdat`."""
    runs = [run for run in runs if run]
    moof_size = _MOOF_FIXED + sum(_TRAF_FIXED + 12 * len(run) for run in runs)
    trafs: list[bytes] = []
    payloads: list[bytes] = []
    offset = moof_size + 8  # past the mdat's header
    for run in runs:
        trafs.append(run.traf(offset))
        offset += run.payload_size
        payloads += run.payloads()
    return b"".join(
        (
            struct.pack(">I4s", moof_size, b"moof"),
            struct.pack(">I4sII", 16, b"mfhd", 0, sequence),
            *trafs,
            struct.pack(">I4s", offset - moof_size, b"mdat"),
            *payloads,
        )
    )
