"""The mixer's fast paths (dense GEMM, sparse CSR from all pairs, k-d tree) rendered in chunks of listeners
give the reference's output, and the chunk size never changes a sample."""

from __future__ import annotations

import numpy as np
import pytest
from mixer_signals import stereo_frame

import mixer.mixer as mixer_module
from mixer import Acoustics, Mixer, MixResult, ReferenceMixer
from mixer.limiter import ceiling_lsb


def scene(n: int, side: float, talkers: int, loud: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Positions, headings and 3 ticks of frames: `loud` full-scale voices (so limiters engage), speech for the
    other talkers, digital silence or nothing for the rest."""
    rng = np.random.default_rng(seed)
    pos = rng.random((n, 2)) * side
    heading = rng.random(n) * 360
    ticks = []
    for _ in range(3):
        frames = {}
        for i in range(n):
            if i < loud:
                frames[f"p{i}"] = stereo_frame(np.clip(rng.standard_normal(960) * 20000, -32768, 32767))
            elif i < talkers:
                frames[f"p{i}"] = stereo_frame(rng.standard_normal(960) * 2000)
            elif i % 2:
                frames[f"p{i}"] = np.zeros((1, 1920), np.int16)
        ticks.append(frames)
    return pos, heading, ticks


def run(mixer: Mixer | ReferenceMixer, pos: np.ndarray, heading: np.ndarray, ticks: list[dict]) -> list[MixResult]:
    """Seat everyone, then every tick move them all a little (so every gain ramps) and mix."""
    for i, (x, y) in enumerate(pos):
        mixer.add(f"p{i}", x, y, heading[i])
    results = []
    for tick, frames in enumerate(ticks):
        for i, (x, y) in enumerate(pos):
            mixer.set_pose(f"p{i}", x + 0.3 * tick * np.cos(i), y + 0.3 * tick * np.sin(i), heading[i] + 7 * tick)
        results.append(mixer.mix(frames))
    return results


# (n, room side in m, talkers, loud talkers): dense GEMM; sparse from all pairs; k-d tree (n x talkers > 40 000)
CASES = {"dense": (150, 12.0, 60, 3), "all-pairs sparse": (150, 90.0, 60, 3), "k-d tree": (300, 90.0, 150, 6)}


@pytest.mark.parametrize("case", CASES)
def test_chunked_fast_paths_match_reference(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    n, side, talkers, loud = CASES[case]
    monkeypatch.setattr(mixer_module, "CHUNK", 16)  # several chunks, one of them partial
    acoustics = Acoustics(audible_radius=15.0)
    pos, heading, ticks = scene(n, side, talkers, loud, seed=n + int(side))
    fast = run(Mixer(acoustics), pos, heading, ticks)
    slow = run(ReferenceMixer(acoustics), pos, heading, ticks)
    ceiling = ceiling_lsb(acoustics.limiter_ceiling_dbfs)
    limited = 0
    for a, b in zip(fast, slow):
        assert a.outputs.keys() == b.outputs.keys()
        assert a.pairs == b.pairs
        for pid, out in a.outputs.items():
            assert out.shape == (1, 1920) and out.flags.c_contiguous
            assert np.abs(out.astype(np.int32) - b.outputs[pid]).max() <= 1, pid
            assert np.abs(out.astype(np.int32)).max() <= ceiling + 1
            limited += np.abs(out.astype(np.int32)).max() > 0.9 * ceiling
    assert limited > 0  # the limiter really worked on some listeners
    assert sum(r.outputs[p].any() for r in fast for p in r.outputs) > n  # and most listeners heard someone


@pytest.mark.parametrize("case", CASES)
def test_chunk_size_never_changes_a_sample(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    n, side, talkers, loud = CASES[case]
    pos, heading, ticks = scene(n, side, talkers, loud, seed=7)
    outputs = []
    for chunk in (5, 128, 1000):
        monkeypatch.setattr(mixer_module, "CHUNK", chunk)
        outputs.append(run(Mixer(Acoustics(audible_radius=15.0)), pos, heading, ticks))
    for results in outputs[1:]:
        for a, b in zip(outputs[0], results):
            assert all(np.array_equal(a.outputs[p], b.outputs[p]) for p in a.outputs)


def test_outputs_kept_by_the_caller_are_never_overwritten_and_released_ones_are_reused() -> None:
    """Output blocks are reused only when no output of theirs is referenced any more."""
    pos, heading, ticks = scene(40, 10.0, 40, 0, seed=3)
    mixer = Mixer()
    for i, (x, y) in enumerate(pos):
        mixer.add(f"p{i}", x, y, heading[i])
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
