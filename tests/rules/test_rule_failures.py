"""A rule that fails on one resource costs that resource's findings only: the error is named (rule, resource),
`scan` exits 4, and every other rule and resource is judged as usual."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from tests.invoke import invoke

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.inventory.model import Kind
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import RULES, select
from sagetrim.rules.context import RuleContext
from sagetrim.rules.model import Finding
from sagetrim.sim import SimServer

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
REGION = "us-east-1"
NOTEBOOKS = ["nb-a", "nb-broken", "nb-c"]


@pytest.fixture
def notebooks(clean_sim: SimServer) -> SimServer:
    sm = clean_sim.client("sagemaker", REGION)
    for name in NOTEBOOKS:
        sm.create_notebook_instance(NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=ROLE)
    return clean_sim


def breaking_on(name: str, rule_id: str, monkeypatch: pytest.MonkeyPatch, *, together: bool = False) -> None:
    """Make the rule raise when it meets the resource `name` (or, with `together`, only when it sees every
    notebook at once)."""
    rule = RULES[rule_id]

    def evaluate(ctx: RuleContext, params: Any) -> Iterator[Finding]:
        names = {r.name for r in ctx.of_kind(Kind.NOTEBOOK)}
        if (together and names == set(NOTEBOOKS)) or (not together and name in names):
            raise ZeroDivisionError("float division by zero")
        yield from rule.evaluate(ctx, params)

    monkeypatch.setitem(RULES, rule_id, replace(rule, evaluate=evaluate))


def scan(sim: SimServer) -> Any:
    return run_scan(sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                    rules=select(["notebook-without-autostop", "idle-notebook"]), settings=Settings())


def test_given_a_rule_that_fails_on_one_resource_then_the_others_are_judged_and_the_error_names_both(
    notebooks: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    breaking_on("nb-broken", "notebook-without-autostop", monkeypatch)

    result = scan(notebooks)

    assert sorted(f.name for f in result.findings if f.rule == "notebook-without-autostop") == ["nb-a", "nb-c"]
    [error] = result.errors
    assert (error.rule, error.resource, error.code) == ("notebook-without-autostop", "nb-broken", "ZeroDivisionError")
    assert error.message == "rule notebook-without-autostop failed: float division by zero"
    assert error.to_json()["rule"] == "notebook-without-autostop"


def test_given_a_rule_that_fails_only_on_the_resources_together_then_it_is_an_error_of_the_rule_in_the_region(
    notebooks: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    breaking_on("", "notebook-without-autostop", monkeypatch, together=True)

    result = scan(notebooks)

    assert not [f for f in result.findings if f.rule == "notebook-without-autostop"]
    [error] = result.errors
    assert (error.rule, error.resource, error.region) == ("notebook-without-autostop", None, REGION)


def test_given_a_rule_that_fails_on_one_resource_when_scanned_from_the_cli_then_exit_4_and_no_traceback(
    notebooks: SimServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    breaking_on("nb-broken", "notebook-without-autostop", monkeypatch)
    env = {**notebooks.env(REGION), "SAGETRIM_STATE_DIR": str(tmp_path)}

    table = invoke("scan", "--rules", "notebook-without-autostop", env=env)
    as_json = invoke("scan", "--rules", "notebook-without-autostop", "--format", "json", env=env)

    assert table.code == 4 and as_json.code == 4, table
    assert "Traceback" not in table.err + table.out
    assert "Not scanned" in table.out, "the table shows the error (its columns fold at the console's width)"
    doc = json.loads(as_json.out)
    assert sorted(f["name"] for f in doc["findings"]) == ["nb-a", "nb-c"]
    assert [(e["rule"], e["resource"]) for e in doc["errors"]] == [("notebook-without-autostop", "nb-broken")]


def test_given_a_rule_whose_saving_is_zero_or_not_a_number_then_no_zero_dollar_finding_and_nan_is_an_error(
    notebooks: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = RULES["notebook-without-autostop"]

    def evaluate(ctx: RuleContext, params: Any) -> Iterator[Finding]:
        for f in rule.evaluate(ctx, params):
            yield replace(f, monthly_savings_usd={"nb-a": 0.004, "nb-broken": float("nan")}.get(f.name, 12.5))

    monkeypatch.setitem(RULES, "notebook-without-autostop", replace(rule, evaluate=evaluate))

    result = scan(notebooks)

    assert [(f.name, f.monthly_savings_usd) for f in result.findings if f.rule == "notebook-without-autostop"] == [
        ("nb-c", 12.5)]
    [error] = result.errors
    assert (error.resource, error.code) == ("nb-broken", "ValueError") and "not a number" in error.message
