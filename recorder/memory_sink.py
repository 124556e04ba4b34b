"""The byte sink PyAV's muxers write to when the recorder keeps their output in memory."""

from __future__ import annotations


class MemorySink:
    """Write-only, non-seekable byte sink: the muxer must stream, never patch back."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        return len(data)
