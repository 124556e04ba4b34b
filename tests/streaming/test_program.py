"""The program feed's switch (streaming/program.py): one source at a time, cut over on the new
source's first video keyframe, nothing at all on the slate, and the viewers' keyframe requests
reach the source that matters."""

from __future__ import annotations

from streaming.frames import EncodedFrame, SourceEnded
from streaming.hub import Hub
from streaming.program import ProgramSwitch


def video(source: str, n: int, *, key: bool = False) -> EncodedFrame:
    return EncodedFrame(
        "video", "h264", f"{source}{n}".encode(), n * 3000, 90_000, key, n / 30, source
    )


def audio(source: str, n: int) -> EncodedFrame:
    return EncodedFrame(
        "audio", "opus", f"{source}a{n}".encode(), n * 960, 48_000, False, n, source
    )


class Watcher:
    def __init__(self, hub: Hub) -> None:
        self.subscription = hub.subscribe(maxsize=1000)

    def taken(self) -> list[bytes]:
        got = []
        while self.subscription._queue:
            item = self.subscription._queue.popleft()
            if isinstance(item, EncodedFrame):
                got.append(item.data)
        return got


NOW = [0.0]  # the hubs' clock: keyframe requests are throttled per hub


def clock() -> float:
    return NOW[0]


class Camera(Hub):
    def __init__(self) -> None:
        super().__init__(clock)
        self.keyframes_asked = 0
        self.attach_publisher(self._asked)

    def _asked(self) -> None:
        self.keyframes_asked += 1


def test_a_switch_cuts_over_on_the_new_source_s_keyframe_and_the_slate_sends_nothing() -> None:
    bench, witness = Camera(), Camera()
    program = ProgramSwitch(Hub(clock))
    public = Watcher(program.output)
    program.choose(bench)
    bench.publish(video("b", 0))  # mid-GOP: the program waits for a keyframe
    bench.publish(video("b", 1, key=True))
    bench.publish(audio("b", 1))
    bench.publish(video("b", 2))
    assert public.taken() == [b"b1", b"ba1", b"b2"]
    assert program.on_air is bench

    program.choose(witness)
    assert witness.keyframes_asked == 1  # asked at once
    witness.publish(video("w", 7))  # not a keyframe: not on air yet
    bench.publish(video("b", 3))  # the bench goes on until the cut
    witness.publish(audio("w", 7))
    witness.publish(video("w", 8, key=True))  # the cut
    bench.publish(video("b", 4))
    witness.publish(video("w", 9))
    assert public.taken() == [b"b3", b"w8", b"w9"]
    assert program.on_air is witness
    assert bench.subscribers == 0  # the old tap is gone

    NOW[0] += 1.0
    program.output.request_keyframe()  # a viewer's PLI reaches the source on air
    assert witness.keyframes_asked == 2

    program.choose(None)  # the slate: at once, nothing more
    witness.publish(video("w", 10, key=True))
    assert public.taken() == [] and program.on_air is None


def test_choosing_again_before_the_cut_forgets_the_first_choice() -> None:
    bench, witness, evidence = Camera(), Camera(), Camera()
    program = ProgramSwitch(Hub(clock))
    public = Watcher(program.output)
    program.choose(bench)
    bench.publish(video("b", 0, key=True))
    program.choose(witness)
    program.choose(evidence)  # witness never sent its keyframe
    witness.publish(video("w", 0, key=True))
    bench.publish(video("b", 1))
    evidence.publish(video("e", 0, key=True))
    assert public.taken() == [b"b0", b"b1", b"e0"]
    assert witness.subscribers == 0 and bench.subscribers == 0
    program.choose(evidence)  # already on air: nothing changes
    evidence.publish(video("e", 1))
    assert public.taken() == [b"e1"]


def test_the_program_is_published_only_while_a_source_is_on_air() -> None:
    """A recorder of the program closes its segment at the slate (it hears the publication
    end after the last frame shown) and a hand-over waits for no keyframe while on the slate;
    a cut from one source to the next ends nothing."""
    bench, witness = Camera(), Camera()
    program = ProgramSwitch(Hub(clock))
    recorder = program.output.subscribe(maxsize=1000)
    assert not program.output.publishing
    program.choose(bench)
    assert not program.output.publishing  # not until the bench's keyframe
    bench.publish(video("b", 0, key=True))
    assert program.output.publishing
    program.choose(witness)
    witness.publish(video("w", 0, key=True))
    assert program.output.publishing
    witness.publish(video("w", 1))
    program.choose(None)
    assert not program.output.publishing
    items = []
    while recorder._queue:
        item = recorder._queue.popleft()
        items.append(item.data if isinstance(item, EncodedFrame) else item)
    assert items == [b"b0", b"w0", b"w1", SourceEnded("w")]
