"""A courtroom's program feed: the one source the public sees, switched at keyframes.

The court chooses a camera (or the evidence source) for the public, or none: the slate (a
recess, an off-record period), when nothing goes out at all. The program is a hub like a
camera's, so viewers, the delay line and the relay read it unchanged. Nothing is decoded: a
switch taps the new source and lets the old one run until the new one's next video keyframe
(asked for at once), then cuts over on that very frame, so viewers never get a frame that
refers to a picture they lack. Frames keep their publication's `source_id`; the relay's
timeline (streaming/relay.py) makes timestamps run on across the cut as across a reconnect,
and a recorder of the program (court/recordings.py) opens a new epoch there.

The program hub is published to only while a source is on air: the slate ends its
publication (consumers hear `SourceEnded`, as when a camera leaves), so a recorder of the
program closes its segment rather than stretch it over the slate, and a hand-over between
recordings does not wait for a keyframe that will not come.
"""

from __future__ import annotations

from streaming.frames import EncodedFrame, SourceEnded
from streaming.hub import Hub, Subscription


class _Tap(Subscription):
    """Forwards one source's frames into the program from its next video keyframe on."""

    def __init__(self, source: Hub, program: ProgramSwitch) -> None:
        super().__init__(source, 1, from_keyframe=True)
        self.source = source
        self._program = program
        self.source_id: str | None = None  # the publication last forwarded

    def offer(self, frame: EncodedFrame) -> None:
        if self._closed:
            return
        if self._skipping:
            if not (frame.kind == "video" and frame.keyframe):
                return
            self._skipping = False
            self._program.take(self)
        self.source_id = frame.source_id
        self._program.output.publish(frame)

    def end_of_source(self, marker: SourceEnded) -> None:
        if not self._closed and not self._skipping:
            self._program.output.announce(marker)

    @property
    def waiting(self) -> bool:
        """Still waiting for its first keyframe: not on air yet."""
        return self._skipping


class ProgramSwitch:
    """The program of one courtroom: `output` carries the chosen source, or nothing."""

    def __init__(self, output: Hub) -> None:
        self.output = output
        self._live: _Tap | None = None
        self._next: _Tap | None = None

    @property
    def on_air(self) -> Hub | None:
        """The source whose frames go out now (None: the slate, or a switch not yet cut)."""
        return self._live.source if self._live is not None else None

    def choose(self, source: Hub | None) -> None:
        """Show `source` from its next keyframe on; None cuts to the slate at once."""
        if self._next is not None:
            self._next.close()
            self._next = None
        if source is None:
            self._close_live()
            return
        if self._live is not None and self._live.source is source:
            return
        tap = _Tap(source, self)
        self._next = tap
        source.add_consumer(tap)
        source.request_keyframe()

    def take(self, tap: _Tap) -> None:
        """The tap's first keyframe arrived: it goes on air, the one before it goes off."""
        if tap is not self._next:
            return
        if self._live is None:
            self.output.attach_publisher(self._ask_keyframe)  # a viewer's PLI reaches the source
        else:
            self._live.close()
        self._live, self._next = tap, None

    def close(self) -> None:
        self.choose(None)

    def _close_live(self) -> None:
        """Off air: the program's publication ends after the last frame it carried."""
        if self._live is not None:
            self._live.close()
            self.output.detach_publisher(self._ask_keyframe, self._live.source_id or "program")
            self._live = None

    def _ask_keyframe(self) -> None:
        tap = self._next or self._live
        if tap is not None:
            tap.source.request_keyframe()
