"""Opus SDP munging: put the Opus ``a=fmtp`` line aiortc never writes, in offers and answers alike.

aiortc copies codec parameters into its SDP from its static codec table, where Opus has
none, so neither its offers nor its answers carry ``a=fmtp`` for Opus. The standard WebRTC
remedy is SDP munging between ``createOffer/createAnswer`` and ``setLocalDescription``:
aiortc parses the munged text back, keeps the parameters, and its ``localDescription``
then contains them. (Chromium only decodes stereo if its OWN offer has ``stereo=1``; the
browser client and bots.BotPeer munge their offers the same way as the server its answers.)
"""

from __future__ import annotations

import re

# What every hubbub peer says about Opus: stereo both ways, in-band FEC, 10 ms packets allowed, and
# "send me DTX": a silent microphone then costs one small packet per 400 ms instead of 50 per second.
STEREO_OPUS_FMTP = {"minptime": "10", "useinbandfec": "1", "usedtx": "1", "stereo": "1", "sprop-stereo": "1"}


def opus_payload_types(sdp: str) -> list[int]:
    """Payload types mapped to opus/48000/2 in an SDP text."""
    return [int(pt) for pt in re.findall(r"^a=rtpmap:(\d+) opus/48000(?:/2)?\s*$", sdp, re.M | re.I)]


def with_opus_fmtp(sdp: str, params: dict[str, str]) -> str:
    """Return ``sdp`` with ``params`` merged into the ``a=fmtp`` line of every Opus payload type."""
    lines = sdp.splitlines()
    pts = set(opus_payload_types(sdp))
    existing = {int(m.group(1)) for line in lines if (m := re.match(r"^a=fmtp:(\d+) ", line))}
    out: list[str] = []
    for line in lines:
        fmtp = re.match(r"^a=fmtp:(\d+) (.*)$", line)
        if fmtp and int(fmtp.group(1)) in pts:
            merged: dict[str, str] = {}
            for item in fmtp.group(2).split(";"):
                if item.strip():
                    key, _, value = item.strip().partition("=")
                    merged[key] = value
            merged.update(params)
            out.append(f"a=fmtp:{fmtp.group(1)} " + ";".join(f"{k}={v}" for k, v in merged.items()))
            continue
        out.append(line)
        rtpmap = re.match(r"^a=rtpmap:(\d+) opus/48000", line, re.I)
        if rtpmap and int(rtpmap.group(1)) in pts and int(rtpmap.group(1)) not in existing:
            out.append(f"a=fmtp:{rtpmap.group(1)} " + ";".join(f"{k}={v}" for k, v in params.items()))
    return "\r\n".join(out) + "\r\n"
