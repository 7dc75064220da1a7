"""Media plane benchmark: ``hubbub bench media [--counts 5,10,20] [--seconds 10]``.

Runs the MediaPlane in this process and N bot peers (bots.BotPeer, real aiortc + Opus over
the machine's interface) in a CHILD process, so the CPU figures are the server's alone.
Offers and answers go over the child's stdin/stdout as JSON lines. Prints, per N: server
CPU per participant, event-loop lag, tick lateness, mix and encode time per tick, frames
out per second per listener; plus the per-frame cost of aiortc's audio level vs ours.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from typing import Any

from rtc.audioformat import FRAME_SAMPLES, FRAME_SECONDS, FRAME_VALUES, SAMPLE_RATE
from rtc.icegathering import GatherPolicy
from sfu.mediaconfig import MediaConfig
from sfu.plane import MediaPlane

LOOPBACK = ("127.0.0.1",)  # the plane and its bots talk over loopback only


async def _child(count: int) -> None:
    """Bot side: N peers on a circle, offers out, answers in, run until stdin closes."""
    from bots import BotPeer, ToneSource

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    bots = [BotPeer(ToneSource(200 + 37 * i), ice_addresses=LOOPBACK) for i in range(count)]
    for i, bot in enumerate(bots):
        print(json.dumps({"i": i, "offer": await bot.create_offer()}), flush=True)
    for _ in bots:
        msg = json.loads(await reader.readline())
        await bots[msg["i"]].accept_answer(msg["answer"])
    await asyncio.gather(*(b.wait_until_connected(20) for b in bots))
    print(json.dumps({"connected": True}), flush=True)
    await reader.readline()  # parent closes stdin when done
    received = [b.recorder.frames for b in bots]
    for b in bots:
        await b.close()
    print(json.dumps({"received": received}), flush=True)


async def _run(count: int, seconds: float, config: MediaConfig) -> dict[str, Any]:
    plane = MediaPlane(config)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.media", "--child", str(count),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for _ in range(count):
            msg = json.loads(await proc.stdout.readline())
            i = msg["i"]
            angle = 2 * math.pi * i / count
            answer = await plane.open_session(
                "bench", f"bot{i}", msg["offer"], x=3 * math.cos(angle), y=3 * math.sin(angle), heading=0
            )
            proc.stdin.write((json.dumps({"i": i, "answer": answer}) + "\n").encode())
            await proc.stdin.drain()
        assert json.loads(await proc.stdout.readline()) == {"connected": True}
        await asyncio.sleep(2.0)  # warm up
        plane.stats()  # resets the CPU window
        cpu0, t0, threads0 = time.process_time(), time.monotonic(), _thread_cpu()
        await asyncio.sleep(seconds)
        elapsed = time.monotonic() - t0
        cpu = (time.process_time() - cpu0) / elapsed
        threads = {k: (v - threads0.get(k, 0.0)) / elapsed for k, v in _thread_cpu().items()}
        stats = plane.stats()
        proc.stdin.write(b"done\n")
        await proc.stdin.drain()
        done = json.loads(await proc.stdout.readline())
    finally:
        await plane.close()
        if proc.returncode is None:
            proc.stdin.close()
            await proc.wait()
    room = stats["rooms_detail"]["bench"]
    outs = [s["frames_out_per_s"] for s in room["sessions"].values()]
    return {
        "participants": count,
        "server_cpu_percent": round(100 * cpu, 1),
        "cpu_percent_per_participant": round(100 * cpu / count, 2),
        "loop_thread_cpu_percent": round(100 * threads.get("loop", 0.0), 1),
        "mix_threads_cpu_percent": round(100 * threads.get("mix", 0.0), 1),
        "loop_lag_ms": stats["event_loop_lag_ms"],
        "tick_lateness_ms": room["tick_lateness_ms"],
        "mix_ms": room["mix_ms"],
        "encode_ms": room["encode_ms"],
        "mix_cpu_ms": room["mix_cpu_ms"],
        "encode_cpu_ms_all_listeners": room["encode_cpu_ms"],
        "loop_ms_per_tick": room["loop_ms_per_tick"],
        "frames_out_per_s_min": min(outs),
        "skipped_ticks": room["skipped_ticks"],
        "concealed": room["concealed"],
        "bots_received": sum(done["received"]),
    }


def _thread_cpu() -> dict[str, float]:
    """CPU seconds of this process's event-loop thread and of its mix workers (Linux /proc)."""
    import os
    import threading

    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for thread in threading.enumerate():
        kind = "loop" if thread is threading.main_thread() else "mix" if thread.name.startswith("hubbub-mix") else None
        if kind is None or thread.native_id is None:
            continue
        try:
            with open(f"/proc/self/task/{thread.native_id}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[kind] = out.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def _audio_level_figures() -> dict[str, float]:
    import av
    import numpy as np

    from rtc import audiolevel

    values = np.random.default_rng(0).integers(-3000, 3000, FRAME_VALUES).astype(np.int16).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(values, format="s16", layout="stereo")
    frame.sample_rate = SAMPLE_RATE
    out = {}
    for name, fn, n in (("aiortc_us", audiolevel.original(), 200),
                        ("numpy_us", audiolevel.compute_audio_level_dbov, 5000)):
        t0 = time.perf_counter()
        for _ in range(n):
            fn(frame)  # type: ignore[operator]
        out[name] = round((time.perf_counter() - t0) / n * 1e6, 1)
    return out


async def _placement(count: int, mode: str, ticks: int = 250) -> dict[str, Any]:
    """Loop lag while a room of ``count`` runs mix+encode on the loop, split, or in one worker job."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from mixer import Mixer
    from rtc.looplagmonitor import LoopLagMonitor
    from rtc.rollingstats import RollingStats
    from sfu.opusencoder import OpusEncoder

    rng = np.random.default_rng(0)
    mixer = Mixer()
    encoders = {}
    for i in range(count):
        mixer.add(f"p{i}", float(rng.uniform(0, 10)), float(rng.uniform(0, 10)), 0.0)
        encoders[f"p{i}"] = OpusEncoder()
    t = np.arange(FRAME_SAMPLES) / SAMPLE_RATE
    frames = {f"p{i}": np.repeat(3000 * np.sin(2 * np.pi * (150 + 20 * i) * t), 2).astype(np.int16)
              for i in range(count)}
    executor = ThreadPoolExecutor(1)

    def encode(result: Any) -> None:
        for pid, out in result.outputs.items():
            encoders[pid].encode(out)

    loop = asyncio.get_running_loop()
    job = RollingStats(100000)
    lag = LoopLagMonitor(interval=0.005, window=100000)
    lag.start()
    due = loop.time()
    for _ in range(ticks):
        due += FRAME_SECONDS
        await asyncio.sleep(max(0.0, due - loop.time()))
        t0 = time.perf_counter()
        if mode == "loop":
            encode(mixer.mix(frames))
        elif mode == "mix-on-loop":
            await loop.run_in_executor(executor, encode, mixer.mix(frames))
        else:
            await loop.run_in_executor(executor, lambda: encode(mixer.mix(frames)))
        job.add(time.perf_counter() - t0)
    await lag.stop()
    executor.shutdown()
    return {"placement": mode, "participants": count, "loop_lag_ms": lag.lag.summary(1000),
            "tick_work_ms": job.summary(1000)}


def main(argv: list[str] | None = None) -> int:
    """Entry point: print one JSON line per participant count."""
    parser = argparse.ArgumentParser(prog="hubbub bench media", description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="5,10,20", help="participant counts to measure")
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window per count")
    parser.add_argument("--bitrate", type=int, default=64000)
    parser.add_argument("--aiortc-send", action="store_true",
                        help="send through aiortc's sender tasks instead of the room's direct path (A/B)")
    parser.add_argument("--aiortc-receive", action="store_true",
                        help="receive through aiortc's receive path instead of the direct one (A/B)")
    parser.add_argument("--placement", action="store_true",
                        help="only compare mix+encode on the loop / mix on loop / all in a worker (no peers)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        asyncio.run(_child(args.child))
        return 0
    if args.placement:
        for count in (int(c) for c in args.counts.split(",")):
            for mode in ("loop", "mix-on-loop", "worker"):
                print(json.dumps(asyncio.run(_placement(count, mode))), flush=True)
        return 0
    print(json.dumps({"audio_level_per_stereo_frame": _audio_level_figures()}), flush=True)
    for count in (int(c) for c in args.counts.split(",")):
        config = MediaConfig(bitrate=args.bitrate, gathering=GatherPolicy(addresses=LOOPBACK),
                             direct_send=not args.aiortc_send, direct_receive=not args.aiortc_receive)
        result = asyncio.run(_run(count, args.seconds, config))
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
