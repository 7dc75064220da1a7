import sys

import pytest

from web.cli import main


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for cmd in ("serve", "bench mixer", "bot"):
        assert cmd in out


def test_unknown_command_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "unknown command" in capsys.readouterr().err


def test_every_benchmark_is_a_hubbub_bench_command(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("media", "fanout"):
        with pytest.raises(SystemExit) as exited:
            main(["bench", name, "--help"])
        assert exited.value.code == 0
        assert f"usage: hubbub bench {name}" in capsys.readouterr().out


def test_bench_without_the_bench_extra_says_how_to_get_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "bench.mixer", raising=False)
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # as if not installed
    assert main(["bench", "mixer", "--quick"]) == 2
    assert "pip install 'hubbub[bench]'" in capsys.readouterr().err
