"""Write a command's result as a Rich table, JSON or CSV, to the terminal or a file."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType
from rich.table import Table

from sagetrim.errors import UsageError
from sagetrim.report.terminal import SafeConsole


class Format(StrEnum):
    """Output formats every listing command offers."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def to_json(doc: Any) -> str:
    return json.dumps(doc, indent=2, default=_default)


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return buf.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, default=_default)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def write_text(text: str, output: Path | None, console: Console) -> None:
    """Print, or write to `output` (creating its directory)."""
    if output is None:
        console.print(text, markup=False, highlight=False, soft_wrap=True, end="" if text.endswith("\n") else "\n")
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}.") from None


def emit(fmt: Format, console: Console, *, doc: Any, rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
         table: Callable[[], RenderableType], output: Path | None = None) -> None:
    """Render one result in the chosen format: `doc` for JSON, `rows` for CSV, `table` for the terminal."""
    if fmt is Format.JSON:
        write_text(to_json(doc), output, console)
    elif fmt is Format.CSV:
        write_text(to_csv(rows, columns), output, console)
    elif output is not None:
        file_console = SafeConsole(record=True, width=160, file=io.StringIO())
        file_console.print(table())
        write_text(file_console.export_text(), output, console)
    else:
        console.print(table())


def money(usd: float | None, places: int = 2) -> str:
    """$1,234.56 (or more places for rates)."""
    if usd is None:
        return "-"
    return f"${usd:,.{places}f}"


def new_table(title: str | None = None, caption: str | None = None) -> Table:
    return Table(title=title, caption=caption, header_style="bold", title_justify="left",
                 caption_justify="left", show_lines=False)
