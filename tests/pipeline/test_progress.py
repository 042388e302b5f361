"""A run tells where it stands through plain events: what a terminal draws, and what a log could record."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from sagetrim.catalog import load_catalog
from sagetrim.clikit import ProgressDisplay
from sagetrim.inventory.collectors import COLLECTORS
from sagetrim.inventory.model import Kind
from sagetrim.pipeline.progress import Progress
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"


def test_a_scan_reports_every_kind_collected_then_the_rules(sim):
    # given an account with one notebook, scanned in two regions
    sim.client("sagemaker", "us-east-1").create_notebook_instance(
        NotebookInstanceName="nb-progress", InstanceType="ml.t3.medium", RoleArn=ROLE)
    events: list[Progress] = []
    # when it is scanned with two rules
    result = run_scan(sim.session("us-east-1"), ["us-east-1", "eu-west-1"], [], load_catalog(use_cache=False),
                      use_cache=False, rules=select(["idle-notebook", "notebook-without-autostop"]),
                      on_progress=events.append)
    # then the collection counts one unit per region and collector, from 0 to all of them, then the rules run
    collect = [e for e in events if e.step == "collect"]
    total = 2 * len(COLLECTORS)
    assert len(COLLECTORS) == len(Kind) - 1  # Studio's collector finds Canvas apps too
    assert collect[0] == Progress("collect", 0, total, "Scanning SageMaker")
    assert [e.done for e in collect] == list(range(total + 1)) and collect[-1].finished
    assert {e.message.split()[1] for e in collect[1:]} == {"us-east-1", "eu-west-1"}
    evaluate = [e for e in events if e.step == "evaluate"]
    assert [(e.done, e.total) for e in evaluate] == [(0, 1), (1, 1)]
    assert evaluate[0].message == "Reading metrics and running 2 rules…"
    assert events.index(evaluate[0]) > events.index(collect[-1])
    assert any(f.name == "nb-progress" for f in result.findings)


def test_an_inventory_only_scan_reports_no_rules(sim):
    events: list[Progress] = []
    run_scan(sim.session("us-east-1"), ["us-east-1"], [], load_catalog(use_cache=False), use_cache=False,
             rules=[], on_progress=events.append)
    assert {e.step for e in events} == {"collect"}


def test_the_terminal_display_draws_a_bar_then_a_spinner_and_ends_both():
    # given a display on a terminal console
    console = Console(file=StringIO(), force_terminal=True, width=100)
    with ProgressDisplay(console) as display:
        # when a counted step runs, then a step of one unit starts
        display(Progress("collect", 0, 3, "Scanning SageMaker"))
        display(Progress("collect", 1, 3, "Scanning us-east-1 endpoint"))
        assert display._bar is not None and display._status is None
        display(Progress("collect", 3, 3, "Scanning eu-west-1 notebook-instance"))
        assert display._bar is None  # the step ended
        display(Progress("evaluate", 0, 1, "Reading metrics and running 2 rules…"))
        assert display._status is not None
    # then leaving the display ends whatever was still shown
    assert display._bar is None and display._status is None
    assert "Scanning" in console.file.getvalue()  # type: ignore[attr-defined]


def test_without_a_console_nothing_is_drawn():
    display = ProgressDisplay(None)
    display(Progress("collect", 0, 3, "Scanning SageMaker"))
    assert display._bar is None and display._status is None
