"""The mixing benchmark: cost per 20 ms tick of the spatial mixer against a straightforward per-listener
mixer, for rooms of N participants moving every tick. `hubbub bench mixer --help`."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from bench.cliargs import counts, parse
from mixer.acoustics import Acoustics
from mixer.layout import FRAME_VALUES
from mixer.mixer import Mixer
from mixer.reference import ReferenceMixer
from mixer.room import Room

TICK_US = 20_000.0
DEFAULT_N = (2, 10, 50, 100, 200, 500, 1000)
QUICK_N = (10, 100)
SPEECH_RMS = 32768 * 10 ** (-26 / 20)  # ITU-T P.56 nominal active speech level, -26 dBov


@dataclass
class Timing:
    """Per-tick costs of one mixer over one scene: CPU time of the process (the cost on one core, not
    inflated when other processes share the machine) and wall-clock time (inflated when they do)."""

    cpu: list[float]
    wall: list[float]
    pairs: float

    def summary(self) -> dict[str, float]:
        """Mean, 99th percentile and share of one core's real time."""
        mean = float(np.mean(self.cpu))
        return {"mean_us_per_tick": round(mean, 1), "p99_us_per_tick": round(float(np.percentile(self.cpu, 99)), 1),
                "realtime_fraction": round(mean / TICK_US, 5),
                "wall_mean_us_per_tick": round(float(np.mean(self.wall)), 1),
                "wall_p99_us_per_tick": round(float(np.percentile(self.wall, 99)), 1)}


class Scene:
    """N people in a square room at a fixed density, a fraction of them talking, all walking every tick."""

    def __init__(self, n: int, talking: float, area_per_person: float, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.side = math.sqrt(area_per_person * n)
        self.ids = [f"p{i}" for i in range(n)]
        self.pos = self.rng.random((n, 2)) * self.side
        self.heading = self.rng.random(n) * 360.0
        self.talkers = max(1, round(talking * n)) if talking > 0 else 0
        pool = self.rng.standard_normal((32, FRAME_VALUES)) * SPEECH_RMS
        self.pool = np.clip(pool, -32768, 32767).astype(np.int16).reshape(32, 1, FRAME_VALUES)
        self.silence = np.zeros((1, FRAME_VALUES), dtype=np.int16)

    def populate(self, mixer: Room) -> None:
        """Seat everyone."""
        for pid, (x, y), heading in zip(self.ids, self.pos.tolist(), self.heading.tolist()):
            mixer.add(pid, x, y, heading)

    def step(self, tick: int) -> dict[str, np.ndarray]:
        """Walk (about 1.4 m/s), turn, and return this tick's frames: speech-level noise or digital silence."""
        n = len(self.ids)
        self.pos = np.clip(self.pos + self.rng.normal(0.0, 0.03, (n, 2)), 0.0, self.side)
        self.heading = (self.heading + self.rng.normal(0.0, 3.0, n)) % 360.0
        frames = dict.fromkeys(self.ids, self.silence)
        for i in range(self.talkers):
            frames[self.ids[i]] = self.pool[(i * 7 + tick) % len(self.pool)]
        return frames

    def move(self, mixer: Room) -> None:
        """Hand the new poses to a mixer (not timed: that is the signalling path's work)."""
        for pid, (x, y), heading in zip(self.ids, self.pos.tolist(), self.heading.tolist()):
            mixer.set_pose(pid, x, y, heading)


def _time(mixer: Mixer | ReferenceMixer, scene: Scene, ticks: int, budget_s: float | None, warmup: int = 3) -> Timing:
    scene.populate(mixer)
    cpu: list[float] = []
    wall: list[float] = []
    pairs = 0
    started = time.perf_counter()
    for tick in range(warmup + ticks):
        frames = scene.step(tick)
        scene.move(mixer)
        begin_wall, begin_cpu = time.perf_counter_ns(), time.process_time_ns()
        result = mixer.mix(frames)
        elapsed_cpu, elapsed_wall = time.process_time_ns() - begin_cpu, time.perf_counter_ns() - begin_wall
        if tick >= warmup:
            cpu.append(elapsed_cpu / 1000.0)
            wall.append(elapsed_wall / 1000.0)
            pairs += result.pairs
            if budget_s is not None and len(cpu) >= 2 and time.perf_counter() - started > budget_s:
                break
    return Timing(cpu, wall, pairs / len(cpu))


def run_case(n: int, talking: float, args: argparse.Namespace) -> dict[str, Any]:
    """Time the mixer and the reference on the same scene (same seed, so the same moves and voices)."""
    acoustics = Acoustics(audible_radius=args.radius)
    engine = _time(Mixer(acoustics), Scene(n, talking, args.area_per_person, args.seed), args.ticks, None)
    case: dict[str, Any] = {
        "n": n, "talking_fraction": talking, "talkers": Scene(n, talking, args.area_per_person, args.seed).talkers,
        "room_side_m": round(math.sqrt(args.area_per_person * n), 2), "audible_radius_m": args.radius,
        "ticks": len(engine.cpu), "mean_pairs_mixed": round(engine.pairs, 1), **engine.summary(),
    }
    if n <= args.reference_max_n:
        reference = _time(ReferenceMixer(acoustics), Scene(n, talking, args.area_per_person, args.seed),
                          args.ticks, args.reference_budget)
        ref = reference.summary()
        case.update({f"reference_{k}": v for k, v in ref.items()})
        case["reference_ticks"] = len(reference.cpu)
        case["speedup"] = round(ref["mean_us_per_tick"] / max(case["mean_us_per_tick"], 1e-9), 1)
    else:
        case.update({"reference_mean_us_per_tick": None, "reference_p99_us_per_tick": None,
                     "reference_realtime_fraction": None, "reference_wall_mean_us_per_tick": None,
                     "reference_wall_p99_us_per_tick": None, "reference_ticks": 0, "speedup": None})
    return case


def machine() -> dict[str, Any]:
    """Where the figures came from."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    blas = [{"library": i.get("internal_api"), "version": i.get("version"), "threads": i.get("num_threads")}
            for i in threadpool_info() if i.get("user_api") == "blas"]
    return {"cpu": cpu, "logical_cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "numpy": np.__version__, "blas": blas,
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def plot(results: list[dict[str, Any]], path: str) -> None:
    """Cost per tick against N, mixer and reference, one line per talking fraction (log-log)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for fraction in sorted({r["talking_fraction"] for r in results}, reverse=True):
        rows = [r for r in results if r["talking_fraction"] == fraction]
        label = f"{fraction:.0%} talking"
        ax.plot([r["n"] for r in rows], [r["mean_us_per_tick"] / 1000 for r in rows], "o-", label=f"mixer, {label}")
        ref = [r for r in rows if r["reference_mean_us_per_tick"] is not None]
        if ref:
            ax.plot([r["n"] for r in ref], [r["reference_mean_us_per_tick"] / 1000 for r in ref], "s--",
                    label=f"per-listener reference, {label}")
    ax.axhline(TICK_US / 1000, color="red", linewidth=1, label="20 ms tick (one core)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("participants in the room (N)")
    ax.set_ylabel("mean cost per tick (ms, one core)")
    ax.set_title("hubbub spatial mixer: cost of one 20 ms tick")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _fractions(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated fractions, got {text!r}") from exc
    if not values or any(not 0.0 <= v <= 1.0 for v in values):
        raise argparse.ArgumentTypeError("talking fractions must be in 0..1")
    return values


def parser() -> argparse.ArgumentParser:
    """The command line of `hubbub bench mixer` / `python -m bench.mixer`."""
    p = argparse.ArgumentParser(prog="hubbub bench mixer", description=__doc__)
    p.add_argument("--n", type=counts(1, 20_000), default=list(DEFAULT_N), help="room sizes (default 2,10,50,100,200,500,1000)")
    p.add_argument("--talking", type=_fractions, default=[1.0, 0.1], help="fractions talking (default 1,0.1)")
    p.add_argument("--ticks", type=int, default=200, help="timed ticks per case for the mixer (default 200)")
    p.add_argument("--radius", type=float, default=10.0, help="audible radius in metres (default 10)")
    p.add_argument("--area-per-person", type=float, default=10.0,
                   help="floor area per participant in m² (default 10: 1000 people in 100 x 100 m)")
    p.add_argument("--reference-max-n", type=int, default=1000, help="skip the slow reference above this N")
    p.add_argument("--reference-budget", type=float, default=3.0,
                   help="seconds per case for the reference (at least 2 ticks, default 3)")
    p.add_argument("--blas-threads", type=int, default=1, help="BLAS threads (default 1: figures are per core)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="N = 10 and 100, all and 10%% talking, 30 ticks (< 20 s)")
    p.add_argument("--json", metavar="PATH", help="write the results as JSON")
    p.add_argument("--plot", metavar="PNG", help="write a plot of cost per tick against N")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print a table, optionally write JSON and a plot; 0 on success, 2 on bad arguments."""
    p = parser()
    args = parse(p, sys.argv[1:] if argv is None else argv)
    if isinstance(args, int):
        return args
    if args.ticks < 1 or args.blas_threads < 1 or args.radius <= 0 or args.area_per_person <= 0 \
            or args.reference_budget <= 0:
        p.print_usage(sys.stderr)
        print("hubbub bench mixer: --ticks, --blas-threads, --radius, --area-per-person and --reference-budget "
              "must be positive", file=sys.stderr)
        return 2
    if args.quick:
        args.n, args.talking, args.ticks, args.reference_budget = list(QUICK_N), [1.0, 0.1], 30, 1.0
    cases = [(n, t) for n in args.n for t in args.talking]
    started = time.perf_counter()
    results = []
    with threadpool_limits(limits=args.blas_threads, user_api="blas"):
        info = machine()
        print(f"mixing benchmark: {len(cases)} cases, BLAS threads {args.blas_threads}, {info['cpu']}",
              file=sys.stderr)
        for index, (n, talking) in enumerate(cases, 1):
            print(f"[{index}/{len(cases)}] N={n} talking={talking:.0%} ...", end="", file=sys.stderr, flush=True)
            case_started = time.perf_counter()
            results.append(run_case(n, talking, args))
            print(f" {time.perf_counter() - case_started:.1f} s", file=sys.stderr, flush=True)
    print(table(results))
    print("cost = CPU time of this process per tick (one core, BLAS pinned); wall = elapsed time, which other "
          "processes on the machine inflate")
    report = {"benchmark": "hubbub mixer", "machine": info, "blas_threads": args.blas_threads,
              "ticks": args.ticks, "audible_radius_m": args.radius, "area_per_person_m2": args.area_per_person,
              "seconds": round(time.perf_counter() - started, 1), "results": results}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(report, out, indent=2)
            out.write("\n")
    if args.plot:
        plot(results, args.plot)
    return 0


def table(results: list[dict[str, Any]]) -> str:
    """The human-readable summary."""
    head = (f"{'N':>5} {'talk':>5} {'pairs':>7} {'mean µs':>9} {'p99 µs':>9} {'of core':>8} {'wall µs':>9} "
            f"{'ref µs':>11} {'speedup':>8}")
    lines = [head, "-" * len(head)]
    for r in results:
        ref = r["reference_mean_us_per_tick"]
        lines.append(f"{r['n']:>5} {r['talking_fraction']:>5.0%} {r['mean_pairs_mixed']:>7.0f} "
                     f"{r['mean_us_per_tick']:>9.1f} {r['p99_us_per_tick']:>9.1f} {r['realtime_fraction']:>8.2%} "
                     f"{r['wall_mean_us_per_tick']:>9.1f} "
                     f"{'-' if ref is None else f'{ref:.0f}':>11} "
                     f"{'-' if r['speedup'] is None else str(r['speedup']) + 'x':>8}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
