"""How much audio timeline a listener got, counted from RTP headers alone (nothing is decoded).

A frame is 20 ms of timeline. A received packet delivers its frames; when the next sequence
number arrives with the RTP timestamp further on than one packet, the frames in between were
DTX (the sender had nothing to say and the decoder plays comfort noise): delivered too. Where
sequence numbers are missing, those packets were lost and their time is not delivered.
Duplicates count once; reordered packets count where they belong.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rtc.audioformat import FRAME_SAMPLES

Arrival = tuple[int, int, float]  # (RTP sequence number, RTP timestamp, arrival time in seconds)


@dataclass(frozen=True)
class FrameCount:
    """What one listener received during a window."""

    seconds: float
    packets: int  # distinct packets that arrived in the window
    duplicates: int
    lost: int  # sequence numbers never seen, between packets of the window
    dtx_frames: int  # frames implied by timestamp jumps over contiguous sequence numbers
    frames: int  # packets' frames + dtx_frames

    @property
    def frames_per_second(self) -> float:
        """Delivered timeline per second of the window: 50 means nothing missing."""
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def _signed(delta: int, bits: int) -> int:
    half = 1 << (bits - 1)
    return (delta + half) % (1 << bits) - half


def count_frames(arrivals: Iterable[Arrival], start: float, end: float) -> FrameCount:
    """Frames delivered in [start, end): a packet counts at its arrival, the DTX frames before it spread
    evenly between the previous packet's arrival and its own."""
    first: dict[int, tuple[int, float]] = {}  # unwrapped sequence number -> (unwrapped timestamp, arrival)
    duplicates = 0
    top: tuple[int, int, int, int] | None = None  # highest sequence number so far: unwrapped seq, ts; raw seq, ts
    for seq, ts, at in arrivals:
        ext_seq, ext_ts = (seq, ts) if top is None else \
            (top[0] + _signed(seq - top[2], 16), top[1] + _signed(ts - top[3], 32))
        if ext_seq in first:
            duplicates += start <= at < end
            continue
        first[ext_seq] = (ext_ts, at)
        if top is None or ext_seq > top[0]:
            top = (ext_seq, ext_ts, seq, ts)
    packets = lost = dtx = 0
    previous: tuple[int, int, float] | None = None
    for ext_seq in sorted(first):
        ext_ts, at = first[ext_seq]
        if previous is not None:
            prev_seq, prev_ts, prev_at = previous
            gap = ext_seq - prev_seq - 1
            if gap > 0:
                lost += gap if start <= at < end else 0
            else:
                implied = round((ext_ts - prev_ts) / FRAME_SAMPLES) - 1
                lo, hi = min(prev_at, at), max(prev_at, at)
                for k in range(1, implied + 1):
                    dtx += start <= lo + (hi - lo) * k / (implied + 1) < end
        packets += start <= at < end
        previous = (ext_seq, ext_ts, at)
    return FrameCount(end - start, packets, duplicates, lost, dtx, packets + dtx)
