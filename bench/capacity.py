"""`hubbub bench capacity`: how many participants one real `hubbub serve` process holds in one room.

N light clients (pre-encoded Opus up, packets only counted down, spread over client processes)
join one room 2 m apart on a grid, all on 127.0.0.1. A fraction talk (a tone); the others send
coded silence at 50 packets/s, or with --dtx what WebRTC sends for silence with Opus DTX. Per N,
over a window after a warm-up: the server's CPU per participant (all its threads, /proc), frames
per second each listener got (min and median), the room's tick lateness and mix/encode times from
/health, and the largest N where every listener got >= 49.5 frames/s.

    hubbub bench capacity --n 10,20,30,40 --seconds 20 --runs 2 --json out.json --plot out.png
    hubbub bench capacity --n 20,40 --talking 0.1 --dtx --json out.json --append --plot out.png
    hubbub bench capacity --n 10 --cpu-quota 0.3        # the server gets 30 % of one core
    hubbub bench capacity --quick                       # N = 4, a few seconds (the test suite)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import aiohttp

from bench.cliargs import counts, number, parse
from bench.cpuquota import CpuQuota
from bench.lightclient import LOOPBACK, Seat
from bench.loadworker import WorkerJob, summary_of, worker_main
from bench.opusclip import Clip, dtx_clip, silence_clip, tone_clip
from bench.serverprocess import Server, machine_busy_seconds, proc_cpu_seconds

TARGET_FPS = 49.5
SPACING_M = 2.0
DEFAULT_N = (10, 20, 30, 40)
SIGNUP_SECRET = "capacity-signup-secret"
PASSWORD = "capacity password 1"
HEALTH_WINDOW_S = 10.0  # the server's p50/p99 windows cover its last 500 ticks


@dataclass(frozen=True)
class Scenario:
    """What is measured besides N: who talks, whether the quiet ones use DTX, and the server's CPU quota."""

    talking: float
    dtx: bool
    cpu_quota: float | None
    cpu_period_ms: int = 100  # the CFS period of the quota (Linux's and Docker's default: 100 ms)

    @property
    def label(self) -> str:
        """Short name for tables and plot legends."""
        period = f"/{self.cpu_period_ms} ms" if self.cpu_period_ms != 100 else ""
        quota = f", quota {self.cpu_quota:g} core{period}" if self.cpu_quota else ""
        return f"{self.talking:.0%} talking{', DTX' if self.dtx else ''}{quota}"

    def key(self, run: dict[str, Any]) -> bool:
        """Whether a run of the report belongs to this scenario."""
        return scenario_of(run) == self


def scenario_of(run: dict[str, Any]) -> Scenario:
    """The scenario a reported run was measured in."""
    return Scenario(run["talking_fraction"], run["dtx"], run["cpu_quota"], run.get("cpu_period_ms", 100))


def seats(n: int, talking: float, dtx: bool, clips: dict[str, Clip]) -> list[Seat]:
    """N people on a square grid SPACING_M apart; talkers spread evenly; everyone starts at a different
    place in their clip."""
    cols = math.ceil(math.sqrt(n))
    talkers = max(1, round(talking * n)) if talking > 0 else 0
    talker_at = {math.floor(j * n / talkers) for j in range(talkers)}
    out = []
    for i in range(n):
        clip = "tone" if i in talker_at else ("dtx" if dtx else "silence")
        out.append(Seat(f"c{i:03d}", SPACING_M * (0.5 + i % cols), SPACING_M * (0.5 + i // cols), clip,
                        (i * 7) % len(clips[clip].frames)))
    return out


async def _setup(base: str, n: int) -> tuple[str, str]:
    """One account, one API key, one room of n: (API key, room id)."""
    side = SPACING_M * math.ceil(math.sqrt(n))
    async with aiohttp.ClientSession(base_url=base + "/") as http:
        async def call(method: str, path: str, body: dict[str, Any], token: str | None = None) -> Any:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with http.request(method, f"api/{path}", json=body, headers=headers) as r:
                if r.status >= 300:
                    raise RuntimeError(f"{method} /api/{path}: {r.status} {await r.text()}")
                return await r.json()

        await call("POST", "auth/register", {"username": "capacity", "password": PASSWORD,
                                              "signup_secret": SIGNUP_SECRET})
        token = (await call("POST", "auth/login", {"username": "capacity", "password": PASSWORD}))["access_token"]
        key = (await call("POST", "me/api-keys", {"name": "capacity"}, token))["key"]
        room = await call("POST", "rooms", {"name": "capacity", "width": side, "height": side,
                                            "max_participants": n}, token)
        return str(key), str(room["room"]["id"])


async def _health_room(base: str, room: str) -> dict[str, Any]:
    """The room's entry in the `media` section of GET /health ({} if there is none)."""
    async with aiohttp.ClientSession() as http, http.get(f"{base}/health") as r:
        body = await r.json()
    media = body.get("media") or {}
    entry = (media.get("rooms") or {}).get(room) or {}
    if "event_loop_lag_ms" in media:
        entry = {**entry, "event_loop_lag_ms": media["event_loop_lag_ms"]}
    return dict(entry)


def media_windows(samples: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Every p50/p99 window /health offers (tick lateness, mix, encode, decode...: whatever exists):
    the median of the sampled p50s and the largest sampled p99."""
    names = sorted({k for s in samples for k, v in s.items() if isinstance(v, dict) and "p99" in v})
    out: dict[str, dict[str, float | None]] = {}
    for name in names:
        p50s = [s[name]["p50"] for s in samples if isinstance(s.get(name), dict) and s[name].get("p50") is not None]
        p99s = [s[name]["p99"] for s in samples if isinstance(s.get(name), dict) and s[name].get("p99") is not None]
        out[name] = {"p50": round(statistics.median(p50s), 3) if p50s else None,
                     "p99": round(max(p99s), 3) if p99s else None}
    return out


class _Workers:
    """The client processes of one run and their pipes."""

    def __init__(self, jobs: list[WorkerJob]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.procs: list[Any] = []
        self.pipes: list[Connection] = []
        for job in jobs:
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(job, theirs), daemon=True)
            proc.start()
            theirs.close()
            self.procs.append(proc)
            self.pipes.append(mine)

    def receive(self, timeout: float) -> list[tuple[int, Any]]:
        """Messages that arrive within ``timeout`` (blocking: run it in an executor)."""
        ready = wait(self.pipes, timeout)
        out = []
        for pipe in ready:
            assert isinstance(pipe, Connection)
            try:
                out.append((self.pipes.index(pipe), pipe.recv()))
            except EOFError as exc:
                raise RuntimeError("a client process died") from exc
        return out

    def stop(self) -> None:
        """Hang up the pipes (a worker still waiting then closes its clients), wait, kill any that hang."""
        for pipe in self.pipes:
            pipe.close()
        for proc in self.procs:
            proc.join(15)
            if proc.is_alive():
                proc.kill()
                proc.join()


async def _gather_messages(workers: _Workers, kind: str, deadline: float,
                           on_message: Callable[[Any], None]) -> list[Any]:
    """Wait until every worker sent ``kind``; pass the others to on_message; a ``failed`` raises."""
    loop = asyncio.get_running_loop()
    got: dict[int, Any] = {}
    while len(got) < len(workers.pipes):
        if time.monotonic() > deadline:
            raise TimeoutError(f"client processes did not report {kind!r} in time")
        for index, msg in await loop.run_in_executor(None, workers.receive, 1.0):
            if msg[0] == "failed":
                raise RuntimeError(f"client process {index}: {msg[1]}")
            if msg[0] == kind:
                got[index] = msg[1] if len(msg) > 1 else None
            else:
                on_message(msg)
    return [got[i] for i in range(len(workers.pipes))]


def say(text: str, end: str = "\n") -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(text, end=end, file=sys.stderr, flush=True)


async def run_once(n: int, scenario: Scenario, *, seconds: float, warmup: float, per_process: int,
                   clips: dict[str, Clip], lift_after: float | None = None) -> dict[str, Any]:
    """One fresh server, n clients, one measuring window: the run's figures."""
    loadavg = [round(v, 2) for v in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="hubbub-capacity-") as tmp, ExitStack() as stack:
        server = Server(Path(tmp) / "data", SIGNUP_SECRET, ("--ice-addresses", LOOPBACK))
        server.start()
        stack.callback(server.stop)
        quota = stack.enter_context(CpuQuota(scenario.cpu_quota, period_us=scenario.cpu_period_ms * 1000)
                                    .on(server.pid)) if scenario.cpu_quota else None
        api_key, room = await _setup(server.base, n)
        all_seats = seats(n, scenario.talking, scenario.dtx, clips)
        groups = [tuple(all_seats[k::math.ceil(n / per_process)]) for k in range(math.ceil(n / per_process))]
        ws_url = server.base.replace("http://", "ws://") + "/ws"
        jobs = [WorkerJob(ws_url, api_key, room, g, tuple(clips.values()), scenario.dtx) for g in groups]
        say(f"  server pid {server.pid} on {server.base}; {n} clients in {len(jobs)} processes")
        workers = _Workers(jobs)
        stack.callback(workers.stop)
        connected = 0

        def progress(msg: Any) -> None:
            nonlocal connected
            if msg[0] == "connected":
                connected += 1
                if sys.stderr.isatty() or connected == n or connected % 10 == 0:
                    say(f"\r  connected {connected}/{n}", end="" if sys.stderr.isatty() and connected < n else "\n")

        await _gather_messages(workers, "ready", time.monotonic() + 60 + 3 * n, progress)
        t0 = time.monotonic() + warmup
        t1 = t0 + seconds
        for pipe in workers.pipes:
            pipe.send((t0, t1))
        say(f"  warming up {warmup:g} s, measuring {seconds:g} s")
        await asyncio.sleep(max(0.0, t0 - time.monotonic()))
        cpu0, busy0 = proc_cpu_seconds(server.pid), machine_busy_seconds()
        throttled0 = quota.throttled_seconds() if quota else 0.0
        first = await _health_room(server.base, room)
        samples = []
        recovered_after = None
        if quota is not None and lift_after is not None:  # the quota goes: how soon is quality full again?
            await asyncio.sleep(max(0.0, t0 + lift_after - time.monotonic()))
            samples.append(await _health_room(server.base, room))
            quota.lift()
            lifted = time.monotonic()
            while time.monotonic() < t1:
                if (await _health_room(server.base, room)).get("quality_level") == 0:
                    recovered_after = round(time.monotonic() - lifted, 2)
                    break
                await asyncio.sleep(0.05)
        for at in [t0 + k * HEALTH_WINDOW_S for k in range(1, math.ceil(seconds / HEALTH_WINDOW_S))]:
            if at > time.monotonic():
                await asyncio.sleep(at - time.monotonic())
                samples.append(await _health_room(server.base, room))
        await asyncio.sleep(max(0.0, t1 - time.monotonic()))
        cpu1, busy1 = proc_cpu_seconds(server.pid), machine_busy_seconds()
        throttled1 = quota.throttled_seconds() if quota else 0.0
        samples.append(await _health_room(server.base, room))
        parts = await _gather_messages(workers, "done", time.monotonic() + 60, lambda msg: None)
        for pipe in workers.pipes:
            pipe.send("close")
    listeners = {dev: fc for part in parts for dev, fc in part["listeners"].items()}
    fps = sorted(fc["frames"] / fc["seconds"] for fc in listeners.values())
    cpu = 100 * (cpu1 - cpu0) / seconds
    last = samples[-1]
    generator = summary_of(parts)
    generator["cpu_percent"] = round(100 * generator.pop("cpu_seconds") / seconds, 1)
    others = 100 * (busy1 - busy0) / seconds - cpu - generator["cpu_percent"]
    return {
        "n": n, "talking_fraction": scenario.talking, "talkers": sum(s.clip == "tone" for s in all_seats),
        "dtx": scenario.dtx, "cpu_quota": scenario.cpu_quota, "cpu_period_ms": scenario.cpu_period_ms,
        "quota_lifted_after_s": lift_after if quota is not None else None,
        "full_quality_again_after_s": recovered_after,
        "seconds": seconds, "warmup_s": warmup,
        "server_cpu_percent": round(cpu, 1), "cpu_percent_per_participant": round(cpu / n, 2),
        "frames_per_s_min": round(fps[0], 2), "frames_per_s_median": round(statistics.median(fps), 2),
        "holds": fps[0] >= TARGET_FPS,
        "frames_per_s": [round(f, 2) for f in fps],
        "packets_lost": sum(fc["lost"] for fc in listeners.values()),
        "duplicates": sum(fc["duplicates"] for fc in listeners.values()),
        "dtx_frames_received": sum(fc["dtx_frames"] for fc in listeners.values()),
        "media_ms": media_windows(samples),
        "server": {k: last.get(k) for k in ("ticks", "skipped_ticks", "concealed", "altered", "frames_in_per_s",
                                            "frames_out_per_s", "connected", "quality_raised", "capped_pairs")},
        "quality_level_max": max(int(s.get("quality_level") or 0) for s in samples),  # 0 = full quality throughout
        # inbound frames the server did not play as sent (concealed, recovered, shed), per source, in the window
        "altered_fraction": round((int(last.get("altered") or 0) - int(first.get("altered") or 0))
                                  / max(1, n * seconds * 50), 5),
        "throttled_s": round(throttled1 - throttled0, 2) if quota else None,
        "load_generator": generator,
        "other_processes_cpu_percent": round(max(0.0, others), 1),  # the rest of a shared machine, same window
        "loadavg_before": loadavg,
    }


def cases(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs grouped by scenario and N, with the spread over repeats."""
    out = []
    for scenario in dict.fromkeys(scenario_of(r) for r in runs):
        for n in sorted({r["n"] for r in runs if scenario.key(r)}):
            group = [r for r in runs if scenario.key(r) and r["n"] == n]

            def spread(values: list[Any]) -> list[Any]:
                present = [v for v in values if v is not None]
                return [min(present), max(present)] if present else [None, None]

            out.append({
                "scenario": scenario.label, "n": n, "runs": len(group), "talking_fraction": scenario.talking,
                "dtx": scenario.dtx, "cpu_quota": scenario.cpu_quota,
                "cpu_percent_per_participant": spread([r["cpu_percent_per_participant"] for r in group]),
                "server_cpu_percent": spread([r["server_cpu_percent"] for r in group]),
                "frames_per_s_min": spread([r["frames_per_s_min"] for r in group]),
                "frames_per_s_median": spread([r["frames_per_s_median"] for r in group]),
                "other_processes_cpu_percent": spread([r.get("other_processes_cpu_percent") for r in group]),
                "quality_level_max": spread([r.get("quality_level_max") for r in group]),
                "media_ms": {name: {q: spread([r["media_ms"].get(name, {}).get(q) for r in group]) for q in ("p50", "p99")}
                             for name in sorted({k for r in group for k in r["media_ms"]})},
                "holds": all(r["holds"] for r in group),
            })
    return out


def largest_holding(summary: list[dict[str, Any]]) -> dict[str, int | None]:
    """Per scenario, the largest N at which every listener of every run got >= TARGET_FPS frames/s."""
    out: dict[str, int | None] = {}
    for case in summary:
        best = out.setdefault(case["scenario"], None)
        if case["holds"] and (best is None or case["n"] > best):
            out[case["scenario"]] = case["n"]
    return out


def _range(values: list[Any], digits: int = 2) -> str:
    lo, hi = values
    if lo is None:
        return "-"
    return f"{lo:.{digits}f}" if lo == hi else f"{lo:.{digits}f}-{hi:.{digits}f}"


def table(summary: list[dict[str, Any]]) -> str:
    """The human-readable report: one row per scenario and N, ranges over repeated runs ("others %": CPU that
    the rest of the machine used meanwhile, in % of one core)."""
    extra = sorted({k for c in summary for k in c["media_ms"]} - {"tick_lateness_ms", "event_loop_lag_ms"})
    head = (f"{'scenario':<28} {'N':>3} {'runs':>4} {'CPU %/part.':>11} {'server %':>11} {'fps min':>11} "
            f"{'fps median':>11} {'late p50 ms':>11} {'late p99 ms':>11} "
            + " ".join(f"{name.removesuffix('_ms') + ' p50':>14}" for name in extra)
            + f" {'quality':>7} {'others %':>11} {'holds':>5}")
    lines = [head, "-" * len(head)]
    for c in summary:
        late = c["media_ms"].get("tick_lateness_ms", {"p50": [None, None], "p99": [None, None]})
        lines.append(
            f"{c['scenario']:<28} {c['n']:>3} {c['runs']:>4} {_range(c['cpu_percent_per_participant']):>11} "
            f"{_range(c['server_cpu_percent'], 1):>11} {_range(c['frames_per_s_min'], 1):>11} "
            f"{_range(c['frames_per_s_median'], 1):>11} {_range(late['p50'], 1):>11} {_range(late['p99'], 1):>11} "
            + " ".join(f"{_range(c['media_ms'].get(name, {}).get('p50', [None, None])):>14}" for name in extra)
            + f" {_range(c.get('quality_level_max', [None, None]), 0):>7}"
            + f" {_range(c['other_processes_cpu_percent'], 0):>11} {'yes' if c['holds'] else 'NO':>5}")
    return "\n".join(lines)


def plot(runs: list[dict[str, Any]], path: str) -> None:
    """CPU per participant, the worst listener's frames/s and tick lateness p99 against N, per scenario."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (cpu_ax, fps_ax, late_ax) = plt.subplots(1, 3, figsize=(15, 4.6))
    for index, scenario in enumerate(dict.fromkeys(scenario_of(r) for r in runs)):
        color = f"C{index}"
        mine = [r for r in runs if scenario.key(r)]
        ns = sorted({r["n"] for r in mine})
        for ax, value in ((cpu_ax, lambda r: r["cpu_percent_per_participant"]),
                          (fps_ax, lambda r: r["frames_per_s_min"]),
                          (late_ax, lambda r: r["media_ms"].get("tick_lateness_ms", {}).get("p99"))):
            points = [(r["n"], value(r)) for r in mine if value(r) is not None]
            ax.plot([p[0] for p in points], [p[1] for p in points], "o", color=color, alpha=0.6)
            means = [(n, statistics.fmean(v for m, v in points if m == n)) for n in ns if any(m == n for m, _ in points)]
            ax.plot([m[0] for m in means], [m[1] for m in means], "-", color=color,
                    label=scenario.label if ax is cpu_ax else None)
    fps_ax.axhline(TARGET_FPS, color="red", linewidth=1, linestyle="--", label=f"{TARGET_FPS} frames/s")
    late_ax.axhline(20, color="red", linewidth=1, linestyle="--", label="one tick (20 ms)")
    late_ax.set_yscale("log")
    late_ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    late_ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    cpu_ax.set_ylim(bottom=0)
    fps_ax.set_ylim(0, 52)
    for ax, ylabel in ((cpu_ax, "server CPU per participant (% of one core)"),
                       (fps_ax, "frames/s of the worst listener"),
                       (late_ax, "tick lateness p99 (ms)")):
        ax.set_xlabel("participants in one room (N)")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("hubbub capacity: one server process, one room, clients 2 m apart (dots: runs, lines: means)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def machine() -> dict[str, Any]:
    """Where the figures came from."""
    import aiortc

    cpu = platform.processor() or "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    return {"cpu": cpu, "logical_cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "aiortc": aiortc.__version__, "nice": os.nice(0)}


def parser() -> argparse.ArgumentParser:
    """The command line of `hubbub bench capacity` / `python -m bench.capacity`."""
    p = argparse.ArgumentParser(prog="hubbub bench capacity", description="\n\n".join(__doc__.split("\n\n")[:2]),
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 2)[2])
    p.add_argument("--n", type=counts(2, 500), default=list(DEFAULT_N), help="room sizes to sweep (default 10,20,30,40)")
    p.add_argument("--talking", type=number(float, 0, 1), default=1.0,
                   help="fraction of clients sending a tone (default 1)")
    p.add_argument("--dtx", action="store_true", help="quiet clients send Opus DTX (a packet per 420 ms), not "
                   "50 packets/s of coded silence")
    p.add_argument("--cpu-quota", type=number(float, 0.01, 64), default=None, metavar="FRACTION",
                   help="run the server in a cgroup v1 cpu group with this fraction of one core (root)")
    p.add_argument("--cpu-period-ms", type=number(int, 1, 1000), default=100, metavar="MS",
                   help="CFS period of the quota (default 100, as Linux and Docker; shorter = finer throttling)")
    p.add_argument("--lift-quota-after", type=number(float, 0), default=None, metavar="S",
                   help="remove the quota S seconds into the window and report how soon quality is full again")
    p.add_argument("--seconds", type=number(float, 1), default=20.0, help="measuring window per run (default 20)")
    p.add_argument("--warmup", type=number(float, 0), default=5.0,
                   help="seconds after everyone connected (default 5)")
    p.add_argument("--runs", type=number(int, 1), default=1, help="repeats per N, each with a fresh server (default 1)")
    p.add_argument("--per-process", type=number(int, 1), default=10,
                   help="clients per load-generator process (default 10)")
    p.add_argument("--json", metavar="PATH", help="write every run and the summary as JSON")
    p.add_argument("--append", action="store_true", help="add to the runs already in --json (other scenarios)")
    p.add_argument("--plot", metavar="PNG", help="plot CPU, frames/s and lateness against N (all runs in the JSON)")
    p.add_argument("--quick", action="store_true", help="N = 4, 3 s window after 2 s warm-up (for the tests)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print the table, write JSON and plot; 0 when done (whatever the figures), 2 on bad arguments."""
    args = parse(parser(), sys.argv[1:] if argv is None else argv)
    if isinstance(args, int):
        return args
    if args.quick:
        args.n, args.seconds, args.warmup = [4], 3.0, 2.0
    scenario = Scenario(args.talking, args.dtx, args.cpu_quota, args.cpu_period_ms)
    if scenario.cpu_quota:
        CpuQuota(scenario.cpu_quota, period_us=args.cpu_period_ms * 1000)  # fail now, not after a server started
    clips = {c.name: c for c in (tone_clip(), silence_clip(), dtx_clip())}
    previous: list[dict[str, Any]] = []
    if args.append and args.json and Path(args.json).exists():
        previous = json.loads(Path(args.json).read_text())["runs"]
    say(f"capacity: N={','.join(map(str, args.n))}, {scenario.label}; {args.seconds:g} s windows after "
        f"{args.warmup:g} s warm-up, {args.runs} run(s) each; load average {os.getloadavg()[0]:.2f}")
    runs = []
    todo = [(n, k) for k in range(args.runs) for n in args.n]  # repeats alternate: drift spreads over every N
    for index, (n, k) in enumerate(todo, 1):
        say(f"[{index}/{len(todo)}] N={n} run {k + 1}/{args.runs}")
        run = asyncio.run(run_once(n, scenario, seconds=args.seconds, warmup=args.warmup,
                                   per_process=args.per_process, clips=clips, lift_after=args.lift_quota_after))
        late = run["media_ms"].get("tick_lateness_ms", {})
        say(f"  {run['cpu_percent_per_participant']:.2f} % of a core per participant, frames/s min "
            f"{run['frames_per_s_min']:.1f} median {run['frames_per_s_median']:.1f}, tick lateness p50/p99 "
            f"{late.get('p50')}/{late.get('p99')} ms; CPU of the load generator {run['load_generator']['cpu_percent']} %, "
            f"of other processes {run['other_processes_cpu_percent']} %; quality level up to "
            f"{run['quality_level_max']}"
            + (f", full again {run['full_quality_again_after_s']} s after the quota went"
               if run["quota_lifted_after_s"] is not None else ""))
        runs.append(run)
    all_runs = previous + runs
    summary = cases(all_runs)
    print(table(summary))
    holding = largest_holding(summary)
    for label, n in holding.items():
        print(f"largest N with every listener >= {TARGET_FPS} frames/s, {label}: {n if n is not None else 'none'}")
    report = {"benchmark": "hubbub capacity", "machine": machine(), "target_frames_per_s": TARGET_FPS,
              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "loadavg_after": [round(v, 2) for v in os.getloadavg()],
              "largest_n_holding": holding, "cases": summary, "runs": all_runs}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    if args.plot:
        plot(all_runs, args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
