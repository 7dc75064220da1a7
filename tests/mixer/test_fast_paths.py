"""The mixer's compiled path (grid of candidate pairs, per-listener render) gives the reference's output in every
kind of room, including the ones that stress the grid: one cell, many cells, teleports, everyone on one spot,
clusters far apart, and coordinates whose arithmetic overflows."""

from __future__ import annotations

import numpy as np
import pytest
from mixer_signals import stereo_frame

from mixer import Acoustics, Mixer, MixResult, ReferenceMixer
from mixer.limiter import ceiling_lsb

Poses = list[tuple[float, float, float]]


def frames_for(n: int, talkers: int, loud: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """`loud` full-scale voices (so limiters engage), speech for the other talkers, digital silence or nothing
    for the rest."""
    frames = {}
    for i in range(n):
        if i < loud:
            frames[f"p{i}"] = stereo_frame(np.clip(rng.standard_normal(960) * 20000, -32768, 32767))
        elif i < talkers:
            frames[f"p{i}"] = stereo_frame(rng.standard_normal(960) * 2000)
        elif i % 2:
            frames[f"p{i}"] = np.zeros((1, 1920), np.int16)
    return frames


def walk(n: int, side: float, seed: int, ticks: int = 3) -> list[Poses]:
    """Everyone seated at random, then moving a little and turning every tick (so every gain glides)."""
    rng = np.random.default_rng(seed)
    pos, heading = rng.random((n, 2)) * side, rng.random(n) * 360
    return [[(x + 0.3 * t * np.cos(i), y + 0.3 * t * np.sin(i), heading[i] + 7 * t) for i, (x, y) in enumerate(pos)]
            for t in range(ticks)]


def run(mixer: Mixer | ReferenceMixer, poses: list[Poses], frames: list[dict[str, np.ndarray]]) -> list[MixResult]:
    """Seat everyone at the first poses, then every tick: set that tick's poses and mix."""
    for i, (x, y, h) in enumerate(poses[0]):
        mixer.add(f"p{i}", x, y, h)
    results = []
    for tick, tick_frames in zip(poses, frames):
        for i, (x, y, h) in enumerate(tick):
            mixer.set_pose(f"p{i}", x, y, h)
        results.append(mixer.mix(tick_frames))
    return results


def teleports() -> list[Poses]:
    """A room where one person jumps 5 km away and back, and another arrives from 5 km away."""
    poses = walk(60, 20.0, seed=5, ticks=4)
    poses[1][3] = poses[2][3] = (5000.0, -5000.0, 0.0)
    poses[0][4] = poses[1][4] = (-5000.0, 4000.0, 90.0)
    return poses


def stacked() -> list[Poses]:
    """Everyone on the same spot (distance 0: centred, full level), some facing other ways."""
    return [[(3.0, 4.0, 40.0 * i + t) for i in range(40)] for t in range(3)]


def clusters() -> list[Poses]:
    """Two groups 1000 km apart: the grid must not cover the gap with cells."""
    near, far = walk(40, 10.0, seed=8), walk(40, 10.0, seed=9)
    return [a + [(x + 1e6, y - 1e6, h) for x, y, h in b] for a, b in zip(near, far)]


# name -> (poses per tick, talkers, loud talkers, whether some listener must be limited)
ROOMS = {
    "one cell": (walk(150, 12.0, seed=1), 60, 3, True),
    "many cells": (walk(150, 90.0, seed=2), 60, 3, False),
    "large room": (walk(300, 90.0, seed=3), 150, 6, False),
    "teleports": (teleports(), 60, 2, True),
    "everyone on one spot": (stacked(), 40, 2, True),
    "far clusters": (clusters(), 80, 4, True),
}


@pytest.mark.parametrize("room", ROOMS)
def test_compiled_mix_matches_reference(room: str) -> None:
    poses, talkers, loud, limits = ROOMS[room]
    n = len(poses[0])
    rng = np.random.default_rng(n)
    frames = [frames_for(n, talkers, loud, rng) for _ in poses]
    acoustics = Acoustics(audible_radius=15.0)
    fast = run(Mixer(acoustics), poses, frames)
    slow = run(ReferenceMixer(acoustics), poses, frames)
    ceiling = ceiling_lsb(acoustics.limiter_ceiling_dbfs)
    limited = 0
    for a, b in zip(fast, slow):
        assert a.outputs.keys() == b.outputs.keys()
        assert a.pairs == b.pairs
        assert a.activity == b.activity
        for pid, out in a.outputs.items():
            assert out.shape == (1, 1920) and out.dtype == np.int16 and out.flags.c_contiguous
            assert np.abs(out.astype(np.int32) - b.outputs[pid]).max() <= 1, pid
            assert np.abs(out.astype(np.int32)).max() <= ceiling + 1
            limited += np.abs(out.astype(np.int32)).max() > 0.9 * ceiling
    assert limited > 0 or not limits  # the limiter really worked where voices pile up
    assert sum(r.outputs[p].any() for r in fast for p in r.outputs) > n  # and most listeners heard someone


def test_overflowing_coordinates_never_crash_or_leak_sound() -> None:
    """Finite but astronomically far positions (their differences overflow to inf): nobody hears them, the
    people in the room still hear each other, and nothing raises."""
    mixer = Mixer()
    mixer.add("a", 0.0, 0.0, 0.0)
    mixer.add("b", 1.0, 0.0, 0.0)
    mixer.add("far", 1e308, -1e308, 0.0)
    mixer.add("other side", -1e308, 1e308, 0.0)
    voice = stereo_frame(np.random.default_rng(0).standard_normal(960) * 3000)
    for tick in range(3):
        mixer.set_pose("far", 1e308 * (-1) ** tick, -1e308, 0.0)  # a jump that overflows too
        result = mixer.mix({pid: voice for pid in mixer.participants})
        assert result.outputs["a"].any() and result.outputs["b"].any()
        assert not result.outputs["far"].any() and not result.outputs["other side"].any()
        assert result.pairs == 2


def test_outputs_kept_by_the_caller_are_never_overwritten_and_released_ones_are_reused() -> None:
    """Output blocks are reused only when no output of theirs is referenced any more."""
    poses = walk(40, 10.0, seed=3, ticks=1)[0]
    rng = np.random.default_rng(3)
    ticks = [frames_for(40, 40, 0, rng) for _ in range(3)]
    mixer = Mixer()
    for i, (x, y, h) in enumerate(poses):
        mixer.add(f"p{i}", x, y, h)
    kept = mixer.mix(ticks[0])
    copies = {pid: out.copy() for pid, out in kept.outputs.items()}
    for frames in ticks[1:] * 3:
        mixer.mix(frames)  # results dropped at once: their blocks become free
    assert all(np.array_equal(kept.outputs[pid], copies[pid]) for pid in copies)
    one = kept.outputs["p0"]
    del kept, copies
    address = one.__array_interface__["data"][0]
    del one  # nothing of the first tick's block is referenced any more
    seen = set()
    result = None
    for frames in ticks * 2:  # like a media plane: the last result is still held while the next tick mixes
        result = mixer.mix(frames)
        seen.add(result.outputs["p0"].__array_interface__["data"][0])
    assert address in seen and len(seen) == 2
