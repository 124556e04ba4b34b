"""SDP checks and edits around aiortc's own parser, for WHIP and WHEP.

A publisher's offer is untrusted text: it is checked here first so a bad one
gets a precise message instead of an exception from deep inside aiortc.
"""

from __future__ import annotations

import re

MEDIA_KINDS = ("audio", "video")
# Chromium honours these in the answer and starts at full quality instead of 640x360.
BITRATE_HINTS = "x-google-start-bitrate=2500;x-google-min-bitrate=1000;x-google-max-bitrate=6000"
_LINE = re.compile(r"^[a-z]=.*$")
_RTPMAP = re.compile(r"^a=rtpmap:(\d+) ([A-Za-z0-9-]+)/")
_FMTP = re.compile(r"^a=fmtp:(\d+) ")
HINTED_CODECS = {"h264", "vp8", "vp9"}


def validate_offer(text: str) -> str:
    """The offer with normalised line endings; ValueError names what is wrong."""
    lines = [line.rstrip("\r") for line in text.strip().split("\n")]
    if not lines or lines == [""]:
        raise ValueError("the SDP offer is empty")
    if lines[0] != "v=0":
        raise ValueError("an SDP offer must start with 'v=0'")
    for number, line in enumerate(lines, start=1):
        if not _LINE.match(line):
            raise ValueError(f"SDP line {number} is not '<letter>=<value>': {line[:60]!r}")
    kinds = [line[2:].split(" ", 1)[0] for line in lines if line.startswith("m=")]
    if not any(kind in MEDIA_KINDS for kind in kinds):
        raise ValueError("the SDP offer has no audio or video section")
    if not any(line.startswith("a=fingerprint:") for line in lines):
        raise ValueError("the SDP offer has no DTLS fingerprint")
    if not any(line.startswith("a=ice-ufrag:") for line in lines):
        raise ValueError("the SDP offer has no ICE credentials")
    return "\r\n".join(lines) + "\r\n"


def offered_kinds(sdp: str) -> set[str]:
    """Media kinds with a section in an offer (a port-0 section is still offered)."""
    return {
        kind
        for line in sdp.splitlines()
        if line.startswith("m=") and (kind := line[2:].split(" ", 1)[0]) in MEDIA_KINDS
    }


def without_mdns_candidates(sdp: str) -> str:
    """Drop `.local` host candidates: resolving them costs aioice about a second."""
    return "".join(
        line
        for line in sdp.splitlines(keepends=True)
        if not (line.startswith("a=candidate:") and ".local " in line)
    )


def with_bitrate_hints(answer: str) -> str:
    """Add Chromium's start/min bitrate hints to every video codec of an answer."""
    out: list[str] = []
    section = ""
    hinted: set[str] = set()
    pending: dict[str, int] = {}  # payload type -> index of its rtpmap line, until an fmtp shows up
    for line in answer.splitlines():
        if line.startswith("m="):
            _insert_missing_fmtp(pending, out)
            pending = {}
            section = line[2:].split(" ", 1)[0]
        elif section == "video" and (rtpmap := _RTPMAP.match(line)):
            if rtpmap.group(2).lower() in HINTED_CODECS:
                hinted.add(rtpmap.group(1))
                pending[rtpmap.group(1)] = len(out)
        elif section == "video" and (fmtp := _FMTP.match(line)) and fmtp.group(1) in hinted:
            pending.pop(fmtp.group(1), None)
            line = f"{line};{BITRATE_HINTS}"
        out.append(line)
    _insert_missing_fmtp(pending, out)
    return "\r\n".join(out) + "\r\n"


def _insert_missing_fmtp(pending: dict[str, int], out: list[str]) -> None:
    """Codecs without an fmtp line (VP8) get one right after their rtpmap."""
    for payload_type, index in sorted(pending.items(), key=lambda item: -item[1]):
        out.insert(index + 1, f"a=fmtp:{payload_type} {BITRATE_HINTS}")
