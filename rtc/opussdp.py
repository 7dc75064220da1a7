"""SDP helpers: validate a client's offer, and put the Opus ``a=fmtp`` line aiortc never writes.

aiortc copies codec parameters into its SDP from its static codec table, where Opus has
none, so neither its offers nor its answers carry ``a=fmtp`` for Opus. The standard WebRTC
remedy is SDP munging between ``createOffer/createAnswer`` and ``setLocalDescription``:
aiortc parses the munged text back, keeps the parameters, and its ``localDescription``
then contains them. (Chromium only decodes stereo if its OWN offer has ``stereo=1``; the
browser client and bots.BotPeer munge their offers the same way.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiortc import sdp as aiortc_sdp

MAX_SDP_BYTES = 64 * 1024
OPUS_ANSWER_FMTP = {"minptime": "10", "useinbandfec": "1", "stereo": "1", "sprop-stereo": "1"}


@dataclass(frozen=True)
class OfferInfo:
    """What the plane needs to know about a validated offer."""

    audio_mline: int  # index of the (first) audio m-line
    client_sends_audio: bool  # False for a listen-only ("recvonly") client


def check_offer(offer_sdp: object) -> OfferInfo:
    """Parse and vet an offer; MediaError with a clear message for anything unusable."""
    from sfu.mediaerror import MediaError  # interim: the server-only check leaves rtc in the next commit

    if not isinstance(offer_sdp, str) or not offer_sdp.strip():
        raise MediaError("offer SDP must be a non-empty string")
    if len(offer_sdp) > MAX_SDP_BYTES:
        raise MediaError(f"offer SDP larger than {MAX_SDP_BYTES} bytes")
    if not offer_sdp.lstrip().startswith("v=0"):
        raise MediaError("offer SDP must start with v=0")
    try:
        description = aiortc_sdp.SessionDescription.parse(offer_sdp)
    except Exception as exc:  # aiortc's parser raises assorted errors on garbage
        raise MediaError(f"unparseable offer SDP: {exc!r}") from exc
    kinds = [media.kind for media in description.media]
    if "audio" not in kinds:
        raise MediaError("the offer has no audio m-line")
    if kinds != ["audio"]:
        raise MediaError(f"expected exactly one audio m-line, got {kinds}")
    media = description.media[0]
    if not any(c.mimeType.lower() == "audio/opus" and c.clockRate == 48000 for c in media.rtp.codecs):
        raise MediaError("the audio m-line does not offer Opus/48000/2")
    if media.direction == "inactive" or media.port == 0:
        raise MediaError("the audio m-line is inactive")
    if media.ice is None or not media.ice.usernameFragment or not media.ice.password or media.dtls is None:
        raise MediaError("the audio m-line lacks ICE credentials or a DTLS fingerprint")
    if not media.dtls.fingerprints:
        raise MediaError("the audio m-line lacks a DTLS fingerprint")
    return OfferInfo(audio_mline=0, client_sends_audio=media.direction in (None, "sendrecv", "sendonly"))


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
