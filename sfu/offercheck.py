"""Vetting a client's offer before the plane touches anything: one audio m-line offering Opus/48000.

The server-only half of the SDP handling (the Opus munging both peers use is rtc/opussdp.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiortc import sdp as aiortc_sdp

from .mediaerror import MediaError

MAX_SDP_BYTES = 64 * 1024


@dataclass(frozen=True)
class OfferInfo:
    """What the plane needs to know about a validated offer."""

    audio_mline: int  # index of the (first) audio m-line
    client_sends_audio: bool  # False for a listen-only ("recvonly") client


def check_offer(offer_sdp: object) -> OfferInfo:
    """Parse and vet an offer; MediaError with a clear message for anything unusable."""
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
