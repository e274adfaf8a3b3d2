"""The one way genhus writes a file: atomically, so that no reader sees half of one.

Every output (plans, results, scenarios, workbooks, the report, its charts,
the letters and the activity plan) goes through :func:`write_file`; a
command that fills a whole directory claims it first with
:func:`claim_directory`, so that two runs never mix their files.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["DirectoryBusy", "claim_directory", "write_file"]


class DirectoryBusy(OSError):
    """Another process holds the output directory (:func:`claim_directory`)."""


@contextmanager
def claim_directory(directory: Path) -> Iterator[None]:
    """Hold ``directory`` as this process' output directory while the block runs.

    The directory is created if missing and must be writable (a temporary
    file is made and removed at once), so a run learns before minutes of
    search, not after, that it cannot write its outputs. It is then locked
    (``flock`` on the directory itself, so no lock file is left behind): a
    second claim, from this or another process, fails until the block ends
    or the holder dies. Where ``flock`` does not exist (Windows) the
    directory is checked but not locked. A directory the claim created and
    nothing was written to is removed again at the end.

    Parameters
    ----------
    directory
        The output directory.

    Raises
    ------
    DirectoryBusy
        If another claim holds the directory.
    OSError
        If the directory cannot be created or written.
    """
    created = not directory.is_dir()
    directory.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
        if sys.platform == "win32":
            yield
            return
        import fcntl

        fd = os.open(directory, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DirectoryBusy(
                    f"{directory}: another genhus run is writing to this directory"
                ) from None
            yield
        finally:
            os.close(fd)  # releases the lock
    finally:
        if created and directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()


def _new_file_mode() -> int:
    """Permissions a newly created file gets under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_file(path: str | os.PathLike[str], data: str | bytes, *, durable: bool = True) -> Path:
    """Write a file so that readers see the old or the new content, never half.

    The content goes to a temporary file in the same directory, which is then
    renamed over ``path`` (:func:`os.replace`). If anything fails the
    temporary file is removed and ``path`` is untouched. A replaced file
    keeps its permissions; a new one gets those of the current umask.

    Parameters
    ----------
    path
        Target file; its directory must exist.
    data
        Text (written as UTF-8) or bytes.
    durable
        Flush the file, and then the rename, to disk before returning. Turn
        it off for many small files (the letters), where one flush per file
        would dominate the run time; the replacement is atomic either way.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = _new_file_mode()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _sync_directory(target.parent)
    return target


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable where the platform allows it."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
