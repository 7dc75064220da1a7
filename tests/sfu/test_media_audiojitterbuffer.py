"""The no-prefetch audio buffer: in-order packets pass at once; duplicates and late ones do not."""

from aiortc import RTCPeerConnection
from aiortc.rtp import RtpPacket

from rtc.audiojitterbuffer import RESYNC_AFTER, AudioJitterBuffer, install


def pkt(seq: int, ts: int) -> RtpPacket:
    p = RtpPacket(payload_type=96, sequence_number=seq, timestamp=ts)
    p._data = bytes([seq % 256])  # type: ignore[attr-defined]
    return p


def test_every_packet_is_released_immediately_across_wraparound() -> None:
    buf = AudioJitterBuffer()
    for i, seq in enumerate([65534, 65535, 0, 1]):
        _, frame = buf.add(pkt(seq, 960 * i))
        assert frame is not None and frame.timestamp == 960 * i  # no prefetch: zero added delay


def test_duplicates_and_late_packets_are_dropped_gaps_pass() -> None:
    buf = AudioJitterBuffer()
    assert buf.add(pkt(10, 0))[1] is not None
    assert buf.add(pkt(10, 0))[1] is None  # duplicate
    assert buf.add(pkt(13, 2880))[1] is not None  # 11 and 12 lost: no stall
    assert buf.add(pkt(12, 1920))[1] is None  # arrived too late
    assert buf.late == 2 and buf.passed == 2


def test_resyncs_when_the_sender_restarts_its_sequence() -> None:
    buf = AudioJitterBuffer()
    buf.add(pkt(40000, 0))
    released = [buf.add(pkt(39000 + i, i))[1] for i in range(RESYNC_AFTER + 3)]
    assert all(r is None for r in released[: RESYNC_AFTER - 1])
    assert all(r is not None for r in released[RESYNC_AFTER:])


async def test_install_replaces_aiortcs_prefetching_buffer() -> None:
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver("audio")
    buf = install(transceiver.receiver)
    assert isinstance(buf, AudioJitterBuffer)
    assert transceiver.receiver._RTCRtpReceiver__jitter_buffer is buf  # type: ignore[attr-defined]
    await pc.close()
