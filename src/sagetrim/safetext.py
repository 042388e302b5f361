"""Text from outside the program (names, tags, paths, AWS and HTTP error messages) made safe to show.

Such text may hold control characters: ANSI escape sequences that recolour or rewrite a terminal, carriage
returns that hide what came before, bidirectional overrides that reorder what a reader sees. On a terminal
they are shown as visible escapes (``\\x1b``); in a one-line reason (a journal entry, a notice) they are
dropped and the text is cut to a length a line can hold.
"""

from __future__ import annotations

import re

__all__ = ["one_line", "printable"]

# C0 and C1 control characters and DEL, and the Unicode bidirectional embeddings, overrides and isolates.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, multiline: bool = False) -> str:
    """``text`` with every control character written as a visible escape (``\\x1b``, ``\\u202e``).

    Args:
        text: any text.
        multiline: keep line feeds and tabs as they are.
    """
    return (_CONTROL_BUT_LINES if multiline else _CONTROL).sub(_visible, text)


def one_line(text: str, limit: int = 200) -> str:
    """``text`` as one short line: control characters dropped, runs of white space made one space, and cut
    to ``limit`` characters (ending in an ellipsis when cut)."""
    flat = _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)].rstrip() + "…"
