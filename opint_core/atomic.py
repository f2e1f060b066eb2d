"""Files written atomically: readers see the old file or the whole new one, never half of it.

The content goes to a hidden temporary file in the target's folder, is flushed to disk (fsync)
and renamed over the target; on any failure the temporary file is removed and the target is left
as it was.

Only a regular file is ever replaced. A device, FIFO, socket, folder or symbolic link at the target
raises ``NotARegularFileError`` (an ``OSError``) and is left alone: renaming over ``/dev/null`` or a
FIFO would swap it for a regular file, and following a link planted in a shared folder would write
wherever it points. An existing file keeps its permission bits; a new one gets the mode asked for,
less the umask.
"""
from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path
from typing import Callable

REPORT_MODE = 0o644   # new reports: readable by the team, as any file the user would save
PRIVATE_MODE = 0o600  # what tempfile.mkstemp gives: the default for files only opint reads back

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"))


class NotARegularFileError(OSError):
    """The target exists and is not a regular file, so it is not replaced; ``strerror`` says what it is."""


def _existing_mode(target: Path) -> int | None:
    """The permission bits of the regular file at ``target``, None when nothing is there; anything
    else there (not followed if it is a symbolic link) raises NotARegularFileError."""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return None
    if stat.S_ISREG(st.st_mode):
        return stat.S_IMODE(st.st_mode)
    kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
    code = errno.EISDIR if stat.S_ISDIR(st.st_mode) else errno.EINVAL
    raise NotARegularFileError(code, f"{kind}, not a regular file", str(target))


def _create_temporary(target: Path, mode: int) -> Path:
    """A new empty hidden file beside ``target``, created with ``mode`` (the umask applies), never an
    existing file or link: tempfile.mkstemp would do, but it always creates 0600."""
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.part"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode))
            return tmp
        except FileExistsError:
            continue


def replace_atomically(target: str | os.PathLike, write: Callable[[str], object], *,
                       new_mode: int = PRIVATE_MODE) -> Path:
    """Call ``write(path)`` on a temporary file beside ``target``, fsync it, rename it to ``target``.

    ``target`` must be a regular file or absent (else NotARegularFileError); an existing file keeps
    its mode, a new one is created with ``new_mode`` less the umask."""
    target = Path(target)
    kept = _existing_mode(target)
    tmp = _create_temporary(target, PRIVATE_MODE if kept is not None else new_mode)
    try:
        write(str(tmp))
        if kept is not None:
            os.chmod(tmp, kept)   # exactly the old bits: chmod is not subject to the umask
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def write_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically, creating its folder; a new
    file is 0644 less the umask, an existing one keeps its mode (see replace_atomically)."""
    target = Path(path).expanduser()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:   # what mkdir says when the folder is a file: say that
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(target.parent)) from None

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    return replace_atomically(target, write, new_mode=REPORT_MODE)
