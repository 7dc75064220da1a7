"""Pre-encoded Opus for the capacity benchmark's clients, made once so that no client ever encodes.

A clip is a loop of 20 ms frames, each an Opus payload or None (a DTX frame the sender skips).
Encoded like a browser's microphone: mono, 32 kbit/s, application voip, through the libopus that
PyAV's wheel bundles (ctypes: PyAV's own encoder has no DTX switch). With DTX on, libopus turns
silence into 1-byte packets, which WebRTC does not send, and a refresh packet every 21st frame.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rtc.audioformat import FRAME_SAMPLES, SAMPLE_RATE

BITRATE = 32000
_VOIP = 2048
_SET_BITRATE, _SET_DTX = 4002, 4016
MAX_DTX_BYTES = 2  # what WebRTC leaves unsent: "nothing to say" frames
CLIP_SECONDS = 3.0
TONE_HZ = 440.0  # a whole number of periods in CLIP_SECONDS: the loop has no seam
TONE_LEVEL = 0.25  # of full scale, about -15 dBFS: a loud talker


def _libopus() -> ctypes.CDLL:
    import av

    wheel_libs = sorted((Path(av.__file__).parent.parent / "av.libs").glob("libopus*.so*"))
    name = str(wheel_libs[0]) if wheel_libs else ctypes.util.find_library("opus")
    if name is None:
        raise OSError("libopus not found (neither in PyAV's wheel nor on the system)")
    lib = ctypes.CDLL(name)
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_encoder_create.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
    lib.opus_encode.restype = ctypes.c_int
    lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    return lib


def encode_mono(samples: np.ndarray, *, dtx: bool, bitrate: int = BITRATE) -> list[bytes]:
    """Every whole 20 ms frame of mono int16 ``samples`` -> one Opus packet (DTX packets included)."""
    lib = _libopus()
    err = ctypes.c_int()
    state = lib.opus_encoder_create(SAMPLE_RATE, 1, _VOIP, ctypes.byref(err))
    if err.value < 0 or not state:
        raise OSError(f"opus_encoder_create failed ({err.value})")
    try:
        for request, value in ((_SET_BITRATE, bitrate), (_SET_DTX, int(dtx))):
            if lib.opus_encoder_ctl(ctypes.c_void_p(state), ctypes.c_int(request), ctypes.c_int(value)) < 0:
                raise OSError(f"opus_encoder_ctl({request}, {value}) failed")
        out = ctypes.create_string_buffer(1500)
        pcm = np.ascontiguousarray(samples, dtype=np.int16)
        packets = []
        for start in range(0, len(pcm) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
            n = lib.opus_encode(state, pcm[start:].ctypes.data, FRAME_SAMPLES, out, len(out))
            if n < 0:
                raise OSError(f"opus_encode failed ({n})")
            packets.append(out.raw[:n])
        return packets
    finally:
        lib.opus_encoder_destroy(state)


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
    sent = [i for i, p in enumerate(packets) if len(p) > MAX_DTX_BYTES]
    hangover = next((k for k in range(1, len(sent)) if sent[k] - sent[k - 1] > 1), None)
    if hangover is None or hangover + 1 >= len(sent):
        raise RuntimeError("libopus sent no DTX frames for silence (is DTX supported?)")
    first = sent[hangover]
    period = sent[hangover + 1] - first
    if any(b - a != period for a, b in zip(sent[hangover:], sent[hangover + 1:])):
        raise RuntimeError(f"libopus's DTX refreshes are not evenly spaced: {sent}")
    return Clip("dtx", tuple(p if len(p) > MAX_DTX_BYTES else None for p in packets[first:first + period]))
