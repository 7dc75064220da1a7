"""`hubbub bench capacity --quick` against a real server process: the report's shape and sanity (N=4)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.capacity import main

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_reports_every_figure_and_writes_json_and_plot(tmp_path: Path) -> None:
    out, png = tmp_path / "capacity.json", tmp_path / "capacity.png"
    done = subprocess.run([sys.executable, "-m", "web.cli", "bench", "capacity", "--quick", "--json", str(out),
                           "--plot", str(png)], cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    assert "connected 4/4" in done.stderr and "[1/1] N=4" in done.stderr  # progress
    assert "largest N with every listener >= 49.5 frames/s, 100% talking: 4" in done.stdout
    report = json.loads(out.read_text())
    assert report["largest_n_holding"] == {"100% talking": 4}
    (run,) = report["runs"]
    assert run["n"] == 4 and run["talkers"] == 4 and run["dtx"] is False and run["cpu_quota"] is None
    assert len(run["frames_per_s"]) == 4 and all(f >= 45 for f in run["frames_per_s"])
    assert run["frames_per_s_min"] >= 45 and run["holds"] == (run["frames_per_s_min"] >= 49.5)
    assert 0 < run["cpu_percent_per_participant"] < 50
    assert run["server_cpu_percent"] == pytest.approx(4 * run["cpu_percent_per_participant"], abs=0.1)
    assert "tick_lateness_ms" in run["media_ms"], run
    late = run["media_ms"]["tick_lateness_ms"]
    assert 0 <= late["p50"] <= late["p99"]
    assert run["media_ms"]["mix_ms"]["p50"] > 0
    assert run["packets_lost"] == 0 and run["duplicates"] == 0
    assert run["load_generator"]["processes"] == 1 and run["load_generator"]["sockets_closed"] == 0
    (case,) = report["cases"]
    assert case["n"] == 4 and case["runs"] == 1 and case["cpu_percent_per_participant"][0] > 0
    assert report["machine"]["logical_cpus"] >= 1
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_arguments_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--n", "ten"]) == 2
    assert main(["--talking", "1.5"]) == 2
    assert main(["--runs", "0"]) == 2
    assert "must be" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "usage: hubbub bench capacity" in capsys.readouterr().out
