"""Run the CLI in this process, as a user would from a shell, with a bound so a hang fails the test."""

from __future__ import annotations

import contextlib
import io
import signal
from typing import Any

from dr_audit.cli import main


def _alarm(_signum: int, _frame: Any) -> None:
    raise TimeoutError("the command hung")


def cli(*argv: Any, seconds: int = 60) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `dr-audit ARGV`; a run over `seconds` raises TimeoutError."""
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in argv])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return code, out.getvalue(), err.getvalue()
