"""Where reports and snapshots go: checked writable before any work starts, and written whole or not at all.

A file is written to a temporary name beside it and renamed into place, so a failure mid-write leaves the old file
(or nothing) and never a temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .errors import BadInput

if TYPE_CHECKING:
    from .options import RunOptions


def check_output_file(path: Path, flag: str) -> None:
    """`path` can be written: not a directory, in a directory that exists and takes new files."""
    if path.is_dir():
        raise BadInput(f"{flag} {path}: is a directory; give a file path")
    if path.exists() and not path.is_file():
        return  # /dev/null, /dev/stdout: written in place, as the user asked
    parent = path.parent
    if not parent.exists():
        raise BadInput(f"{flag} {path}: directory {parent} does not exist")
    if not parent.is_dir():
        raise BadInput(f"{flag} {path}: {parent} is not a directory")
    _probe(parent, f"{flag} {path}")


def check_output_dir(path: Path, flag: str) -> None:
    """`path` is a directory that takes new files, or can be made one (parents included)."""
    if path.exists():
        if not path.is_dir():
            raise BadInput(f"{flag} {path}: exists and is not a directory")
        _probe(path, f"{flag} {path}")
        return
    existing = path.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise BadInput(f"{flag} {path}: {existing} is not a directory")
    _probe(existing, f"{flag} {path}")


def _probe(directory: Path, label: str) -> None:
    """Create and remove a file: permission bits alone say nothing to root or on a read-only filesystem."""
    try:
        fd, name = tempfile.mkstemp(prefix=".dr-audit-probe-", dir=directory)
    except OSError as exc:
        raise BadInput(f"{label}: cannot write in {directory}: {exc.strerror}") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)


def check_outputs(options: RunOptions) -> None:
    """Every place a run or plan will write, before it reads or collects anything."""
    if options.output is not None:
        check_output_file(options.output, "--output")
    if options.output_dir is not None:
        check_output_dir(options.output_dir, "--output-dir")
    if options.save_snapshot is not None:
        check_output_file(options.save_snapshot, "--save-snapshot")


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_atomic(path: Path, text: str | Callable[[TextIO], None], flag: str = "--output") -> None:
    """Write `text` to `path` whole: to a temporary file beside it, then renamed over it; the temporary file is
    removed on every failure. A device (/dev/null) is written in place; a symlink is written through.
    `text` may be a function that writes into the open file, so a large report is streamed, never held whole."""
    if path.is_symlink():
        path = path.resolve()  # replacing the link itself would leave its target stale
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = 0
    if mode and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        try:
            with path.open("w", encoding="utf-8") as file:
                _put(file, text)
        except OSError as exc:
            raise BadInput(f"{flag} {path}: cannot write: {exc.strerror}") from None
        return
    if stat.S_ISDIR(mode):
        raise BadInput(f"{flag} {path}: is a directory; give a file path")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            _put(file, text)
        os.chmod(tmp, stat.S_IMODE(mode) if mode else 0o666 & ~_umask())  # as a plain write would have left it
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise BadInput(f"{flag} {path}: cannot write: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _put(file: TextIO, text: str | Callable[[TextIO], None]) -> None:
    if isinstance(text, str):
        file.write(text)
    else:
        text(file)
