"""Behaviour of the mixer on real signals: direction, own voice, ramps, limiter, skipping, membership."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import av
import numpy as np
import pytest
from mixer_signals import channels, energy_db, sine_ticks, stereo_frame

from mixer import FRAME_SAMPLES, Acoustics, Mixer, ReferenceMixer
from mixer.limiter import ceiling_lsb

NoiseFrames = Callable[[int, float], Iterator[np.ndarray]]


def test_output_is_ready_for_av_audioframe() -> None:
    mixer = Mixer()
    mixer.add("a", 0, 0, 0)
    mixer.add("b", 1, 0, 0)
    result = mixer.mix({"b": sine_ticks(440, 8000, 1)[0]})
    out = result.outputs["a"]
    assert out.dtype == np.int16 and out.shape == (1, 1920) and out.flags.c_contiguous
    frame = av.AudioFrame.from_ndarray(out, format="s16", layout="stereo")
    assert frame.samples == FRAME_SAMPLES and frame.layout.name == "stereo"
    assert set(result.outputs) == {"a", "b"}
    assert not result.outputs["b"].any()  # b hears nobody: silence, never its own voice


@pytest.mark.parametrize(("heading", "side"), [(0, "left"), (180, "right"), (90, "front"), (270, "front")])
def test_source_at_minus_x_is_panned_by_heading(heading: float, side: str) -> None:
    mixer = Mixer()
    mixer.add("listener", 10, 10, heading)
    mixer.add("source", 8, 10, 0)  # two metres towards -x
    frames = sine_ticks(300, 10000, 3)
    for frame in frames:
        result = mixer.mix({"source": frame})
    left, right = channels(result.outputs["listener"])
    ratio = energy_db(right) - energy_db(left)
    if side == "left":
        assert ratio < -30
    elif side == "right":
        assert ratio > 30
    else:
        assert abs(ratio) < 0.1


def test_source_exactly_left_gives_more_than_30_db_separation() -> None:
    mixer = Mixer()
    mixer.add("me", 0, 0, 0)
    mixer.add("left", -1.5, 0, 45)
    for frame in sine_ticks(500, 12000, 4):
        result = mixer.mix({"left": frame})
    left, right = channels(result.outputs["me"])
    assert energy_db(left) > 100  # really there
    assert energy_db(right) - energy_db(left) < -30


def test_own_voice_absent(noise_frames: NoiseFrames) -> None:
    mixer = Mixer()
    for pid, x in (("a", 0.0), ("b", 1.0), ("c", -1.0)):
        mixer.add(pid, x, 0, 0)
    own, heard = [], []
    for frames in zip(noise_frames(10, 6000), noise_frames(10, 6000), noise_frames(10, 6000)):
        result = mixer.mix(dict(zip("abc", frames)))
        own.append(frames[0].reshape(-1, 2)[:, 0].astype(np.float64))
        heard.append(result.outputs["a"].reshape(-1, 2).sum(axis=1).astype(np.float64))
    x, y = np.concatenate(own), np.concatenate(heard)
    assert np.std(y) > 1000  # a hears b and c
    correlation = abs(np.dot(x, y)) / np.sqrt(np.dot(x, x) * np.dot(y, y))
    assert 20 * np.log10(correlation + 1e-12) < -60 + 20  # chance level for 19200 noise samples is about -43 dB
    # exact check: with b and c silent, a's own voice yields digital silence at a
    assert not mixer.mix({"a": next(noise_frames(1, 6000))}).outputs["a"].any()


def max_step(chunks: list[np.ndarray]) -> float:
    """Largest sample-to-sample jump across consecutive output frames, either channel."""
    stream = np.concatenate([c.reshape(-1, 2).astype(np.float64) for c in chunks])
    return float(np.abs(np.diff(stream, axis=0)).max())


@pytest.mark.parametrize("ramp", [960, 240])
def test_walking_source_has_no_discontinuity(ramp: int) -> None:
    """A source walks past the listener (left to right, 2 m/s); output steps stay within the signal's own."""
    mixer = Mixer(Acoustics(ramp_samples=ramp))
    mixer.add("me", 0, 0, 0)
    mixer.add("walker", -6, 1, 0)
    frames = sine_ticks(120, 16000, 300)
    outputs = []
    for tick, frame in enumerate(frames):
        mixer.set_pose("walker", -6 + 0.04 * tick, 1, 0)
        outputs.append(mixer.mix({"walker": frame}).outputs["me"])
    signal_step = max_step(frames)
    assert max_step(outputs) <= signal_step + 1
    left, right = channels(outputs[0])
    assert energy_db(left) > energy_db(right) + 10  # it really started on the left...
    left, right = channels(outputs[-1])
    assert energy_db(right) > energy_db(left) + 10  # ...and ended on the right


def test_teleport_is_ramped_not_clicked() -> None:
    """Jumping from hard left to hard right: a click without the ramp, none with it."""
    frames = sine_ticks(60, 20000, 6)
    steps = {}
    for ramp in (1, 960):
        mixer = Mixer(Acoustics(ramp_samples=ramp))
        mixer.add("me", 0, 0, 0)
        mixer.add("src", -1, 0, 0)
        outputs = [mixer.mix({"src": frames[0]}).outputs["me"]]
        mixer.set_pose("src", 1, 0, 0)
        outputs += [mixer.mix({"src": f}).outputs["me"] for f in frames[1:]]
        steps[ramp] = max_step(outputs)
    signal_step = max_step(frames)
    assert steps[960] <= signal_step + 1
    assert steps[1] > 5 * signal_step  # the test can tell a click from a glide


def test_mute_fades_out_and_back_in(noise_frames: NoiseFrames) -> None:
    mixer = Mixer()
    mixer.add("me", 0, 0, 0)
    mixer.add("src", 1, 0, 0)
    frames = sine_ticks(200, 10000, 6)
    assert mixer.mix({"src": frames[0]}).outputs["me"].any()
    mixer.set_source("src", muted=True)
    fading = mixer.mix({"src": frames[1]}).outputs["me"]
    assert fading.any() and max_step([fading]) <= max_step(frames) + 1
    assert not mixer.mix({"src": frames[2]}).outputs["me"].any()
    mixer.set_source("src", muted=False, gain=0.5)
    mixer.mix({"src": frames[3]})
    half = mixer.mix({"src": frames[4]}).outputs["me"]
    mixer.set_source("src", gain=1.0)
    mixer.mix({"src": frames[4]})
    full = mixer.mix({"src": frames[4]}).outputs["me"]
    assert energy_db(channels(full)[1]) - energy_db(channels(half)[1]) == pytest.approx(6.02, abs=0.05)


def test_preference_mutes_a_source_for_one_listener_only() -> None:
    mixer = Mixer()
    for pid, x in (("me", 0.0), ("you", 2.0), ("src", 1.0)):
        mixer.add(pid, x, 0, 0)
    frame = sine_ticks(200, 10000, 1)[0]
    mixer.set_preference("me", "src", muted=True)
    mixer.mix({"src": frame})
    result = mixer.mix({"src": frame})
    assert not result.outputs["me"].any()
    assert result.outputs["you"].any()
    mixer.set_preference("me", "src", muted=False, gain=0.25)
    mixer.mix({"src": frame})
    quiet = mixer.mix({"src": frame})
    assert energy_db(quiet.outputs["you"].astype(float)) - energy_db(quiet.outputs["me"].astype(float)) == \
        pytest.approx(12.04, abs=0.05)


def test_limiter_keeps_200_full_scale_talkers_in_range() -> None:
    mixer = Mixer()
    rng = np.random.default_rng(7)
    mixer.add("me", 0, 0, 0)
    ids = [f"t{i}" for i in range(200)]
    for i, pid in enumerate(ids):
        angle = 2 * np.pi * i / 200
        mixer.add(pid, 1.5 * np.cos(angle), 1.5 * np.sin(angle), 0)
    square = np.where(np.sin(2 * np.pi * 100 * np.arange(960) / 48000) >= 0, 32767, -32768)
    ceiling = ceiling_lsb(Acoustics().limiter_ceiling_dbfs)
    outputs = []
    for tick in range(10):
        frames = {pid: stereo_frame(square if i % 2 else rng.choice([-32768, 32767], 960))
                  for i, pid in enumerate(ids)}
        out = mixer.mix(frames).outputs["me"]
        outputs.append(out)
        assert np.abs(out.astype(np.int32)).max() <= ceiling + 1
    # no wrap-around: the (in-phase) square wave's sign survives in the mix
    left = np.concatenate([o.reshape(-1, 2)[:, 0] for o in outputs[2:]]).astype(np.int32)
    want = np.tile(np.sign(square), 8)
    agree = np.mean(np.sign(left) == want)
    assert agree > 0.95
    assert np.abs(left).max() > 0.5 * ceiling  # limited, not silenced


def test_limiter_recovers_after_a_loud_passage() -> None:
    mixer = Mixer()
    mixer.add("me", 0, 0, 0)
    for i in range(50):
        mixer.add(f"t{i}", 1.0, 0.01 * i, 0)
    loud = sine_ticks(100, 30000, 5)
    for frame in loud:
        mixer.mix({f"t{i}": frame for i in range(50)})
    quiet = sine_ticks(100, 300, 60)
    gains = []
    for frame in quiet:
        out = mixer.mix({"t0": frame}).outputs["me"]
        gains.append(np.abs(out.astype(float)).max())
    assert gains[0] < gains[-1]  # still reduced right after the loud passage
    assert gains[-1] == pytest.approx(300, abs=1.5)  # fully recovered: unity gain (t0 is hard right at 1 m)


def mix_both(build: Callable[[Mixer | ReferenceMixer], None], ticks: list[dict[str, np.ndarray]],
             acoustics: Acoustics | None = None) -> tuple[list, list]:
    """Run the same scene through Mixer and the no-skipping ReferenceMixer."""
    results: tuple[list, list] = ([], [])
    for mixer, out in ((Mixer(acoustics), results[0]), (ReferenceMixer(acoustics), results[1])):
        build(mixer)
        for frames in ticks:
            out.append(mixer.mix(frames))
    return results


def assert_within_one_lsb(fast: list, slow: list) -> None:
    for a, b in zip(fast, slow):
        assert a.outputs.keys() == b.outputs.keys()
        for pid in a.outputs:
            assert np.abs(a.outputs[pid].astype(np.int32) - b.outputs[pid]).max() <= 1, pid


def test_skipping_silent_and_inaudible_gives_the_same_output(rng: np.random.Generator) -> None:
    acoustics = Acoustics(audible_radius=8.0)
    n = 40
    pos = rng.random((n, 2)) * 30
    heading = rng.random(n) * 360

    def build(mixer: Mixer | ReferenceMixer) -> None:
        for i in range(n):
            mixer.add(f"p{i}", *pos[i], heading[i])
        for i in (2, 6, 10):
            mixer.set_source(f"p{i}", gain=0.1)  # turned down by a host

    ticks = []
    for _ in range(6):
        frames = {}
        for i in range(n):
            kind = i % 4
            if kind == 0:
                frames[f"p{i}"] = stereo_frame(rng.standard_normal(960) * 3000)  # talking
            elif kind == 1:
                frames[f"p{i}"] = np.zeros((1, 1920), np.int16)  # digital silence
            elif kind == 2 and i < 12:
                frames[f"p{i}"] = stereo_frame(rng.integers(-1, 2, 960))  # 1 LSB noise at gain 0.1: skippable
            # kind 3 and the rest: no frame at all
        ticks.append(frames)
    fast, slow = mix_both(build, ticks, acoustics)
    assert_within_one_lsb(fast, slow)
    assert fast[-1].pairs < slow[-1].pairs  # and it really skipped work
    assert any(r.outputs[p].any() for r in fast for p in r.outputs)


def test_large_room_sparse_path_matches_reference(rng: np.random.Generator) -> None:
    """Above the all-pairs threshold the k-d tree and sparse product are used; same output."""
    n = 260
    acoustics = Acoustics(audible_radius=10.0)
    pos = rng.random((n, 2)) * 80
    heading = rng.random(n) * 360

    def build(mixer: Mixer | ReferenceMixer) -> None:
        for i in range(n):
            mixer.add(f"p{i}", *pos[i], heading[i])

    frames = {f"p{i}": stereo_frame(rng.standard_normal(960) * 2000) for i in range(0, n, 2)}
    mixers = (Mixer(acoustics), ReferenceMixer(acoustics))
    for mixer in mixers:
        build(mixer)
    for tick in range(4):
        step = rng.normal(0, 0.5, (n, 2))
        results = []
        for mixer in mixers:
            for i in range(n):
                mixer.set_pose(f"p{i}", *(pos[i] + step[i] * tick), heading[i] + tick)
            results.append(mixer.mix(frames))
        assert_within_one_lsb([results[0]], [results[1]])
        assert 0 < results[0].pairs < n * n // 2 // 4


def test_join_and_leave_mid_run(rng: np.random.Generator) -> None:
    voices = {pid: sine_ticks(f, 8000, 12) for pid, f in (("a", 220), ("b", 330), ("c", 440), ("d", 550))}
    mixers = (Mixer(), ReferenceMixer())
    for mixer in mixers:
        mixer.add("a", 0, 0, 0)
        mixer.add("b", 1, 0, 0)
        mixer.add("c", -1, 0, 0)
        mixer.set_preference("c", "b", gain=0.5)
        mixer.set_preference("b", "c", muted=True)
    for tick in range(12):
        results = []
        for mixer in mixers:
            if tick == 4:
                mixer.remove("a")  # slot 0 leaves: the last slot moves into it
                mixer.remove("a")  # idempotent
            if tick == 6:
                mixer.add("d", 0, 1, 180)
            if tick == 8:
                mixer.remove("b")
            frames = {pid: v[tick] for pid, v in voices.items() if pid in mixer.participants}
            results.append(mixer.mix(frames))
        assert_within_one_lsb([results[0]], [results[1]])
        assert set(results[0].outputs) == set(mixers[0].participants)
    fast = results[0]
    assert set(fast.outputs) == {"c", "d"}
    spectrum = np.abs(np.fft.rfft(fast.outputs["c"].reshape(-1, 2)[:, 0].astype(float)))
    freqs = np.fft.rfftfreq(960, 1 / 48000)
    assert spectrum[np.argmin(abs(freqs - 550))] > 100 * spectrum[np.argmin(abs(freqs - 330))]  # d in, b gone
    with pytest.raises(ValueError):
        mixers[0].add("c", 0, 0, 0)


def test_max_sources_keeps_the_loudest(rng: np.random.Generator) -> None:
    mixer = Mixer(max_sources=2)
    mixer.add("me", 0, 0, 0)
    specs = {"near": (1.0, 300), "mid": (3.0, 500), "far": (6.0, 700), "quiet": (1.0, 900)}
    amps = {"near": 8000, "mid": 8000, "far": 8000, "quiet": 200}
    for pid, (dist, _) in specs.items():
        mixer.add(pid, 0, dist, 0)
    voices = {pid: sine_ticks(f, amps[pid], 4) for pid, (_, f) in specs.items()}
    for tick in range(4):
        out = mixer.mix({pid: v[tick] for pid, v in voices.items()}).outputs["me"]
    spectrum = np.abs(np.fft.rfft(out.reshape(-1, 2)[:, 0].astype(float)))
    freqs = np.fft.rfftfreq(960, 1 / 48000)
    level = {pid: spectrum[np.argmin(abs(freqs - f))] for pid, (_, f) in specs.items()}
    assert level["near"] > 1e5 and level["mid"] > 1e5
    assert level["far"] < 100 and level["quiet"] < 100  # rounding noise only (a kept one would be > 1e5)


def test_max_sources_survives_leaves_and_fades_the_dropped_source() -> None:
    mixer = Mixer(max_sources=1)
    for pid, y in (("me", 0.0), ("a", 1.0), ("b", 2.0), ("c", 3.0)):
        mixer.add(pid, 0, y, 0)
    voices = {pid: sine_ticks(f, 8000, 6) for pid, f in (("a", 300), ("b", 500), ("c", 700))}
    outs = []
    for tick in range(6):
        if tick == 2:
            mixer.remove("a")  # "me" now keeps b, the next loudest; slots move
        frames = {pid: v[tick] for pid, v in voices.items() if pid in mixer.participants}
        outs.append(mixer.mix(frames).outputs["me"])
    freqs = np.fft.rfftfreq(960, 1 / 48000)
    spectrum = np.abs(np.fft.rfft(outs[-1].reshape(-1, 2)[:, 0].astype(float)))
    assert spectrum[np.argmin(abs(freqs - 500))] > 1e5
    assert spectrum[np.argmin(abs(freqs - 700))] < 100
    assert max_step(outs[2:]) <= max_step(voices["b"]) + 1  # b faded in, no click


def test_activity_levels_and_hangover() -> None:
    acoustics = Acoustics(hangover_ticks=3)
    mixer = Mixer(acoustics)
    mixer.add("a", 0, 0, 0)
    mixer.add("b", 1, 0, 0)
    full = stereo_frame(32767 * np.sin(2 * np.pi * 1000 * np.arange(960) / 48000))
    result = mixer.mix({"a": full, "b": np.zeros((1, 1920), np.int16)})
    assert result.activity["a"].level_dbov == pytest.approx(-3.0, abs=0.1)  # full-scale sine
    assert result.activity["a"].speaking
    assert result.activity["b"].level_dbov == -127.0 and not result.activity["b"].speaking
    speaking = [mixer.mix({}).activity["a"].speaking for _ in range(5)]
    assert speaking == [True, True, True, False, False]
    quiet = stereo_frame(32767 * 10 ** (-60 / 20) * np.sqrt(2) * np.sin(np.arange(960)))
    act = mixer.mix({"a": quiet}).activity["a"]
    assert act.level_dbov == pytest.approx(-60.0, abs=0.2) and not act.speaking


def test_bad_input_never_crashes() -> None:
    mixer = Mixer()
    mixer.add("a", 0, 0, 0)
    mixer.add("b", 1, 0, 0)
    good = sine_ticks(300, 5000, 1)[0]
    frames = {"a": np.zeros(100, np.int16), "b": good.astype(np.float32), "ghost": good}
    result = mixer.mix(frames)  # type: ignore[arg-type]
    assert set(result.dropped) == {"a", "b"}
    assert set(result.outputs) == {"a", "b"}
    assert mixer.mix({"b": good.reshape(960, 2)}).outputs["a"].any()  # any shape with 1920 values
    assert mixer.mix({"b": [1, 2, 3]}).dropped == ("b",)  # type: ignore[dict-item]
    # same number of values, other integer types: refused, never truncated into int16
    for wrong in (good.astype(np.int32), good.astype(np.uint16), good.astype(np.int64)):
        result = mixer.mix({"a": good, "b": wrong})
        assert result.dropped == ("b",) and result.outputs["b"].any() and not result.outputs["a"].any()
    # a non-contiguous int16 frame is fine
    wide = np.repeat(good, 2, axis=1)[:, ::2]
    assert not wide.flags.c_contiguous and mixer.mix({"b": wide}).outputs["a"].any()
    for call in (lambda: mixer.set_pose("zz", 0, 0, 0), lambda: mixer.set_source("zz", muted=True),
                 lambda: mixer.set_preference("a", "zz", muted=True)):
        with pytest.raises(KeyError):
            call()
    for call in (lambda: mixer.set_pose("a", float("nan"), 0, 0), lambda: mixer.add("c", 0, float("inf"), 0),
                 lambda: mixer.set_source("a", gain=-1), lambda: mixer.set_preference("a", "b", gain=99),
                 lambda: Mixer(max_sources=0), lambda: mixer.set_pose("a", "1", 0, 0)):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(TypeError):
        mixer.set_acoustics("loud")  # type: ignore[arg-type]


def test_headings_normalise_and_acoustics_switch() -> None:
    mixer = Mixer()
    mixer.add("me", 0, 0, 720 + 90)  # == 90
    mixer.add("src", 0, -2, 0)  # behind-right when facing +x? no: to the right of someone facing east
    frame = sine_ticks(300, 10000, 3)
    mixer.mix({"src": frame[0]})
    left, right = channels(mixer.mix({"src": frame[1]}).outputs["me"])
    assert energy_db(right) - energy_db(left) > 30
    mixer.set_acoustics(Acoustics(audible_radius=1.0))
    mixer.mix({"src": frame[2]})
    assert not mixer.mix({"src": frame[2]}).outputs["me"].any()


def test_max_sources_can_change_between_ticks_and_reports_what_it_left_out(rng: np.random.Generator) -> None:
    mixer = Mixer()
    for i, x in enumerate((0.0, 1.0, 2.0, 3.0)):
        mixer.add(f"p{i}", x, 0.0, 0.0)
    frames = {f"p{i}": (rng.standard_normal(1920) * 3000).astype(np.int16) for i in range(4)}
    full = mixer.mix(frames)
    assert full.capped == 0 and full.pairs == 12
    mixer.max_sources = 1
    capped = [mixer.mix(frames) for _ in range(2)][-1]  # the first capped tick fades the others out
    assert capped.pairs == 4 and capped.capped == 8
    mixer.max_sources = None
    assert [mixer.mix(frames) for _ in range(2)][-1].pairs == 12
    with pytest.raises(ValueError):
        mixer.max_sources = 0
