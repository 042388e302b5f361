"""Small pieces the command line shares: a group with a default command, common options, a progress display."""

from __future__ import annotations

import math
from collections.abc import Collection
from types import TracebackType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as ProgressBar
from rich.status import Status
from typer.core import TyperGroup

from sagetrim.pipeline.progress import Progress, Step
from sagetrim.report.output import Format


class DefaultCommandGroup(TyperGroup):
    """A group that runs its `list` command when the first argument is not a subcommand.

    `sagetrim prices ml.m5.xlarge --usage hosting` is `sagetrim prices list ml.m5.xlarge --usage hosting`,
    while `sagetrim prices refresh` still runs `refresh`.
    """

    default_command = "list"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not any(a in ("--help", "-h") for a in args[:1]) and (not args or args[0] not in self.commands):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        formatter.write_usage(ctx.command_path, "[PATTERN] [OPTIONS] | COMMAND [ARGS]...")


FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]


def split_csv(values: list[str] | None) -> list[str]:
    """Options given as repeats and/or comma lists: `--region a,b --region c`."""
    out: list[str] = []
    for v in values or []:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def finite_option(ctx: Any, param: Any, value: float | None) -> float | None:
    """A Click/Typer callback that refuses NaN and infinities (Click's FloatRange lets NaN through)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number.", ctx=ctx, param=param)
    return value


class ProgressDisplay:
    """Shows a run's progress events on a console: a bar for a step counted in units, a spinner for the
    others; nothing when there is no console. Use it as a context manager, so that the display ends."""

    def __init__(self, console: Console | None, steps: Collection[Step] = ()) -> None:
        self.console = console
        self.steps = steps
        self._bar: ProgressBar | None = None
        self._status: Status | None = None

    def __call__(self, event: Progress) -> None:
        if self.console is None or (self.steps and event.step not in self.steps):
            return
        if event.done == 0:
            self.close()
            if event.total > 1:
                self._bar = ProgressBar(TextColumn("{task.description}", markup=False), BarColumn(),
                                        MofNCompleteColumn(), TimeElapsedColumn(), console=self.console,
                                        transient=True)
                self._bar.add_task(event.message, total=event.total)
                self._bar.start()
            else:
                self._status = self.console.status(event.message)
                self._status.start()
        elif self._bar is not None:
            self._bar.update(self._bar.task_ids[0], completed=event.done, description=event.message)
        if event.finished:
            self.close()

    def close(self) -> None:
        """End whatever is shown."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        if self._status is not None:
            self._status.stop()
            self._status = None

    def __enter__(self) -> ProgressDisplay:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
