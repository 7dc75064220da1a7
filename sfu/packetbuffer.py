"""One source's playout: its Opus packets in (from the receive path), one decoded 20 ms frame per
room tick out (from the room's worker job), silence costing nothing.

The receive path only appends ``(sequence number, RTP timestamp, payload, arrival)`` to an inbox
(a deque: atomic, no lock); everything else runs in ``pop``, in the room's worker thread, where
libopus decodes without the GIL. Packets are played by RTP timestamp, so reordering inside the
buffer is harmless and a missing frame is known for what it is:

- DTX: the sender stopped because it is silent (the next packet follows with the next sequence
  number but a later timestamp; or the stream was already quiet): silence, no decode, and the
  mixer skips the source.
- loss: libopus's in-band FEC from the next packet when it is already here, else libopus's
  packet-loss concealment, at most ``max_conceal`` frames in a row.

Delay adapts in whole frames: a packet that arrives after its frame was concealed is not thrown
away but played next, so the buffer holds one frame more from then on (one concealed frame is
the only alteration). The added delay is given back for free when a talk spurt starts after
``relax_ticks`` without a late packet, or by skipping a quiet frame once the extra frame went
unused that long; a backlog beyond ``max_delay`` frames is shed in one step. Every altered frame
(concealed, recovered, shed) is counted.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from rtc import libopus
from rtc.audioformat import FRAME_SAMPLES, FRAME_VALUES

QUIET_RMS = 32768 * 10 ** (-55 / 20)  # below about -55 dBov a frame counts as quiet: DTX-like, or droppable
INBOX_MAX = 500  # packets (10 s of 20 ms): a stalled room sheds them in one step, not one by one
_EMPTY = np.empty(0, dtype=np.int16)
PLC_STEP = 120  # libopus conceals in multiples of 2.5 ms


@dataclass(slots=True)
class _Packet:
    seq: int  # extended (never wraps)
    ts: int  # extended RTP timestamp, 48 kHz
    payload: bytes


def _unwrap(value: int, last: int | None, bits: int) -> int:
    """Extend a wrapping counter to the value nearest the last one."""
    if last is None:
        return value
    span = 1 << bits
    delta = (value - last) % span
    if delta >= span // 2:
        delta -= span
    return last + delta


class PacketBuffer:
    """Per-source jitter buffer and Opus decoder (pop: one thread at a time; push: any thread)."""

    def __init__(
        self, *, max_delay: int = 6, max_conceal: int = 5, max_depth: int = 3, relax_ticks: int = 250,
    ) -> None:
        self.inbox: deque[tuple[int, int, bytes, float]] = deque(maxlen=INBOX_MAX)
        self._packets: dict[int, _Packet] = {}  # by extended timestamp, not played yet
        self._decoder = libopus.Decoder()
        self._max_delay = max_delay
        self._max_conceal = max_conceal
        self._max_depth = max_depth
        self._relax_ticks = relax_ticks
        self._seq: int | None = None  # last extended seq / ts seen (unwrapping reference)
        self._ts: int | None = None
        self._next: int | None = None  # timestamp of the next frame to play; None = idle (silent)
        self._last_played_seq: int | None = None
        self._quiet = True  # the last frame played was quiet: a missing one is DTX, not loss
        self._concealing = 0  # consecutive frames concealed
        self._concealed_slot: int | None = None  # timestamp of the last concealed frame
        self._spare_ticks = 0  # ticks in a row with a frame more buffered than needed
        self._calm_ticks = 0  # ticks since the last late packet
        self._carry = _EMPTY  # decoded samples beyond this tick (packets longer than 20 ms)
        self.depth = 0  # frames of delay added after late packets
        self.last_arrival: float | None = None
        # counters (monotonic)
        self.received = 0
        self.played = 0
        self.concealed = 0
        self.recovered = 0
        self.late = 0
        self.shed = 0
        self.silent = 0  # DTX / idle ticks
        self.bad = 0  # undecodable packets

    @property
    def altered(self) -> int:
        """Frames not played as sent: concealed, recovered from FEC, shed."""
        return self.concealed + self.recovered + self.shed

    @property
    def buffered(self) -> int:
        """Packets waiting (inbox and buffer)."""
        return len(self.inbox) + len(self._packets)

    def push(self, seq: int, ts: int, payload: bytes, arrival: float) -> None:
        """From the receive path (any thread): one RTP packet's Opus payload."""
        self.inbox.append((seq, ts, payload, arrival))
        self.last_arrival = arrival
        self.received += 1

    def pop(self) -> np.ndarray | None:
        """This tick's frame (1920 interleaved int16) or None when the source is silent."""
        self._calm_ticks += 1
        self._take_inbox()
        if self._next is None and not self._start():
            self.silent += 1
            return None
        frame = self._frame()
        self._regulate(frame)
        return frame

    # ---- arrivals ---------------------------------------------------------------------------

    def _take_inbox(self) -> None:
        inbox = self.inbox
        while inbox:
            seq16, ts32, payload, _arrival = inbox.popleft()
            seq = _unwrap(seq16, self._seq, 16)
            ts = _unwrap(ts32, self._ts, 32)
            if self._seq is None or seq > self._seq:
                self._seq, self._ts = seq, ts
            if not payload or ts in self._packets:
                continue  # empty or duplicate
            if self._next is not None and ts < self._next:
                self._late(ts, seq, payload)
                continue
            self._packets[ts] = _Packet(seq, ts, payload)

    def _late(self, ts: int, seq: int, payload: bytes) -> None:
        """A packet for a frame already played. If it is one we concealed (or overlaps it) and we may
        grow, play it next (one frame more delay from now on) instead of dropping real audio."""
        self.late += 1
        self._calm_ticks = 0
        if self._concealed_slot is not None and ts >= self._concealed_slot and self.depth < self._max_depth:
            self.depth += 1
            self._packets[ts] = _Packet(seq, ts, payload)
            self._next = ts
            self._concealed_slot = None

    def _start(self) -> bool:
        """Begin a talk spurt at the earliest packet (after ``depth`` frames of silence)."""
        if not self._packets:
            return False
        first = min(self._packets)
        if self.depth and self._calm_ticks >= self._relax_ticks:
            self.depth -= 1  # a new talk spurt: giving a frame of delay back costs nothing now
            self._calm_ticks = 0
        self._next = first - self.depth * FRAME_SAMPLES
        self._concealing = 0
        self._quiet = True  # a spurt starts from silence: its lead-in frames are silence, not loss
        self._carry = _EMPTY
        return True

    # ---- one tick ---------------------------------------------------------------------------

    def _frame(self) -> np.ndarray | None:
        """960 samples: decoded, recovered or concealed audio; None when the source is silent."""
        parts: list[np.ndarray] = []
        have = self._carry.size
        if have:
            parts.append(self._carry)
            self._carry = _EMPTY
        while have < FRAME_VALUES:
            piece = self._next_piece()
            if piece is None:  # silence from here on (DTX or idle)
                if not parts:
                    return None
                parts.append(np.zeros(FRAME_VALUES - have, dtype=np.int16))
                break
            parts.append(piece)
            have += piece.size
        out = parts[0] if len(parts) == 1 else np.concatenate(parts)
        if out.size > FRAME_VALUES:  # packets longer than 20 ms: keep the rest for the next tick
            self._carry = out[FRAME_VALUES:].copy()
            out = out[:FRAME_VALUES]
        return out

    def _next_piece(self) -> np.ndarray | None:
        """Decoded samples for the timestamp `_next` (advancing it), or None for silence."""
        assert self._next is not None
        ts = self._next
        packet = self._packets.pop(ts, None)
        if packet is not None:
            try:
                pcm = self._decoder.decode(packet.payload)
                self.played += 1
            except libopus.OpusError:
                self.bad += 1
                pcm = self._decoder.conceal(FRAME_SAMPLES)
            self._next = ts + pcm.size // 2
            self._last_played_seq = packet.seq
            self._concealing = 0
            self._quiet = _rms(pcm) < QUIET_RMS
            if self._quiet and pcm.size == FRAME_VALUES:
                return None  # a DTX refresh or a silence tail: nothing to mix (nobody hears -55 dBov)
            return pcm
        later = min(self._packets) if self._packets else None
        if later is not None and later - ts < FRAME_SAMPLES:  # a shorter packet came before: realign
            self._next = later
            return self._decoder.conceal(max(PLC_STEP, (later - ts) // PLC_STEP * PLC_STEP))
        contiguous = later is not None and self._packets[later].seq == (self._last_played_seq or -2) + 1
        if contiguous or self._quiet:  # the sender was in DTX until `later`; or quiet and nothing came
            self._skip_silence(later)  # (a loss in silence sounds like silence)
            return None
        if self._concealing >= self._max_conceal:
            self._next = None  # the source went away: idle until its next packet
            return None
        self._concealing += 1
        self._concealed_slot = ts
        self._next = ts + FRAME_SAMPLES
        following = self._packets.get(ts + FRAME_SAMPLES)
        if following is not None:
            self.recovered += 1
            return self._decoder.recover(following.payload)
        self.concealed += 1
        return self._decoder.conceal(FRAME_SAMPLES)

    def _skip_silence(self, later: int | None) -> None:
        """A silent frame; with nothing buffered the source goes idle (restarts at its next packet)."""
        self.silent += 1
        assert self._next is not None
        if later is None:
            self._next = None
        else:
            self._next = min(self._next + FRAME_SAMPLES, later)
        return None

    # ---- delay control ----------------------------------------------------------------------

    def _regulate(self, frame: np.ndarray | None) -> None:
        """Shed a backlog in one step; give back a frame of added delay in a quiet moment."""
        if self._next is None or not self._packets:
            self._spare_ticks = 0
            return
        newest = max(self._packets)
        backlog = (newest - self._next) // FRAME_SAMPLES
        if backlog > self._max_delay + self.depth:
            keep_from = newest - self.depth * FRAME_SAMPLES
            dropped = [ts for ts in self._packets if ts < keep_from]
            for ts in dropped:
                del self._packets[ts]
            self.shed += len(dropped)
            self._next = keep_from
            self._carry = _EMPTY
            self._spare_ticks = 0
            return
        if self.depth and backlog >= self.depth:
            self._spare_ticks += 1
            quiet = frame is None or _rms(frame) < QUIET_RMS
            if self._spare_ticks >= self._relax_ticks and quiet and self._next in self._packets:
                del self._packets[self._next]  # skip one quiet frame: a frame less of delay
                self._next += FRAME_SAMPLES
                self.depth -= 1
                self.shed += 1
                self._spare_ticks = 0
        else:
            self._spare_ticks = 0


def _rms(pcm: np.ndarray) -> float:
    if pcm.size == 0:
        return 0.0
    return float(np.sqrt(np.dot(pcm.astype(np.float32), pcm.astype(np.float32)) / pcm.size))
