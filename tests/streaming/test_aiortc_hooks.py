"""Pins for the streaming/aiortc_hooks package: each fails naming its hook when aiortc, aioice
or pylibsrtp moves what the hook relies on, and every patch applied twice acts as once."""

from __future__ import annotations

import copy
import inspect
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import aioice
import aioice.ice
import aiortc
import aiortc.codecs
import pytest
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.codecs import CODECS
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpDecodingParameters,
    RTCRtpReceiveParameters,
    RTCRtpRtxParameters,
)
from aiortc.rtcrtpreceiver import RemoteStreamTrack, decoder_worker
from aiortc.rtp import (
    RTCP_PSFB_PLI,
    RtcpPsfbPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
    RtpPacket,
)

from streaming import aiortc_hooks as hooks
from streaming.aiortc_hooks import receiver_reports as reports

LOOPBACK = "127.0.0.1"
VP8_KEYFRAME = b"\x10\x02\x00\x9d\x01\x2a" + bytes(20)
ONCE_AND_TWICE = pytest.mark.parametrize("times", [1, 2], ids=["once", "twice"])


def moved(hook: str, what: str) -> str:
    return (
        f"aiortc_hooks.{hook}: {what} (aiortc {aiortc.__version__}, aioice {aioice.__version__})."
        " An upgrade moved or changed a private name this hook relies on: read the new"
        " release's source, rewrite the hook against it (or drop it if a public API now does"
        " the job), then update this pin."
    )


def require(owner: object, name: str, hook: str) -> None:
    owner_name = getattr(owner, "__qualname__", type(owner).__qualname__)
    assert hasattr(owner, name), moved(hook, f"{owner_name} has no {name}")


def require_source(function: Callable[..., Any], text: str, hook: str) -> None:
    """The hook relies on aiortc's code doing `text` (checked where behaviour is impractical)."""
    source = inspect.getsource(function)
    assert text in source, moved(hook, f"{function.__qualname__} no longer does `{text}`")


@pytest.fixture
async def video() -> AsyncIterator[RTCRtpTransceiver]:
    pc = RTCPeerConnection()
    yield pc.addTransceiver("video", direction="sendrecv")
    await pc.close()


@pytest.fixture
def codec_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """aiortc's table as it is now, restored afterwards (a patch changes it process-wide)."""
    for kind in ("audio", "video"):
        monkeypatch.setitem(CODECS, kind, copy.deepcopy(CODECS[kind]))


@ONCE_AND_TWICE
@pytest.mark.usefixtures("codec_table")
def test_extra_h264_profiles_are_offered(times: int) -> None:
    require(aiortc.codecs, "CODECS", "add_h264_profiles")
    before = len(CODECS["video"])
    # 64002a (High 4.2) is a profile install_codecs never adds, so this holds whatever ran
    # earlier in the process; 42e01f is aiortc's own already
    for _ in range(times):
        hooks.add_h264_profiles(["64002a", "42e01f"])
    capabilities = RTCRtpReceiver.getCapabilities("video")
    assert capabilities is not None
    profiles = [c.parameters.get("profile-level-id") for c in capabilities.codecs]
    assert profiles.count("64002a") == 1, moved("add_h264_profiles", "CODECS is not offered")
    assert len(CODECS["video"]) == before + 2  # H.264 and its RTX, once


@ONCE_AND_TWICE
@pytest.mark.usefixtures("codec_table")
def test_opus_parameters_are_offered(times: int) -> None:
    for _ in range(times):
        hooks.set_opus_parameters({"useinbandfec": 1})
    capabilities = RTCRtpSender.getCapabilities("audio")
    assert capabilities is not None
    opus = [c for c in capabilities.codecs if c.mimeType.lower() == "audio/opus"]
    assert [c.parameters.get("useinbandfec") for c in opus] == [1], moved(
        "set_opus_parameters", "CODECS['audio'] no longer holds the Opus entry aiortc offers"
    )


@ONCE_AND_TWICE
async def test_host_candidates_are_gathered_where_chosen(
    times: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    require(aioice.ice, "get_host_addresses", "gather_host_candidates_on")
    require_source(
        aioice.ice.Connection.gather_candidates, "get_host_addresses(", "gather_host_candidates_on"
    )
    aioice_own = hooks.unpatched(aioice.ice.get_host_addresses)
    monkeypatch.setattr(aioice.ice, "get_host_addresses", aioice.ice.get_host_addresses)
    for _ in range(times):
        hooks.gather_host_candidates_on([LOOPBACK], fallback="::1")
    assert hooks.unpatched(aioice.ice.get_host_addresses) is aioice_own, "a patch wraps a patch"
    connection = aioice.Connection(ice_controlling=True)
    try:
        await connection.gather_candidates()
        hosts = {candidate.host for candidate in connection.local_candidates}
    finally:
        await connection.close()
    assert hosts == {LOOPBACK}, moved("gather_host_candidates_on", f"aioice gathered on {hosts}")


def test_host_candidates_fall_back_when_none_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: [])
    hooks.gather_host_candidates_on([], fallback=LOOPBACK)
    assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == [LOOPBACK]


@ONCE_AND_TWICE
async def test_receiver_hands_over_frames_with_rtp_time_and_shows_rtcp(
    times: int, video: RTCRtpTransceiver
) -> None:
    receiver = video.receiver
    for name in (hooks.DECODER_QUEUE, hooks.TIMESTAMP_MAPPER, hooks.RTX_SSRC):
        require(receiver, name, "divert_frames_before_decoder, keep_sender_rtp_timestamps")
    require_source(RTCRtpReceiver.receive, "self.__decoder_queue,", "divert_frames_before_decoder")
    require_source(decoder_worker, "task = input_q.get()", "divert_frames_before_decoder")
    require_source(decoder_worker, "if task is None:", "divert_frames_before_decoder")
    require(receiver, "_handle_rtcp_packet", "watch_rtcp")
    frames: list[tuple[str, int]] = []
    reports: list[object] = []
    for _ in range(times):
        hooks.keep_sender_rtp_timestamps(receiver)
        hooks.divert_frames_before_decoder(
            receiver, lambda codec, timestamp, data: frames.append((codec.name, timestamp))
        )
        hooks.watch_rtcp(receiver, reports.append)
    receiver._track = RemoteStreamTrack(kind="video")  # as setRemoteDescription does
    vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    rtx = RTCRtpCodecParameters(
        mimeType="video/rtx", clockRate=90000, payloadType=97, parameters={"apt": 96}
    )
    encoding = RTCRtpDecodingParameters(ssrc=1234, payloadType=96, rtx=RTCRtpRtxParameters(5678))
    await receiver.receive(RTCRtpReceiveParameters(codecs=[vp8, rtx], encodings=[encoding]))
    try:
        assert dict(hooks.retransmission_ssrcs(receiver)) == {5678: 1234}, moved(
            "retransmission_ssrcs", "receive() no longer fills the RTX map"
        )
        for number, timestamp in enumerate([1_000_000, 1_003_000, 1_006_000]):
            payload = hooks.vp8_payloads(VP8_KEYFRAME, number)[0]
            packet = RtpPacket(
                payload_type=96, marker=1, sequence_number=number, timestamp=timestamp, ssrc=1234
            )
            packet.payload = payload
            await receiver._handle_rtp_packet(packet, arrival_time_ms=33 * number)
        info = RtcpSenderInfo(ntp_timestamp=1, rtp_timestamp=2, packet_count=3, octet_count=4)
        report = RtcpSrPacket(ssrc=1234, sender_info=info)
        await receiver._handle_rtcp_packet(report)
    finally:
        await receiver.stop()
    # the jitter buffer lets a frame out when the next one starts
    assert frames == [("VP8", 1_000_000), ("VP8", 1_003_000)], moved(
        "divert_frames_before_decoder, keep_sender_rtp_timestamps",
        f"frames reached us as {frames}",
    )
    assert reports == [report], moved("watch_rtcp", f"the watcher saw {reports}")


def test_pli_goes_through_the_receiver() -> None:
    require(RTCRtpReceiver, "_send_rtcp_pli", "send_pli")
    parameters = list(inspect.signature(RTCRtpReceiver._send_rtcp_pli).parameters)
    assert parameters == ["self", "media_ssrc"], moved("send_pli", f"it takes {parameters}")


RECEIVE_PATH_HOOKS = "ReceiverState, SrtpInput, take_datagrams (streaming/receive_path.py)"


async def test_receive_path_finds_aiortcs_state(video: RTCRtpTransceiver) -> None:
    """The receive path mirrors `_handle_rtp_packet` on aiortc's own state objects;
    tests/streaming/test_receive_path.py checks the frames, NACK and RTX it yields."""
    receiver = video.receiver
    names = (hooks.CODECS_BY_PT, hooks.REMOTE_STREAMS, hooks.NACK_GENERATOR)
    for name in (*names, hooks.JITTER_BUFFER, hooks.ACTIVE_SSRC):
        require(receiver, name, RECEIVE_PATH_HOOKS)
    for text in (
        "self.__remote_streams[packet.ssrc].add(packet)",
        "packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)",
        "self.__nack_generator.add(packet)",
        "depayload(codec, packet.payload)",
        "self.__jitter_buffer.add(packet)",
        "self.__decoder_queue.put((codec, encoded_frame))",
    ):
        require_source(RTCRtpReceiver._handle_rtp_packet, text, RECEIVE_PATH_HOOKS)
    nack = list(inspect.signature(RTCRtpReceiver._send_rtcp_nack).parameters)
    assert nack == ["self", "media_ssrc", "lost"], moved("send_nack", f"it takes {nack}")
    require_source(RTCRtpReceiver.getSynchronizationSources, "self.__active_ssrc", "ReceiverState")
    transport = receiver.transport
    for name in ("_rx_srtp", "_rtp_header_extensions_map", "_rtp_router"):
        require(transport, name, RECEIVE_PATH_HOOKS)
    require_source(type(transport)._recv_next, "self._rx_srtp.unprotect(data)", "SrtpInput")
    require_source(type(transport)._recv_next, "self.transport._recv()", "take_datagrams")
    require(transport.transport, "_connection", "take_datagrams")
    assert hooks.ReceiverState.of(receiver).frames is None, "not diverted: aiortc decodes"


def test_receiver_reports_find_what_aiortcs_rtcp_task_reads(video: RTCRtpTransceiver) -> None:
    """tests/streaming/test_receiver_reports.py checks the reports a publisher gets."""
    hook = "report_together (streaming/aiortc_hooks/receiver_reports.py)"
    for name in (reports.LAST_SR, reports.LAST_SR_AT, reports.RTCP_SSRC):
        require(video.receiver, name, hook)
    for name in (reports.RTCP_STARTED, reports.RTCP_EXITED):
        require(video.receiver, name, hook)
    require_source(RTCRtpReceiver.receive, "asyncio.ensure_future(self._run_rtcp())", hook)
    require_source(RTCRtpReceiver.stop, "await self.__rtcp_started.wait()", hook)
    require_source(RTCRtpReceiver.stop, "await self.__rtcp_exited.wait()", hook)
    for text in ("dlsr = int(delay * 65536)", "highest_sequence=stream.max_seq"):
        require_source(RTCRtpReceiver._run_rtcp, text, hook)
    require_source(RTCRtpReceiver._send_rtcp, "await self.transport._send_rtp(", hook)


@ONCE_AND_TWICE
async def test_datagrams_are_offered_before_aioices_queue(times: int) -> None:
    require_source(
        aioice.ice.StunProtocol.datagram_received,
        "self.receiver.data_received(data, self.local_candidate.component)",
        "take_datagrams",
    )
    require_source(aioice.ice.Connection.recvfrom, "await self._queue.get()", "take_datagrams")
    pc = RTCPeerConnection()
    transport = pc.addTransceiver("video", direction="recvonly").receiver.transport
    await pc.setLocalDescription(await pc.createOffer())
    connection = transport.transport._connection
    taken: list[bytes] = []
    queued: list[bytes] = []
    connection.data_received = lambda data, component: queued.append(data)
    try:
        for _ in range(times):
            hooks.take_datagrams(transport, lambda data: taken.append(data) or data[0] == 0x80)
        protocol = connection._protocols[0]
        for datagram in (b"\x80rtp", b"\x17dtls"):
            protocol.datagram_received(datagram, (LOOPBACK, 9))
        protocol.datagram_received(b"\x00\x01 not quite stun", (LOOPBACK, 9))
    finally:
        await pc.close()
    assert taken == [b"\x80rtp", b"\x17dtls"], moved("take_datagrams", f"offered {taken}")
    assert queued == [b"\x17dtls", b"\x00\x01 not quite stun"], moved(
        "take_datagrams", f"aioice queued {queued}"
    )


class _NoLoop:
    def __init__(self, path: hooks.RtpSendPath) -> None:
        self.path = path

    async def run(self) -> None:
        return None

    async def retransmit(self, sequence_number: int) -> None:
        return None


@ONCE_AND_TWICE
async def test_sender_runs_our_rtp_loop_and_forwards_keyframe_requests(
    times: int, video: RTCRtpTransceiver
) -> None:
    sender = video.sender
    hook = "replace_rtp_loop, RtpSendPath"
    names = [*hooks.SENDER_RTP_EVENTS, hooks.SENDER_MID]
    names += [hooks.SENDER_EXTENSIONS, hooks.SENDER_RTX_PAYLOAD_TYPE, *hooks.SENDER_REPORT_FIELDS]
    for name in [*names, "_ssrc", "_rtx_ssrc", "_run_rtp", "_retransmit", "transport"]:
        require(sender, name, hook)
    require_source(RTCRtpSender.send, "self._run_rtp(parameters.codecs[0])", hook)
    require_source(RTCRtpSender._handle_rtcp_packet, "await self._retransmit(seq)", hook)
    require_source(RTCRtpSender._run_rtcp, "packet_count=self.__packet_count", hook)
    require_source(RTCDtlsTransport._send_rtp, "self._tx_srtp.protect(data)", hook)
    require_source(RTCDtlsTransport._send_rtp, "if self._state != State.CONNECTED:", hook)
    require_source(aioice.Connection.sendto, "active_pair = self._nominated.get(component)", hook)
    require_source(aioice.ice.StunProtocol.send_data, "self.transport.sendto(data, addr)", hook)
    require(sender, "_send_keyframe", "forward_keyframe_requests")
    loops: list[_NoLoop] = []
    requests: list[str] = []

    def make(path: hooks.RtpSendPath) -> _NoLoop:
        loops.append(_NoLoop(path))
        return loops[-1]

    for _ in range(times):
        hooks.replace_rtp_loop(sender, make)
        hooks.forward_keyframe_requests(sender, lambda: requests.append("pli"))
    codec = RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=102)
    await sender._run_rtp(codec)
    assert len(loops) == 1 and loops[0].path.payload_type == 102, moved(hook, f"{loops}")
    assert sender._retransmit == loops[0].retransmit, moved(hook, "NACKs would not reach us")
    for name in hooks.SENDER_RTP_EVENTS:
        assert getattr(sender, name).is_set(), moved(hook, f"{name} is not the event stop() waits")
    header = loops[0].path.header(1234, 5678)
    assert RtpPacket.parse(bytes(header)).timestamp == 1234, moved(hook, "no RTP header")
    loops[0].path.sent(1234, 5678, 3, 3000)
    reported = [getattr(sender, name) for name in hooks.SENDER_REPORT_FIELDS]
    assert reported == [5678, 1234, 3, 3000], moved(hook, f"sender reports read {reported}")
    pli = RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=sender._ssrc)
    await sender._handle_rtcp_packet(pli)
    assert requests == ["pli"], moved("forward_keyframe_requests", "a PLI did not reach us")


def test_h264_access_units_become_payloads() -> None:
    for name in ("_packetize", "_split_bitstream"):
        require(aiortc.codecs.h264.H264Encoder, name, "h264_payloads")
    sps_pps = b"\x00\x00\x00\x01\x67\x42\x00\x1f\x00\x00\x00\x01\x68\xce"
    payloads = hooks.h264_payloads(sps_pps + b"\x00\x00\x01\x65" + bytes(3000))
    assert payloads[0][0] & 0x1F == 24, moved("h264_payloads", "SPS and PPS are not a STAP-A")
    assert {p[0] & 0x1F for p in payloads[1:]} == {28}, moved("h264_payloads", "no FU-A")
    assert hooks.h264_payloads(b"no start code") == []


def test_vp8_frames_become_payloads() -> None:
    require(aiortc.codecs.vpx.Vp8Encoder, "_packetize", "vp8_payloads")
    payloads = hooks.vp8_payloads(VP8_KEYFRAME, picture_id=300)
    assert payloads == [b"\x90\x80\x81\x2c" + VP8_KEYFRAME], moved("vp8_payloads", f"{payloads}")


def test_a_borrowed_srtp_session_decrypts_through_its_c_function() -> None:
    from pylibsrtp import Policy, Session
    from pylibsrtp._binding import ffi

    key = bytes(range(30))
    receiving = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_INBOUND))
    sending = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
    plain = RtpPacket(payload_type=96, sequence_number=7, ssrc=1234, payload=b"frame").serialize()
    function, srtp = hooks.borrowed.srtp_unprotect_of(receiving)
    unprotect = ffi.cast("int (*)(void *, void *, int *)", function)
    buffer = ffi.from_buffer(bytearray(sending.protect(plain)))
    length = ffi.new("int *", len(buffer))
    status = unprotect(ffi.cast("void *", srtp), buffer, length)
    assert status == 0 and ffi.buffer(buffer, length[0])[:] == plain, moved(
        "borrowed.srtp_unprotect_of", "pylibsrtp's Session._srtp or srtp_unprotect changed"
    )


def test_statistics_counted_in_c_read_as_receiver_reports_read_them() -> None:
    from aiortc.rtcrtpreceiver import StreamStatistics

    reference = StreamStatistics(90000)
    counted = {"packets": 0, "base_seq": 0, "max_seq": 0, "cycles": 0}
    counted |= {"jitter_q4": 0, "last_arrival": 0, "last_timestamp": 0}
    read = hooks.borrowed.StatisticsCountedInC(90000, lambda: SimpleNamespace(**counted))
    for seq in (65534, 65535, 0, 2, 3):
        reference.add(RtpPacket(sequence_number=seq, timestamp=3000 * seq))
        counted |= {"packets": reference.packets_received, "base_seq": reference.base_seq}
        counted |= {"max_seq": reference.max_seq, "cycles": reference.cycles}
        counted |= {"jitter_q4": reference._jitter_q4, "last_arrival": reference._last_arrival}
        counted["last_timestamp"] = reference._last_timestamp or 0
        for name in vars(reference):  # every field aiortc keeps reads the same, on every packet
            assert getattr(read, name, None) == getattr(reference, name), moved(
                "borrowed.StatisticsCountedInC", f"StreamStatistics.{name} is not counted in C"
            )
        # what a receiver report reads: the loss since the last report, the jitter
        assert (read.fraction_lost, read.packets_lost, read.jitter) == (
            reference.fraction_lost,
            reference.packets_lost,
            reference.jitter,
        )
