"""Files written whole, with the permissions the user's umask gives.

Every result, run log, posterior and report table is written to a temporary file beside its final path and
renamed into place, so a reader never sees half a file. :func:`tempfile.mkstemp` would create that file with
mode 0600 whatever the umask, and the rename keeps the mode: colleagues sharing a results folder could not read
it. :func:`temporary_file` creates it like ``open(path, "w")`` does, with mode ``0666`` less the process umask
(0644 under the usual umask 022, 0600 under 077), asked of the kernel at creation so no other thread's umask
change can race with it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


def temporary_file(path: Path) -> tuple[int, Path]:
    """Create a new hidden file ``.NAME.XXXXXXXX.tmp`` beside ``path``; return its descriptor (open for writing)
    and its path. The caller writes, and renames it onto ``path`` or removes it."""
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666), tmp
        except FileExistsError:
            continue


@contextlib.contextmanager
def replaced_on_success(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; on success it is synced and renamed onto ``path``, on any
    error (Ctrl-C included) removed.

    >>> with replaced_on_success(Path("out.parquet")) as tmp:  # doctest: +SKIP
    ...     table.to_parquet(tmp)
    """
    fd, tmp = temporary_file(path)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb") as fh:  # on disk before the rename, so a power cut cannot leave an empty file
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` via a temporary file and a rename (mode from the umask)."""
    with replaced_on_success(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
