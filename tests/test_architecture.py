"""ARCHITECTURE.md is a specification: its package table names every package of the code, and no package
imports one its row does not allow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_imports import PACKAGE, imports_of, modules

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| `(?P<name>[\w]+)` \| (?P<job>[^|]+) \| (?P<allowed>[^|]+) \|$")


def table() -> dict[str, set[str] | None]:
    """Each package of the table with the packages it may import (None: anything)."""
    rows: dict[str, set[str] | None] = {}
    for line in (ROOT / "ARCHITECTURE.md").read_text().splitlines():
        match = ROW.match(line.strip())
        if not match:
            continue
        allowed = match["allowed"].strip()
        if allowed == "(anything)":
            rows[match["name"]] = None
        elif allowed == "—":
            rows[match["name"]] = set()
        else:
            rows[match["name"]] = {a.strip() for a in allowed.split(",")}
    return rows


def packages_in_code() -> set[str]:
    """The top-level modules and packages of src/sagetrim (the package's own __init__ aside)."""
    return {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
            if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and any(p.glob("*.py")))}


def _component(module: str) -> str:
    return module.split(".")[1]


def test_the_table_lists_every_package_and_only_those():
    listed, actual = set(table()), packages_in_code()
    assert not actual - listed, f"packages missing from ARCHITECTURE.md: {sorted(actual - listed)}"
    assert not listed - actual, f"ARCHITECTURE.md lists packages that do not exist: {sorted(listed - actual)}"


def test_the_allowed_imports_name_real_packages():
    known = packages_in_code()
    unknown = {name: sorted(allowed - known) for name, allowed in table().items() if allowed and allowed - known}
    assert not unknown, f"ARCHITECTURE.md allows imports of packages that do not exist: {unknown}"


@pytest.mark.parametrize("package", sorted(p for p in packages_in_code() if table().get(p, set()) is not None))
def test_a_package_imports_only_what_its_row_allows(package):
    allowed = table().get(package, set())
    offending = sorted({f"{m} (line {i.line}) -> {i.target}" for m in modules() if "." in m and _component(m) == package
                        for i in imports_of(m) if not i.type_only and _component(i.target) != package
                        and _component(i.target) not in allowed})
    assert not offending, f"{package} imports outside what ARCHITECTURE.md allows: {offending}"


def test_the_reader_of_the_table_sees_a_row_as_written():
    # given the row of a package with two allowed imports and one with none
    rows = table()
    # then each reads as written
    assert rows["yamlfile"] == {"errors", "inputs"}
    assert rows["errors"] == set()
    assert rows["cli"] is None
