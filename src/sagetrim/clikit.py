"""Small pieces the command line shares: a group with a default command, common options."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

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
