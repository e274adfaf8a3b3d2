"""The one way genhus writes a file: atomically, so that no reader sees half of one.

Every output (plans, results, scenarios, workbooks, the report, its charts,
the letters and the activity plan) goes through :func:`write_file`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_file"]


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
