"""Dependencies between the packages point one way (no cycles), read from every import statement,
the lazy and TYPE_CHECKING ones included."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# package -> the project packages it may import (third-party and stdlib are not checked here),
# bottom layer first
ALLOWED: dict[str, set[str]] = {
    "store": set(),
    "auth": {"store"},
    "rtc": set(),  # shared by the server's peers and the bots: imports neither
    "mixer": {"rtc"},  # pure DSP; only the frame format comes from rtc.audioformat
    "sfu": {"rtc", "mixer"},
    "bots": {"rtc", "sfu"},
    "bench": {"rtc", "mixer", "sfu", "bots"},  # drives a server as a process, never imports web
    "web": {"auth", "store", "rtc", "mixer", "sfu", "bots", "bench"},  # the CLI dispatches to bots and bench
}


def imported_packages(package: str) -> dict[str, set[str]]:
    """Project packages each module of `package` imports, by module path."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = (names & set(ALLOWED)) - {package}
    return found


def test_every_package_imports_only_the_layers_below_it() -> None:
    wrong = {module: sorted(names - ALLOWED[package])
             for package in ALLOWED for module, names in imported_packages(package).items()
             if names - ALLOWED[package]}
    assert wrong == {}


def test_the_allowed_dependencies_have_no_cycle() -> None:
    order = list(ALLOWED)  # each package may only depend on packages listed before it
    later = {p: sorted(deps - set(order[:i])) for i, (p, deps) in enumerate(ALLOWED.items())}
    assert {p: deps for p, deps in later.items() if deps} == {}
