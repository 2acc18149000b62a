"""A run's findings stored by a second process while this one still writes the outputs.

At a million findings the store's inserts take as long as everything else after evaluation, and they need nothing
but the rows: so a large run hands each batch of rows, as soon as its JSON texts exist, to a child process
(`python -m dr_audit.history.recorder`) that inserts them in one transaction, and commits only when told the outputs
were written. The child is an optimisation, never a dependency: if it cannot start or dies without a word, the
parent stores the run itself, and a store that refuses the run says so exactly as it would in-process.

The two talk through pipes. Down: frames of one kind byte and a length: the store's URL and the run's row (JSON),
batches of findings (marshal: each its first position and its columns, lists of text), then commit. Up: one JSON
line, stored or the store's one-line error. The URL, password included, travels only through the pipe, never the
command line.
"""

from __future__ import annotations

import json
import marshal
import os
import struct
import subprocess
import sys
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from ..errors import BadInput

START, ROWS, COMMIT = b"S", b"R", b"C"
_HEAD = struct.Struct("<cQ")  # kind, payload length


class _Abandoned(Exception):
    """The parent stopped before saying commit: its outputs failed, or it is gone."""


class Recorder:
    """The parent's end. `with Recorder.start(url, row) as recorder:` send batches, then `stored()`; leaving the
    block without it abandons the run, and the child stores nothing."""

    def __init__(self, process: subprocess.Popen[bytes]):
        self._process = process
        self._open = True  # the child still reads what is sent
        self._reply: dict[str, Any] | None = None  # what it said when it ended

    @classmethod
    def start(cls, url: str, row: dict[str, Any]) -> Recorder | None:
        """A child recording the run `row`, or None when no child can be started here."""
        if not sys.executable:
            return None
        # -P: nothing from the working directory (often the audited repository in CI) is imported before this
        # package, which the child finds where this process found it.
        package_home = str(Path(__file__).resolve().parents[2])
        search = os.pathsep.join(filter(None, (package_home, os.environ.get("PYTHONPATH"))))
        try:
            process = subprocess.Popen([sys.executable, "-P", "-m", __name__], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                       env={**os.environ, "PYTHONPATH": search})
        except OSError:
            return None
        recorder = cls(process)
        recorder._send(START, json.dumps({"url": url, "row": row}).encode())
        return recorder

    def send(self, start: int, columns: tuple[list[Any], ...]) -> None:
        """A batch of findings: its first position in the run and its `finding_columns`."""
        if not self._open:
            return
        try:
            payload = marshal.dumps((start, columns))
        except ValueError:  # a value marshal cannot carry (a subclass of str): the run is stored here instead
            self._finish()
            return
        self._send(ROWS, payload)

    def stored(self) -> bool:
        """Tell the child to commit and wait for it: True once the run is stored, False when the child ended
        without a word (the caller then stores the run itself); HistoryUnavailable when the store refused it."""
        self._send(COMMIT, b"")
        reply = self._finish()
        if reply is None:
            return False
        if "error" in reply:
            raise _unavailable(str(reply["error"]))
        return True

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._process.returncode is None:
            self._finish()  # never told to commit: the child rolls back and ends

    def _send(self, kind: bytes, payload: bytes) -> None:
        if not self._open:
            return
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(_HEAD.pack(kind, len(payload)))
            stdin.write(payload)
        except (BrokenPipeError, OSError):  # the child has ended: what it says, or its silence, tells the rest
            self._open = False

    def _finish(self) -> dict[str, Any] | None:
        """Close the child's input, read its reply and wait for it to end (once; later calls give the same)."""
        if self._process.returncode is not None:
            return self._reply
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        self._open = False
        with suppress(OSError):  # the child ended already
            stdin.close()
        line = stdout.readline()
        stdout.close()
        self._process.wait()
        with suppress(ValueError):
            reply = json.loads(line)
            self._reply = reply if isinstance(reply, dict) else None
        return self._reply


def _unavailable(message: str) -> BadInput:
    from .store import HistoryUnavailable

    return HistoryUnavailable(message)


# -- the child --------------------------------------------------------------------------------------------------


def _frames(channel: BinaryIO) -> Iterator[tuple[bytes, bytes]]:
    while head := channel.read(_HEAD.size):
        if len(head) < _HEAD.size:
            raise _Abandoned
        kind, length = _HEAD.unpack(head)
        payload = channel.read(length)
        if len(payload) < length:
            raise _Abandoned
        yield kind, payload
    raise _Abandoned


def _batches(frames: Iterator[tuple[bytes, bytes]]) -> Iterator[tuple[int, tuple[list[Any], ...]]]:
    for kind, payload in frames:
        if kind == COMMIT:
            return
        if kind != ROWS:
            raise _Abandoned
        yield marshal.loads(payload)


def main() -> int:
    """The child: store the run the parent sends, commit when it says so, and reply with one JSON line."""
    from .store import HistoryStore, HistoryUnavailable

    frames = _frames(sys.stdin.buffer)
    try:
        kind, payload = next(frames)
        if kind != START:
            return 1
        start = json.loads(payload)
        with HistoryStore.open(url=start["url"]) as store:
            store.record_batches(start["row"], _batches(frames))
        reply: dict[str, Any] = {"stored": True}
    except _Abandoned:
        return 0  # nothing stored, and no one to tell
    except HistoryUnavailable as exc:  # its message is one line without credentials
        reply = {"error": str(exc)}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
