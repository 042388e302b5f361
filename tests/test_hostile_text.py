"""Text from data is shown as written: no Rich markup read from it, no control characters reaching a terminal.

Names, tags, paths and AWS or webhook messages may hold `[/]`, `[red]x[/red]`, `[link=...]` or ANSI escape
sequences. Each output path shows them literally and without a traceback: the terminal with control
characters written as visible escapes, JSON with the exact string, CSV as written, HTML escaped.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from rich.console import Group

from sagetrim.actions.journal import Journal, JournalEntry
from sagetrim.actions.state import LocalStore
from sagetrim.inventory.model import Kind, Resource
from sagetrim.inventory.scan import ScanError, ScanResult
from sagetrim.report.html import render_html
from sagetrim.report.output import to_csv, to_json
from sagetrim.report.rightsize import explanation_view
from sagetrim.report.scan import RESOURCE_COLUMNS, resource_rows, scan_view
from sagetrim.report.terminal import SafeConsole
from sagetrim.rules.model import Action, Finding, Severity
from sagetrim.sim.fleet import Scenario, build_fleet
from tests.conftest import run_cli

if TYPE_CHECKING:
    from pathlib import Path

    from sagetrim.sim import SimServer

ANSI = "\x1b[31mred\x1b[0m"
HOSTILE = f"[/] [red]x[/red] [link=https://evil.example]click[/link] {ANSI} <b>&amp;</b> :smile:"
# What a terminal must show: every markup-looking part as written, the escape character as "\x1b".
VISIBLE = ["[/]", "[red]x[/red]", "[link=https://evil.example]click[/link]", "\\x1b[31mred\\x1b[0m", "<b>&amp;</b>",
           ":smile:"]  # fmt: skip
WIDE = {"COLUMNS": "1000"}


def shown_literally(text: str) -> None:
    """The terminal output shows every hostile part as written and holds no escape character or traceback."""
    for part in VISIBLE:
        assert part in text, f"{part!r} not shown literally in {text!r}"
    assert "\x1b" not in text
    assert "Traceback" not in text


def render(renderable: object) -> str:
    console = SafeConsole(file=io.StringIO(), width=1000, force_terminal=True, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


# -- renderers, for text the AWS API cannot carry (names do not allow brackets) --------------------------


def hostile_scan() -> ScanResult:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    resource = Resource(kind=Kind.NOTEBOOK, account="111122223333", region="us-east-1", name=HOSTILE,
                        arn=f"arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/{HOSTILE}", status=HOSTILE,
                        created=now, instance_type="ml.t3.medium", instance_count=1, usd_per_hour=0.05,
                        tags={HOSTILE: HOSTILE})  # fmt: skip
    finding = Finding(rule="idle-notebook", account="111122223333", region="us-east-1", kind="notebook-instance",
                      name=HOSTILE, arn=resource.arn, severity=Severity.HIGH, monthly_savings_usd=36.5,
                      evidence={"why": HOSTILE}, message=HOSTILE, action=Action.STOP_NOTEBOOK)  # fmt: skip
    error = ScanError("111122223333", "eu-west-1", "endpoint", "AccessDeniedException", HOSTILE)
    return ScanResult(started=now, finished=now, accounts=["111122223333"], regions=["us-east-1", "eu-west-1"],
                      resources=[resource], errors=[error], findings=[finding])  # fmt: skip


class TestRenderers:
    def test_the_scan_table_shows_names_messages_and_errors_as_written(self) -> None:
        out = render(scan_view(hostile_scan(), width=1000))
        shown_literally(out)
        assert out.count("[red]x[/red]") >= 3  # the resource, the finding and the error
        assert "[bold]" not in out and "[dim]" not in out, "the program's own markup still styles"

    def test_json_keeps_the_exact_string(self) -> None:
        doc = json.loads(to_json(hostile_scan().to_json()))
        assert doc["resources"][0]["name"] == HOSTILE
        assert doc["resources"][0]["tags"] == {HOSTILE: HOSTILE}
        assert doc["findings"][0]["message"] == HOSTILE
        assert doc["errors"][0]["message"] == HOSTILE

    def test_csv_keeps_the_exact_string(self) -> None:
        text = to_csv(resource_rows(hostile_scan()), RESOURCE_COLUMNS)
        [row] = list(csv.DictReader(io.StringIO(text)))
        assert row["name"] == HOSTILE

    def test_csv_on_a_terminal_shows_the_escape_character_visibly(self) -> None:
        shown_literally(render(to_csv(resource_rows(hostile_scan()), RESOURCE_COLUMNS)))

    def test_the_html_report_escapes_it(self) -> None:
        html = render_html(hostile_scan())
        assert "[red]x[/red]" in html
        assert "&lt;b&gt;&amp;amp;&lt;/b&gt;" in html
        assert "<b>&amp;</b>" not in html

    def test_the_rightsize_explanation_shows_it_as_written(self) -> None:
        doc = {"kind": "endpoint", "name": HOSTILE, "region": "us-east-1", "status": HOSTILE, "monthly_saving_usd": 0,
               "peak": HOSTILE, "window_days": 14, "target_peak_pct": 70,
               "parts": [{"part": HOSTILE, "status": "ok", "why": HOSTILE, "candidates": [
                   {"instance_count": 1, "instance_type": HOSTILE, "usd_per_month": 1.0, "fits": True,
                    "projected_peak_pct": {"cpu": 1, "memory": 1, "gpu": None}, "why_not": [HOSTILE]}],
                   "recommended": {"instance_type": HOSTILE, "instance_count": 1}}],
               "assumptions": [HOSTILE]}  # fmt: skip
        shown_literally(render(explanation_view(doc)))

    def test_notices_beside_a_table_are_shown_as_written(self) -> None:
        shown_literally(render(Group(f"note: {HOSTILE}", HOSTILE)))

    def test_a_string_console_print_shows_it_as_written(self) -> None:
        shown_literally(render(f"wrote {HOSTILE}"))


# -- the command line, end to end on the simulated account ---------------------------------------------


@pytest.fixture(scope="module")
def hostile_account(sim: SimServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[SimServer, dict[str, str]]:
    """An account with an idle notebook whose stop AWS refuses with a hostile message, and a region whose
    SageMaker listing fails with one."""
    build_fleet(sim, Scenario.model_validate(
        {"regions": {"us-east-1": {"notebooks": [{"name": "ds-idle", "age_days": 10}]}}}))
    sim.faults.add("AccessDeniedException", message=HOSTILE, service="sagemaker",
                   operation="StopNotebookInstance")
    sim.faults.add("AccessDeniedException", message=HOSTILE, service="sagemaker", region="eu-west-1")
    state = tmp_path_factory.mktemp("state")
    return sim, {**sim.env(), "SAGETRIM_STATE_DIR": str(state), **WIDE}


SCAN = ("scan", "--regions", "us-east-1,eu-west-1", "--rules", "none", "--no-cache")


def test_scan_shows_an_aws_error_message_as_written(hostile_account: tuple[SimServer, dict[str, str]]) -> None:
    _, env = hostile_account
    result = run_cli(*SCAN, env=env)
    assert result.code == 4, result.err
    shown_literally(result.out)


def test_scan_json_keeps_the_aws_error_message_exactly(hostile_account: tuple[SimServer, dict[str, str]]) -> None:
    _, env = hostile_account
    result = run_cli(*SCAN, "--format", "json", env=env)
    assert result.code == 4, result.err
    assert {e["message"] for e in json.loads(result.out)["errors"]} == {HOSTILE}


def test_scan_html_escapes_the_aws_error_message(
    hostile_account: tuple[SimServer, dict[str, str]], tmp_path: Path
) -> None:
    _, env = hostile_account
    report = tmp_path / "[red]x[/red] [/]" / "report.html"
    result = run_cli(*SCAN, "--html", str(report), env=env)
    assert result.code == 4, result.err
    assert "&lt;b&gt;&amp;amp;&lt;/b&gt;" in report.read_text()
    assert f"wrote {report}" in result.err, "a file name is shown as written"


def test_act_and_the_journal_show_a_refusal_as_written(hostile_account: tuple[SimServer, dict[str, str]]) -> None:
    _, env = hostile_account
    # when the stop of the idle notebook is refused with a hostile message
    act = run_cli("act", "--regions", "us-east-1", "--rules", "idle-notebook", "--apply", env=env)
    # then act says so as written, and so does the journal, every time it is read
    assert "ds-idle" in act.out, act.err
    shown_literally(act.out + act.err)
    for _ in range(2):
        journal = run_cli("journal", env=env)
        assert journal.code == 0, journal.err
        shown_literally(journal.out)
    doc = json.loads(run_cli("journal", "--format", "json", env=env).out)
    [failed] = [e for e in doc["entries"] if e["outcome"] == "failed"]
    assert "[red]x[/red]" in failed["reason"] and "[/]" in failed["reason"]


def test_a_journal_entry_with_markup_and_escapes_is_listed_as_written(tmp_path: Path) -> None:
    # given a journal holding a reason written by any earlier version
    Journal(LocalStore(tmp_path)).record(JournalEntry(
        time=datetime.now(UTC), action="notify", rule="idle-notebook", finding_id="f", account="111122223333",
        region="us-east-1", kind="notebook-instance", name=HOSTILE, arn="arn", outcome="failed", reason=HOSTILE,
        monthly_savings_usd=0.0, backup=None, dry_run=False))  # fmt: skip
    env = {"SAGETRIM_STATE_DIR": str(tmp_path), **WIDE}
    table = run_cli("journal", env=env)
    assert table.code == 0, table.err
    shown_literally(table.out)
    run_cli("journal", "--format", "csv", "--output", str(tmp_path / "j.csv"), env=env)
    [row] = list(csv.DictReader(io.StringIO((tmp_path / "j.csv").read_text())))
    assert row["reason"] == HOSTILE
    assert json.loads(run_cli("journal", "--format", "json", env=env).out)["entries"][0]["reason"] == HOSTILE


MARKUP = "[/] [red]x[/red] [link=evil.example]click[/link]"  # a path would fold the // of a URL


@pytest.mark.parametrize("args", [
    ("config", "check", "--config", f"{MARKUP}.yaml"),
    ("journal", "--since", MARKUP),
    ("prices", "--region", MARKUP),
])  # fmt: skip
def test_an_error_message_quoting_the_input_shows_it_as_written(args: tuple[str, ...]) -> None:
    result = run_cli(*args, env=WIDE)
    assert result.code == 2
    assert MARKUP in result.err
    assert "Traceback" not in result.err


def test_an_error_message_with_escape_sequences_shows_them_visibly(tmp_path: Path) -> None:
    result = run_cli("config", "check", "--config", str(tmp_path / f"{ANSI}.yaml"), env=WIDE)
    assert result.code == 2
    assert "\\x1b[31mred\\x1b[0m" in result.err
    assert "\x1b" not in result.err
