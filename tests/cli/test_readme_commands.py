"""Every command the README's table names exists and documents itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
TABLE = README.split("## What you can do today", 1)[1].split("##", 1)[0]


def commands() -> list[list[str]]:
    out = []
    for cell in re.findall(r"^\| `sagetrim ([^`]+)`(?: / `([^`]+)`)?", TABLE, re.MULTILINE):
        first, second = cell
        words = [w for w in first.split() if w.isidentifier() or ("-" in w and not w.startswith("-"))]
        words = [w for w in words if w.upper() != w]  # drop placeholders like NAME, ENDPOINT
        out.append(words)
        if second:
            out.append([*words[:-1], second])
    return out


@pytest.mark.parametrize("words", commands(), ids=lambda w: " ".join(w))
def test_the_command_exists_and_has_help(cli, words):
    result = cli(*words, "--help")
    assert result.code == 0, result.err
    assert "Usage:" in result.out


def test_the_table_names_every_top_level_command():
    assert len(commands()) >= 18
