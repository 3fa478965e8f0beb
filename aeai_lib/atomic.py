"""Atomic file writes: a reader (or a resumed run) never sees half a file.

The bytes go to a temporary file in the target's folder and are flushed to disk, then
:func:`os.replace` swaps the file in (atomic on POSIX and Windows within one file system); on
any error the temporary file is removed and the target is left as it was. A write that the
system refuses (disk full, quota exceeded, an I/O error) raises :class:`WriteError`, an
``OSError`` whose message names the path and the cause in one line.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


class WriteError(OSError):
    """A file that could not be written (disk full, quota, I/O error): ``filename`` is the
    target, ``errno``/``strerror`` the system's cause; the file at the target is as it was."""

    def __str__(self) -> str:
        return (
            f"cannot write {str(self.filename)!r}: {self.strerror}; the previous file (if any) "
            "is kept: free some space or write elsewhere"
        )


@contextmanager
def open_atomic(path: str | Path, error: type[WriteError] = WriteError) -> Iterator[BinaryIO]:
    """A binary file to write; it replaces ``path`` (creating its folder) when the block ends.

    Raises:
        WriteError (or the subclass ``error``): an ``OSError`` while writing, flushing or
            renaming, with its ``errno``; ``path`` is left as it was, the temporary removed.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "xb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as cause:
        temporary.unlink(missing_ok=True)
        if isinstance(cause, WriteError):
            raise
        reason = cause.strerror or str(cause) or type(cause).__name__
        raise error(cause.errno, reason, str(path)) from cause
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_bytes_atomic(
    path: str | Path, data: bytes | memoryview, error: type[WriteError] = WriteError
) -> Path:
    """Write ``data`` to ``path`` atomically; return the path (errors: :func:`open_atomic`)."""
    with open_atomic(path, error) as file:
        file.write(data)
    return Path(path)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; return the path."""
    return write_bytes_atomic(path, text.encode("utf-8"))
