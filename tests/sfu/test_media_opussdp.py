"""Offer validation (MediaError, never a crash) and the Opus fmtp munging."""

import pytest
from aiortc import RTCPeerConnection

from sfu import MediaError
from rtc.opussdp import STEREO_OPUS_FMTP, opus_payload_types, with_opus_fmtp
from sfu.offercheck import check_offer

CHROMIUM_AUDIO = """v=0\r
o=- 4611731400430051336 2 IN IP4 127.0.0.1\r
s=-\r
t=0 0\r
a=group:BUNDLE 0\r
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r
c=IN IP4 0.0.0.0\r
a=rtcp:9 IN IP4 0.0.0.0\r
a=ice-ufrag:abcd\r
a=ice-pwd:abcdefghijklmnopqrstuvwx\r
a=fingerprint:sha-256 D4:34:9A:B6:A3:01:CC:C6:56:87:E5:74:57:3B:A5:2B:00:8D:9E:E1:D8:70:8C:64:AD:0D:23:DE:2A:36:37:15\r
a=setup:actpass\r
a=mid:0\r
a=sendrecv\r
a=rtcp-mux\r
a=rtpmap:111 opus/48000/2\r
a=rtcp-fb:111 transport-cc\r
a=fmtp:111 minptime=10;useinbandfec=1\r
a=rtpmap:63 red/48000/2\r
a=fmtp:63 111/111\r
a=rtpmap:9 G722/8000\r
a=rtpmap:0 PCMU/8000\r
a=rtpmap:8 PCMA/8000\r
a=rtpmap:13 CN/8000\r
a=rtpmap:110 telephone-event/48000\r
a=rtpmap:126 telephone-event/8000\r
"""


def test_chromium_offer_is_accepted() -> None:
    info = check_offer(CHROMIUM_AUDIO)
    assert info.audio_mline == 0 and info.client_sends_audio


def test_recvonly_client_is_a_listener_only() -> None:
    assert not check_offer(CHROMIUM_AUDIO.replace("a=sendrecv", "a=recvonly")).client_sends_audio


@pytest.mark.parametrize(
    "offer,message",
    [
        (None, "non-empty string"),
        ("", "non-empty string"),
        (42, "non-empty string"),
        ("hello", "v=0"),
        ("v=0\r\nthis is not sdp\r\n", "no audio"),
        ("v=0\r\n" + "a=x\r\n" * 20000, "larger"),
        (CHROMIUM_AUDIO.replace("m=audio", "m=video"), "no audio"),
        (CHROMIUM_AUDIO + CHROMIUM_AUDIO[CHROMIUM_AUDIO.index("m=audio"):], "exactly one audio"),
        (CHROMIUM_AUDIO.replace("opus/48000/2", "foo/48000/2"), "Opus"),
        (CHROMIUM_AUDIO.replace("a=sendrecv", "a=inactive"), "inactive"),
        (CHROMIUM_AUDIO.replace("a=ice-ufrag:abcd\r\n", ""), "ICE credentials"),
        (CHROMIUM_AUDIO.replace("m=audio 9 UDP", "m=audio nine UDP"), "unparseable"),
    ],
)
def test_bad_offers_raise_media_error(offer: object, message: str) -> None:
    with pytest.raises(MediaError, match=message):
        check_offer(offer)


def test_fmtp_merged_into_an_existing_line() -> None:
    out = with_opus_fmtp(CHROMIUM_AUDIO, STEREO_OPUS_FMTP)
    fmtp = [line for line in out.splitlines() if line.startswith("a=fmtp:111")]
    assert fmtp == ["a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1;stereo=1;sprop-stereo=1"]
    assert "a=fmtp:63 111/111" in out  # other codecs untouched


async def test_fmtp_added_to_aiortc_sdp_which_has_none() -> None:
    pc = RTCPeerConnection()
    pc.addTransceiver("audio")
    offer = await pc.createOffer()
    await pc.close()
    assert "a=fmtp" not in offer.sdp
    assert opus_payload_types(offer.sdp) == [96]
    out = with_opus_fmtp(offer.sdp, {"stereo": "1"})
    lines = out.splitlines()
    assert lines[lines.index("a=rtpmap:96 opus/48000/2") + 1] == "a=fmtp:96 stereo=1"
