"""The gain laws against the Web Audio formulas, and settings validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mixer import Acoustics, distance_gain, pan_gains


def web_audio_pan(azimuth_deg: float) -> tuple[float, float]:
    """Web Audio's equal-power panner for a mono source, folding sources behind to the front."""
    a = azimuth_deg
    if a < -90:
        a = -180 - a
    elif a > 90:
        a = 180 - a
    x = (a + 90) / 180
    return math.cos(x * math.pi / 2), math.sin(x * math.pi / 2)


@pytest.mark.parametrize("azimuth", [0, 45, -45, 90, -90, 180, 135, -135, 170, -100])
def test_pan_gains_equal_the_equal_power_law(azimuth: float) -> None:
    left, right = pan_gains(np.array([math.sin(math.radians(azimuth))]))
    want_left, want_right = web_audio_pan(azimuth)
    assert left[0] == pytest.approx(want_left, abs=1e-12)
    assert right[0] == pytest.approx(want_right, abs=1e-12)


def test_pan_known_values() -> None:
    left, right = pan_gains(np.array([0.0, 1.0, -1.0, math.sqrt(0.5)]))
    assert left == pytest.approx([math.sqrt(0.5), 0.0, 1.0, math.cos(3 * math.pi / 8)])
    assert right == pytest.approx([math.sqrt(0.5), 1.0, 0.0, math.sin(3 * math.pi / 8)])
    assert left**2 + right**2 == pytest.approx(np.ones(4))  # equal power everywhere


DISTANCES = np.array([0.0, 0.5, 1.0, 2.0, 3.0, 7.5, 15.0, 24.0, 40.0])


@pytest.mark.parametrize(
    ("model", "formula"),
    [
        ("inverse", lambda d, ref, mx, r: ref / (ref + r * (max(d, ref) - ref))),
        ("linear", lambda d, ref, mx, r: 1 - r * (min(max(d, ref), mx) - ref) / (mx - ref)),
        ("exponential", lambda d, ref, mx, r: (max(d, ref) / ref) ** -r),
    ],
)
def test_distance_models_equal_the_panner_node_formulas(model: str, formula: object) -> None:
    acoustics = Acoustics(distance_model=model, ref_distance=1.5, max_distance=30.0, rolloff=0.8,
                          audible_radius=100.0)
    got = distance_gain(DISTANCES, acoustics)
    want = [formula(d, 1.5, 30.0, 0.8) for d in DISTANCES]  # type: ignore[operator]
    assert got == pytest.approx(want, rel=1e-12)


def test_audible_radius_cuts_off() -> None:
    acoustics = Acoustics(audible_radius=10.0)
    gains = distance_gain(np.array([9.99, 10.0, 10.01, 50.0]), acoustics)
    assert gains[0] > 0 and gains[1] > 0
    assert gains[2] == 0 and gains[3] == 0


def test_linear_rolloff_is_clamped_like_web_audio() -> None:
    acoustics = Acoustics(distance_model="linear", rolloff=3.0, max_distance=10.0, ref_distance=1.0)
    assert distance_gain(np.array([10.0, 20.0]), acoustics) == pytest.approx([0.0, 0.0])


def test_defaults_conversation_full_and_far_faint() -> None:
    acoustics = Acoustics()
    near = distance_gain(np.array([1.0, 2.0]), acoustics)
    far = distance_gain(np.array([15.0]), acoustics)
    assert near == pytest.approx([1.0, 1.0])
    assert 20 * math.log10(far[0]) < -18  # "faint"
    assert far[0] > 0  # but still audible


@pytest.mark.parametrize(
    "kwargs",
    [
        {"distance_model": "cubic"}, {"ref_distance": 0.0}, {"ref_distance": float("nan")},
        {"max_distance": 1.0, "ref_distance": 2.0}, {"rolloff": -1.0}, {"audible_radius": 0.0},
        {"audible_radius": float("inf")}, {"ramp_samples": 0}, {"ramp_samples": 961}, {"ramp_samples": 2.5},
        {"limiter_ceiling_dbfs": 1.0}, {"limiter_release_ms": 0.0}, {"speech_dbov": 3.0},
        {"hangover_ticks": -1}, {"rolloff": "1"}, {"rolloff": True},
    ],
)
def test_invalid_acoustics_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Acoustics(**kwargs)  # type: ignore[arg-type]
