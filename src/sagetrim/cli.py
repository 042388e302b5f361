"""The command line: it parses, calls the packages, and renders. No AWS or pricing logic here."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from sagetrim import __version__
from sagetrim.errors import SagetrimError

app = typer.Typer(
    name="sagetrim",
    help="Make Amazon SageMaker spend visible and cut the waste in it, safely.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sagetrim {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Price, scan and trim Amazon SageMaker spend."""


def main() -> None:
    """Entry point of the `sagetrim` console command: one exit table for every command."""
    try:
        app(standalone_mode=False)
    except SagetrimError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a click usage error raised with standalone_mode=False
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(0)
