"""Run the command line in this process: a traceback surfaces as the exception itself, so a test sees it."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from dataclasses import dataclass
from unittest import mock


@dataclass(frozen=True)
class Outcome:
    """The exit status, standard output, and standard error with its line wrapping undone."""

    code: int
    out: str
    err: str


def invoke(*args: str, env: dict[str, str] | None = None) -> Outcome:
    """`sagetrim ARGS` through its console entry point; any exception but SystemExit propagates."""
    from sagetrim.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with mock.patch.object(sys, "argv", ["sagetrim", *args]), mock.patch.dict(os.environ, {"COLUMNS": "200",
                                                                                          **(env or {})}), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    # Rich wraps long messages at the terminal's width: read them as one line.
    return Outcome(code, out.getvalue(), " ".join(err.getvalue().split()))
