"""The benchmark CLI completes in --quick mode and writes valid JSON and a PNG (timings are not asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.mixer import main
from web.cli import main as hubbub

FIELDS = {"n", "talking_fraction", "mean_us_per_tick", "p99_us_per_tick", "realtime_fraction",
          "reference_mean_us_per_tick", "reference_p99_us_per_tick", "reference_realtime_fraction", "speedup"}


def test_quick_benchmark_writes_json_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, png = tmp_path / "bench.json", tmp_path / "bench.png"
    assert main(["--quick", "--json", str(out), "--plot", str(png)]) == 0
    report = json.loads(out.read_text())
    cases = {(r["n"], r["talking_fraction"]) for r in report["results"]}
    assert cases == {(10, 1.0), (10, 0.1), (100, 1.0), (100, 0.1)}
    for case in report["results"]:
        assert FIELDS <= case.keys()
        assert case["mean_us_per_tick"] > 0 and case["p99_us_per_tick"] >= case["mean_us_per_tick"] * 0.5
        assert case["realtime_fraction"] == pytest.approx(case["mean_us_per_tick"] / 20000, rel=1e-3, abs=1e-5)
        assert case["speedup"] == pytest.approx(  # rounded to 0.1 in the report
            case["reference_mean_us_per_tick"] / case["mean_us_per_tick"], abs=0.051)
        assert case["mean_pairs_mixed"] > 0
    assert report["blas_threads"] == 1 and report["machine"]["cpu"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    captured = capsys.readouterr()
    assert "speedup" in captured.out and "[4/4]" in captured.err


def test_hubbub_bench_mixer_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert hubbub(["bench", "mixer", "--n", "ten"]) == 2
    assert hubbub(["bench", "mixer", "--talking", "1.5"]) == 2
    assert hubbub(["bench", "mixer", "--ticks", "0"]) == 2
    assert "must be" in capsys.readouterr().err
    assert main(["--help"]) == 0
