"""Pre-encoded Opus for the capacity benchmark's clients, made once so that no client ever encodes.

A clip is a loop of 20 ms frames, each an Opus payload or None (a DTX frame the sender skips).
Encoded like a browser's microphone: mono, 32 kbit/s, application voip, VBR, through rtc.libopus
(PyAV's own encoder has no DTX switch). With DTX on, libopus turns silence into 1-byte packets,
which WebRTC does not send, and a refresh packet every 21st frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtc.audioformat import FRAME_SAMPLES, SAMPLE_RATE
from rtc.libopus import Encoder, is_dtx

BITRATE = 32000
CLIP_SECONDS = 3.0
TONE_HZ = 440.0  # a whole number of periods in CLIP_SECONDS: the loop has no seam
TONE_LEVEL = 0.25  # of full scale, about -15 dBFS: a loud talker


def encode_mono(samples: np.ndarray, *, dtx: bool, bitrate: int = BITRATE) -> list[bytes]:
    """Every whole 20 ms frame of mono int16 ``samples`` -> one Opus packet (DTX packets included)."""
    encoder = Encoder(bitrate, application="voip", fec=False, dtx=dtx, constrained_vbr=False, channels=1)
    pcm = np.ascontiguousarray(samples, dtype=np.int16)
    return [encoder.encode(pcm[start:start + FRAME_SAMPLES])
            for start in range(0, len(pcm) - FRAME_SAMPLES + 1, FRAME_SAMPLES)]


@dataclass(frozen=True)
class Clip:
    """A loop of frames: a payload to send, or None where the sender stays quiet (DTX)."""

    name: str
    frames: tuple[bytes | None, ...]

    @property
    def packets_per_second(self) -> float:
        """How many packets a client sends with this clip."""
        sent = sum(1 for f in self.frames if f is not None)
        return sent * SAMPLE_RATE / (len(self.frames) * FRAME_SAMPLES)


def tone_clip() -> Clip:
    """A talker: a steady tone, every frame sent."""
    t = np.arange(round(CLIP_SECONDS * SAMPLE_RATE)) / SAMPLE_RATE
    tone = (TONE_LEVEL * 32767 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.int16)
    return Clip("tone", tuple(encode_mono(tone, dtx=False)))


def silence_clip() -> Clip:
    """A quiet client without DTX: coded silence, 50 packets a second."""
    packets = encode_mono(np.zeros(round(CLIP_SECONDS * SAMPLE_RATE), np.int16), dtx=False)
    return Clip("silence", tuple(packets[len(packets) // 2:]))  # past the encoder's start-up frames


def dtx_clip() -> Clip:
    """A quiet client with DTX: one period of libopus's steady state (refresh packet, then skipped frames).

    The loop is one period, from a refresh packet to the next: repeating it keeps libopus's own spacing."""
    packets = encode_mono(np.zeros(round(CLIP_SECONDS * SAMPLE_RATE), np.int16), dtx=True)
    sent = [i for i, p in enumerate(packets) if not is_dtx(p)]
    hangover = next((k for k in range(1, len(sent)) if sent[k] - sent[k - 1] > 1), None)
    if hangover is None or hangover + 1 >= len(sent):
        raise RuntimeError("libopus sent no DTX frames for silence (is DTX supported?)")
    first = sent[hangover]
    period = sent[hangover + 1] - first
    if any(b - a != period for a, b in zip(sent[hangover:], sent[hangover + 1:])):
        raise RuntimeError(f"libopus's DTX refreshes are not evenly spaced: {sent}")
    return Clip("dtx", tuple(None if is_dtx(p) else p for p in packets[first:first + period]))
