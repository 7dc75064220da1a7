"""libopus itself, through ctypes: the encoder and decoder controls PyAV does not expose.

A voice server needs Opus's own loss handling (packet-loss concealment, in-band FEC decoding)
and DTX, and wants to decode in a worker thread without the GIL: ctypes releases it for every
foreign call. The library is the one PyAV's wheel bundles (so nothing new to install), else the
system's libopus.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
from typing import Any

import numpy as np

SAMPLE_RATE = 48000
CHANNELS = 2
FRAME_SAMPLES = 960  # 20 ms
MAX_PACKET = 1500

APPLICATIONS = {"voip": 2048, "audio": 2049, "lowdelay": 2051}
_SET_BITRATE = 4002
_SET_VBR = 4006
_SET_COMPLEXITY = 4010
_SET_INBAND_FEC = 4012
_SET_PACKET_LOSS_PERC = 4014
_SET_DTX = 4016
_SET_VBR_CONSTRAINT = 4020
_RESET_STATE = 4028
_GET_IN_DTX = 4049


class OpusError(RuntimeError):
    """libopus returned an error code."""


def _load() -> ctypes.CDLL:
    import av

    bundled = sorted(glob.glob(os.path.join(os.path.dirname(av.__file__), os.pardir, "av.libs", "libopus*.so*")))
    path = bundled[0] if bundled else ctypes.util.find_library("opus")
    if path is None:
        raise OSError("libopus not found (neither in PyAV's wheel nor on the system)")
    lib = ctypes.CDLL(path)
    vp, i32, cp = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
    lib.opus_get_version_string.restype = cp
    lib.opus_strerror.restype = cp
    lib.opus_strerror.argtypes = [i32]
    lib.opus_decoder_create.restype = vp
    lib.opus_decoder_create.argtypes = [i32, i32, ctypes.POINTER(i32)]
    lib.opus_decoder_destroy.argtypes = [vp]
    lib.opus_decode.restype = i32
    lib.opus_decode.argtypes = [vp, cp, i32, vp, i32, i32]
    lib.opus_encoder_create.restype = vp
    lib.opus_encoder_create.argtypes = [i32, i32, i32, ctypes.POINTER(i32)]
    lib.opus_encoder_destroy.argtypes = [vp]
    lib.opus_encode.restype = i32
    lib.opus_encode.argtypes = [vp, vp, i32, vp, i32]
    lib.opus_packet_get_nb_samples.restype = i32
    lib.opus_packet_get_nb_samples.argtypes = [cp, i32, i32]
    return lib


_lib = _load()
VERSION = _lib.opus_get_version_string().decode()


def _check(code: int, what: str) -> int:
    if code < 0:
        raise OpusError(f"{what}: {_lib.opus_strerror(code).decode()}")
    return code


def packet_samples(payload: bytes) -> int:
    """Samples per channel at 48 kHz that an Opus packet holds (OpusError if malformed)."""
    return _check(_lib.opus_packet_get_nb_samples(payload, len(payload), SAMPLE_RATE), "packet")


class Decoder:
    """One stream's decoder: packets -> interleaved int16 stereo; concealment and FEC from libopus."""

    def __init__(self) -> None:
        err = ctypes.c_int()
        self._state = _lib.opus_decoder_create(SAMPLE_RATE, CHANNELS, ctypes.byref(err))
        _check(err.value, "opus_decoder_create")

    def decode(self, payload: bytes, out: np.ndarray | None = None) -> np.ndarray:
        """One packet (any duration up to 120 ms) -> (samples * 2,) int16 interleaved."""
        frames = packet_samples(payload)
        out = _buffer(out, frames)
        _check(_lib.opus_decode(self._state, payload, len(payload), out.ctypes.data, frames, 0), "opus_decode")
        return out

    def conceal(self, samples: int = FRAME_SAMPLES, out: np.ndarray | None = None) -> np.ndarray:
        """libopus's packet-loss concealment for ``samples`` missing samples per channel."""
        out = _buffer(out, samples)
        _check(_lib.opus_decode(self._state, None, 0, out.ctypes.data, samples, 0), "opus_decode (PLC)")
        return out

    def recover(self, next_payload: bytes, samples: int = FRAME_SAMPLES, out: np.ndarray | None = None) -> np.ndarray:
        """The lost frame just before ``next_payload`` from its in-band FEC (PLC if it carries none)."""
        out = _buffer(out, samples)
        _check(_lib.opus_decode(self._state, next_payload, len(next_payload), out.ctypes.data, samples, 1),
               "opus_decode (FEC)")
        return out

    def __del__(self) -> None:
        state, self._state = getattr(self, "_state", None), None
        if state:
            _lib.opus_decoder_destroy(state)


class Encoder:
    """20 ms of int16 audio (interleaved when stereo) -> an Opus packet (bytes)."""

    def __init__(
        self, bitrate: int = 64000, *, application: str = "audio", complexity: int = 5, fec: bool = True,
        expected_loss_percent: int = 5, dtx: bool = False, constrained_vbr: bool = True, channels: int = CHANNELS,
    ) -> None:
        if application not in APPLICATIONS:
            raise ValueError(f"application must be one of {tuple(APPLICATIONS)}, got {application!r}")
        if channels not in (1, 2):
            raise ValueError("channels must be 1 or 2")
        self.channels = channels
        err = ctypes.c_int()
        self._state = _lib.opus_encoder_create(SAMPLE_RATE, channels, APPLICATIONS[application], ctypes.byref(err))
        _check(err.value, "opus_encoder_create")
        self._out = ctypes.create_string_buffer(MAX_PACKET)
        self.bitrate = bitrate
        self.dtx = dtx
        self._ctl(_SET_BITRATE, bitrate)
        self._ctl(_SET_VBR, 1)
        self._ctl(_SET_VBR_CONSTRAINT, 1 if constrained_vbr else 0)  # plain VBR overshoots ~25 % on tones
        self._ctl(_SET_COMPLEXITY, complexity)
        self._ctl(_SET_INBAND_FEC, 1 if fec and expected_loss_percent > 0 else 0)
        self._ctl(_SET_PACKET_LOSS_PERC, expected_loss_percent if fec else 0)
        self._ctl(_SET_DTX, 1 if dtx else 0)

    def _ctl(self, request: int, value: int) -> None:
        _check(_lib.opus_encoder_ctl(ctypes.c_void_p(self._state), ctypes.c_int(request), ctypes.c_int(value)),
               f"opus_encoder_ctl({request})")

    def set_complexity(self, complexity: int) -> None:
        """0 (cheapest) .. 10; takes effect from the next frame."""
        self._ctl(_SET_COMPLEXITY, complexity)

    def encode(self, samples: np.ndarray) -> bytes:
        """One 20 ms frame (960 int16 per channel, interleaved). With libopus's DTX on, a packet of
        1-2 bytes means "nothing to send" (the sender skips it, as WebRTC does)."""
        pcm = np.ascontiguousarray(samples, dtype=np.int16)
        if pcm.size != FRAME_SAMPLES * self.channels:
            raise ValueError(f"a frame is {FRAME_SAMPLES * self.channels} int16 values, got {pcm.size}")
        n = _check(_lib.opus_encode(self._state, pcm.ctypes.data, FRAME_SAMPLES, self._out, MAX_PACKET), "opus_encode")
        return self._out.raw[:n]

    def __del__(self) -> None:
        state, self._state = getattr(self, "_state", None), None
        if state:
            _lib.opus_encoder_destroy(state)


def is_dtx(payload: bytes) -> bool:
    """A DTX (discontinuous transmission) packet: the encoder has nothing to say."""
    return len(payload) <= 2


def _buffer(out: np.ndarray | None, samples: int) -> Any:
    if out is None or out.size != samples * CHANNELS or out.dtype != np.int16 or not out.flags.c_contiguous:
        return np.empty(samples * CHANNELS, dtype=np.int16)
    return out
