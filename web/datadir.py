"""The data directory: created private (0700), checked usable, and locked by one server.

Two `hubbub serve` on one directory would both migrate, both accept writes and hand out
conflicting ids; an advisory lock (`flock` on `<data-dir>/lock`, released by the kernel when
the process ends, even on SIGKILL) makes the second one stop with a clear message instead.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

LOCK_NAME = "lock"


class DataDirError(Exception):
    """The data directory cannot be used; the message is one line naming it and the reason."""


class DataDirLock:
    """Held while the server runs; `release()` (or process exit) frees the directory."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        """Unlock and close (safe to call twice)."""
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.EEXIST, errno.ENOTDIR):
        return "not a directory"
    return exc.strerror or type(exc).__name__


def prepare(path: Path) -> DataDirLock:
    """Create the directory (mode 0700) if missing, check it is a writable directory, lock it."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        reason = _reason(exc)
        verb = "use" if reason == "not a directory" else "create"
        raise DataDirError(f"cannot {verb} data directory {path}: {reason}") from None
    if not path.is_dir():
        raise DataDirError(f"cannot use data directory {path}: not a directory")
    if not os.access(path, os.W_OK | os.X_OK):
        raise DataDirError(f"cannot use data directory {path}: not writable")
    try:
        fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DataDirError(f"cannot use data directory {path}: {_reason(exc)}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise DataDirError(f"data directory {path} is in use by another hubbub server (pid {holder})") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    return DataDirLock(fd)
