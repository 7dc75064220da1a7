"""Property-based checks over random rooms: outputs always finite-range int16 frames, equal to the reference."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mixer_signals import stereo_frame

from mixer import Acoustics, Mixer, ReferenceMixer
from mixer.limiter import ceiling_lsb

coord = st.floats(-50, 50, allow_nan=False)
person = st.tuples(coord, coord, st.floats(-1e4, 1e4, allow_nan=False),  # x, y, heading
                   st.floats(0, 4), st.booleans(),  # source gain, muted
                   st.sampled_from(["silent", "missing", "quiet", "speech", "full"]))
acoustics = st.builds(Acoustics, distance_model=st.sampled_from(["inverse", "linear", "exponential"]),
                      ref_distance=st.floats(0.1, 5), rolloff=st.floats(0, 4), audible_radius=st.floats(0.5, 60),
                      ramp_samples=st.sampled_from([1, 240, 960]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=st.lists(person, min_size=1, max_size=12), room=acoustics, seed=st.integers(0, 2**16),
       moves=st.lists(st.tuples(coord, coord), min_size=1, max_size=3))
def test_random_rooms_stay_in_range_and_match_reference(people: list, room: Acoustics, seed: int,
                                                        moves: list) -> None:
    rng = np.random.default_rng(seed)
    mixers = (Mixer(room), ReferenceMixer(room))
    for mixer in mixers:
        for i, (x, y, heading, gain, muted, _) in enumerate(people):
            mixer.add(f"p{i}", x, y, heading)
            mixer.set_source(f"p{i}", gain=gain, muted=muted)
    rms = {"quiet": 2.0, "speech": 1600.0, "full": 40000.0}
    ceiling = ceiling_lsb(room.limiter_ceiling_dbfs)
    for dx, dy in moves:
        frames = {}
        for i, (*_, kind) in enumerate(people):
            if kind == "silent":
                frames[f"p{i}"] = np.zeros((1, 1920), np.int16)
            elif kind != "missing":
                frames[f"p{i}"] = stereo_frame(rng.standard_normal(960) * rms[kind])
        results = []
        for mixer in mixers:
            mixer.set_pose("p0", people[0][0] + dx, people[0][1] + dy, people[0][2] + dx)
            results.append(mixer.mix(frames))
        fast, slow = results
        assert set(fast.outputs) == {f"p{i}" for i in range(len(people))}
        for pid, out in fast.outputs.items():
            assert out.dtype == np.int16 and out.shape == (1, 1920)
            assert np.abs(out.astype(np.int32)).max() <= ceiling + 1
            assert np.abs(out.astype(np.int32) - slow.outputs[pid]).max() <= 1
        for act in fast.activity.values():
            assert np.isfinite(act.level_dbov) and -127.0 <= act.level_dbov <= 0.0
