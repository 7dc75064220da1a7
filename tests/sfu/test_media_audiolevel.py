"""The numpy audio level must equal aiortc's own function, and be the one aiortc's sender calls."""

import numpy as np
import pytest
from aiortc import rtp

from rtc import audiolevel
from sfu import MediaConfig, MediaPlane


def _frame(values: np.ndarray, layout: str):
    import av

    frame = av.AudioFrame.from_ndarray(values.reshape(1, -1), format="s16", layout=layout)
    frame.sample_rate = 48000
    return frame


@pytest.mark.parametrize("layout,count", [("mono", 960), ("stereo", 1920), ("mono", 480)])
def test_equals_aiortc_on_random_frames(layout: str, count: int) -> None:
    rng = np.random.default_rng(7)
    original = audiolevel.original()
    seen = set()
    for trial in range(300):
        amplitude = int(10 ** rng.uniform(0, np.log10(32768)))
        values = rng.integers(-amplitude, amplitude, count, endpoint=True).astype(np.int16)
        if trial % 50 == 0:
            values[:] = 0
        if trial % 50 == 1:
            values[:] = -32768
        frame = _frame(values, layout)
        fast = audiolevel.compute_audio_level_dbov(frame)
        assert fast == original(frame)
        seen.add(fast)
    assert len(seen) > 40  # the trials covered the whole dBov range, not one value


def test_install_rebinds_the_attribute_aiortc_calls() -> None:
    MediaPlane(MediaConfig())  # installs
    assert audiolevel.installed()
    assert rtp.compute_audio_level_dbov is audiolevel.compute_audio_level_dbov
    assert audiolevel.original() is not audiolevel.compute_audio_level_dbov
    audiolevel.install()  # idempotent
    assert audiolevel.installed()
