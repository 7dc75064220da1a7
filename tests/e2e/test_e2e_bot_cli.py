"""`hubbub bot` as a user runs it: several bots of one API key in one process, recordings, summary."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import wave
from pathlib import Path

from world import MakeWorld
from serverproc import ROOT


async def _run_cli(*args: str, stop_after: float | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "web.cli", "bot", *args, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    if stop_after is not None:
        await asyncio.sleep(stop_after)
        proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_three_bots_of_one_key_record_and_summarise(world: MakeWorld, tmp_path: Path) -> None:
    w = world()
    listener = await w.bot(at=(10, 10))
    code, out, err = await _run_cli(
        "--server", w.server.base, "--room", w.room, "--api-key", w.member_key(), "--count", "3",
        "--name", "cli", "--ice-addresses", "127.0.0.1", "--tone", "440", "--at", "8,10", "--record", str(tmp_path / "mix.wav"), "--duration", "4",
    )
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    per_bot, total = lines[:-1], lines[-1]
    assert [b["bot"] for b in per_bot] == ["cli-1", "cli-2", "cli-3"]
    assert all(b["connected"] and b["frames_sent"] >= 150 and b["frames_received"] >= 150 for b in per_bot)
    assert total["bots"] == 3 and total["connected"] == 3
    for i in (1, 2, 3):
        with wave.open(str(tmp_path / f"mix-{i}.wav")) as wav:
            assert wav.getnchannels() == 2 and wav.getframerate() == 48000
            assert wav.getnframes() >= 3 * 48000
    # the listener heard three distinct participants of one account while they were there
    assert listener.peer.recorder.frames > 150


async def test_ctrl_c_ends_cleanly_with_a_summary(world: MakeWorld) -> None:
    w = world()
    await w.bot(tone=440.0, at=(10.0, 10.0))  # someone to hear: a silent mix is not sent (DTX)
    code, out, err = await _run_cli("--server", w.server.base, "--room", w.room, "--api-key", w.member_key(),
                                    "--ice-addresses", "127.0.0.1", "--wander", stop_after=4.0)
    assert code == 0, err
    summary = json.loads(out.splitlines()[-1])
    assert summary["connected"] == 1 and summary["frames_received"] > 50


async def test_bad_arguments_are_explained(world: MakeWorld, tmp_path: Path) -> None:
    w = world()
    key = w.member_key()
    code, _, err = await _run_cli("--server", w.server.base, "--room", w.room, "--api-key", key,
                                  "--play", str(tmp_path / "missing.wav"))
    assert code == 2 and "missing.wav" in err
    code, _, err = await _run_cli("--server", w.server.base, "--room", w.room, "--api-key", key, "--at", "nowhere")
    assert code == 2 and "X,Y" in err
    code, out, err = await _run_cli("--server", w.server.base, "--room", "not-a-room", "--api-key", key,
                                    "--duration", "1")
    assert code == 1 and "room_not_found" in err
    code, out, err = await _run_cli("--server", w.server.base, "--room", w.room, "--api-key", "hbk_bogus",
                                    "--duration", "1")
    assert code == 1 and "auth_failed" in err and "hbk_bogus" not in err
