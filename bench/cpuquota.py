"""Less CPU for the server under test: a cgroup v1 ``cpu`` controller group with a CFS quota.

Overload is tested by giving the server a fraction of one core rather than more clients than the
machine can generate. Needs root and the v1 cpu controller (mounted at /sys/fs/cgroup/cpu on
these machines). The group is made next to our own, the server's process (all its threads) moves
in, and on release moves back and the group is removed.
"""

from __future__ import annotations

import os
from pathlib import Path

CPU_MOUNT = Path("/sys/fs/cgroup/cpu")
PERIOD_US = 100_000


def _own_group(mount: Path) -> Path:
    """The cpu-controller group this process is in (from /proc/self/cgroup)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "cpu" in controllers.split(","):
            return mount / path.lstrip("/")
    return mount


class CpuQuota:
    """``fraction`` of one core for one process; a context manager (``with CpuQuota(0.5).on(pid)``)."""

    def __init__(self, fraction: float, mount: Path = CPU_MOUNT, period_us: int = PERIOD_US) -> None:
        if not 0.01 <= fraction <= 64:
            raise ValueError(f"a CPU quota is 0.01 .. 64 cores, got {fraction}")
        if not 1_000 <= period_us <= 1_000_000:
            raise ValueError(f"a CFS period is 1 .. 1000 ms, got {period_us} us")
        self.period_us = period_us
        if not (mount / "cpu.cfs_quota_us").exists():
            raise OSError(f"no cgroup v1 cpu controller at {mount} (needed for --cpu-quota)")
        self.fraction = fraction
        self.parent = _own_group(mount)
        self.group = self.parent / f"hubbub-capacity-{os.getpid()}"
        self.pid: int | None = None

    def on(self, pid: int) -> CpuQuota:
        """Create the group with the quota and move ``pid`` (every thread) into it."""
        self.group.mkdir(exist_ok=True)
        (self.group / "cpu.cfs_period_us").write_text(str(self.period_us))
        (self.group / "cpu.cfs_quota_us").write_text(str(round(self.fraction * self.period_us)))
        (self.group / "cgroup.procs").write_text(str(pid))
        self.pid = pid
        return self

    def lift(self) -> None:
        """No limit any more (the process stays in the group until release)."""
        (self.group / "cpu.cfs_quota_us").write_text("-1")

    def throttled_seconds(self) -> float:
        """How long the group's tasks were held back by the quota so far (cpu.stat throttled_time)."""
        for line in (self.group / "cpu.stat").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "throttled_time":
                return int(value) / 1e9
        return 0.0

    def release(self) -> None:
        """Move whatever is left in the group back to our own group, then remove the group (idempotent)."""
        if not self.group.exists():
            return
        for pid in (self.group / "cgroup.procs").read_text().split():
            try:
                (self.parent / "cgroup.procs").write_text(pid)
            except ProcessLookupError:  # exited meanwhile
                pass
        self.group.rmdir()

    def __enter__(self) -> CpuQuota:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
