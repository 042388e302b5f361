"""The opt-out tag sagetrim:exclude = true, one decision honoured alike when scanning, acting, running a
schedule and notifying: ``true`` in any letter case and with surrounding spaces opts out, nothing else does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sagetrim.actions.executor import carry_out
from sagetrim.actions.journal import Journal
from sagetrim.actions.notify import NotifySettings
from sagetrim.actions.state import LocalStore
from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.optout import EXCLUDE_KEY, OPTED_OUT, is_excluded, opted_out_arns, opts_out
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import notebook_without_autostop, select
from sagetrim.rules.model import Action, Finding, Severity
from sagetrim.schedules.runner import collect_targets, session_clients
from sagetrim.sim import SimServer

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/notebooks"
OPTED = {"title": "True", "upper": "TRUE", "spaced": " true "}
KEPT: dict[str, str | None] = {"false": "false", "yes": "yes", "untagged": None}


def test_the_value_true_in_any_case_and_trimmed_opts_out_and_nothing_else_does() -> None:
    for value in ("true", "True", "TRUE", " true ", "tRuE\t"):
        assert opts_out(value), value
    for value in ("false", "yes", "1", "on", "", "truee", "t rue", None):
        assert not opts_out(value), value


def test_the_key_is_matched_exactly_in_either_shape_of_tags() -> None:
    assert is_excluded({"sagetrim:exclude": "TRUE"})
    assert is_excluded([{"Key": "team", "Value": "a"}, {"Key": "sagetrim:exclude", "Value": " True"}])
    assert not is_excluded({"sagetrim:Exclude": "true"})
    assert not is_excluded([{"Key": "sagetrim:exclude ", "Value": "true"}])
    assert not is_excluded([])


@pytest.fixture
def notebooks(sim: Any, request: pytest.FixtureRequest) -> dict[str, str]:
    """One InService notebook instance per tag value, named PREFIX-CASE; returns name -> ARN."""
    sim.reset()
    sm = sim.client("sagemaker", REGION)
    prefix = request.node.name.split("_")[1][:8]
    arns = {}
    for case, value in {**OPTED, **KEPT}.items():
        name = f"{prefix}-{case}"
        tags = [{"Key": "team", "Value": "ds"}] + ([{"Key": EXCLUDE_KEY, "Value": value}] if value is not None else [])
        sm.create_notebook_instance(NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=ROLE, Tags=tags)
        arns[name] = sm.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceArn"]
    return arns


def _opted(names: dict[str, str]) -> set[str]:
    return {n for n in names if n.rsplit("-", 1)[1] in OPTED}


def _finding(arn: str, action: Action) -> Finding:
    name = arn.rsplit("/", 1)[1]
    return Finding(rule="idle-notebook", account=arn.split(":")[4], region=REGION, kind="notebook-instance",
                   name=name, arn=arn, severity=Severity.MEDIUM, monthly_savings_usd=30.0, evidence={},
                   message="idle", action=action)


def test_the_region_wide_lookup_judges_values_itself(sim: Any, notebooks: dict[str, str]) -> None:
    found = opted_out_arns(sim.client("resourcegroupstaggingapi", REGION))
    assert found == {notebooks[n] for n in _opted(notebooks)}


def test_when_scanning_opted_out_resources_get_no_finding_and_are_counted(sim: Any,
                                                                         notebooks: dict[str, str]) -> None:
    result = run_scan(sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                      rules=[notebook_without_autostop.RULE], settings=Settings())

    assert set(result.excluded) == {notebooks[n] for n in _opted(notebooks)}
    assert {f.name for f in result.findings} == set(notebooks) - _opted(notebooks)


def test_when_acting_the_recheck_skips_what_opted_out(sim: Any, notebooks: dict[str, str],
                                                      tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    outcomes = carry_out([_finding(arn, Action.STOP_NOTEBOOK) for arn in notebooks.values()],
                         session_for=lambda _a, region: sim.session(region), store=store, journal=Journal(store),
                         apply=True)

    skipped = {o.name for o in outcomes if (o.status, o.reason) == ("skipped", OPTED_OUT)}
    assert skipped == _opted(notebooks)
    assert {o.name for o in outcomes if o.status == "done"} == set(notebooks) - _opted(notebooks)


def test_when_running_a_schedule_opted_out_notebooks_are_marked_excluded(sim: Any,
                                                                         notebooks: dict[str, str]) -> None:
    targets = collect_targets(REGION, {"notebook-instance"}, session_clients(sim.session(REGION)))

    assert {t.name for t in targets if t.excluded} == _opted(notebooks)
    assert {t.name for t in targets if not t.excluded} == set(notebooks) - _opted(notebooks)


def test_when_notifying_resources_that_opted_out_since_the_scan_are_left_out(sim: Any,
                                                                             notebooks: dict[str, str],
                                                                             tmp_path: Path) -> None:
    topic = sim.client("sns", REGION).create_topic(Name="sagetrim")["TopicArn"]
    store = LocalStore(tmp_path)
    outcomes = carry_out([_finding(arn, Action.NOTIFY) for arn in notebooks.values()],
                         session_for=lambda _a, region: sim.session(region), store=store, journal=Journal(store),
                         apply=True, notify=NotifySettings(sns_topic_arn=topic))

    assert {o.name for o in outcomes if (o.status, o.reason) == ("skipped", OPTED_OUT)} == _opted(notebooks)
    sent = {o.name for o in outcomes if o.status == "done"}
    assert sent == set(notebooks) - _opted(notebooks)
    assert all(f"about {len(sent)} resource(s)" in o.reason for o in outcomes if o.status == "done")


def test_given_tagged_resources_when_scanned_then_the_inventory_carries_their_tags_from_the_opt_out_call(
    clean_sim: SimServer
) -> None:
    sm = clean_sim.client("sagemaker", REGION)
    sm.create_notebook_instance(NotebookInstanceName="tagged", InstanceType="ml.t3.medium",
                                RoleArn="arn:aws:iam::123456789012:role/r",
                                Tags=[{"Key": "team", "Value": "fraud"}, {"Key": "cost-center", "Value": "42"}])
    sm.create_notebook_instance(NotebookInstanceName="bare", InstanceType="ml.t3.medium",
                                RoleArn="arn:aws:iam::123456789012:role/r")
    clean_sim.requests.reset()

    result = run_scan(clean_sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                      rules=select(["idle-notebook"]), settings=Settings())

    assert {r.name: r.tags for r in result.resources} == {"tagged": {"team": "fraud", "cost-center": "42"}, "bare": {}}
    assert clean_sim.requests.counts()["resourcegroupstaggingapi:GetResources"] == 1
