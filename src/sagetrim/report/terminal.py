"""The terminal: text from data is printed as it is, and only the program's own literals carry Rich markup.

Names, tags, paths and error messages come from users and from AWS: ``[/]``, ``[red]x[/red]`` or
``[link=...]`` in them must show as written, not be parsed as markup (which fails, or silently styles),
and their control characters (ANSI escape sequences) must not reach the terminal. So every console is a
:class:`SafeConsole`: markup and emoji codes are off unless a call turns markup on for a literal, and
every string it renders has its control characters written as visible escapes. Styled lines that hold
data are built with :func:`styled` (data stays plain) or :func:`markup` with :func:`safe` for the data.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.status import Status
from rich.text import Text

from sagetrim.safetext import printable

__all__ = ["SafeConsole", "markup", "safe", "styled"]


class SafeConsole(Console):
    """A Rich console for data: no markup or emoji codes by default, control characters made visible."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        kwargs.setdefault("emoji", False)
        super().__init__(*args, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """Like :meth:`rich.console.Console.render_str`, with control characters written as escapes."""
        return super().render_str(printable(text, multiline=True), **kwargs)

    def status(self, status: RenderableType, **kwargs: Any) -> Status:
        """Like :meth:`rich.console.Console.status`; a string is shown as written, not read as markup."""
        return super().status(styled(status) if isinstance(status, str) else status, **kwargs)


def styled(*parts: str | tuple[str, str] | Text) -> Text:
    """Text assembled from plain strings (shown as written) and ``(text, style)`` pairs.

    >>> styled(name, " ", (region, "dim"))
    """
    out = Text()
    for part in parts:
        if isinstance(part, Text):
            out.append_text(part)
        elif isinstance(part, str):
            out.append(printable(part, multiline=True))
        else:
            out.append(printable(part[0], multiline=True), style=part[1])
    return out


def markup(literal: str) -> Text:
    """Text from a markup literal of the program; data inside it must have gone through :func:`safe`."""
    return Text.from_markup(literal, emoji=False)


def safe(value: object) -> str:
    """``value`` as text fit to place inside a markup literal: markup escaped, control characters visible."""
    return escape(printable(str(value), multiline=True))
