"""Files written atomically: readers see the old file or the whole new one, never half of it.

The content goes to a hidden temporary file in the target's folder, is flushed to disk (fsync)
and renamed over the target; on any failure the temporary file is removed and the target is left
as it was.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def replace_atomically(target: str | os.PathLike, write: Callable[[str], object]) -> Path:
    """Call ``write(path)`` on a temporary file beside ``target``, fsync it, rename it to ``target``."""
    target = Path(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically, creating its folder."""
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    return replace_atomically(target, write)
