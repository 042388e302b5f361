"""The opt-out tag `sagetrim:exclude` = `true`, however its value is capitalised, keeps a resource out of the
findings and out of every action, including one tagged between the scan and the action."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import sagetrim.pipeline.act as act_module
from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.act import run_act
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select

ROLE = "arn:aws:iam::123456789012:role/x"
REGION = "us-east-1"
TAGGED = {"lower": "true", "capitalised": "True", "upper": "TRUE", "other-value": "false", "untagged": None}


@pytest.fixture(scope="module")
def notebooks(sim):
    """One notebook left running for ten days per spelling of the tag value."""
    from sagetrim.sim import sagemaker_fixes

    sm = sim.client("sagemaker")
    when = datetime.now(UTC) - timedelta(days=10)
    for name, value in TAGGED.items():
        tags = [{"Key": "sagetrim:exclude", "Value": value}] if value is not None else []
        sm.create_notebook_instance(NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=ROLE, Tags=tags)
        sagemaker_fixes.set_creation_time(sim.account_id, REGION, "notebook-instance", name, when,
                                          last_modified=when)
    return sim


def test_given_the_tag_in_any_capitalisation_the_scan_skips_and_counts_the_notebook(notebooks):
    scan = run_scan(notebooks.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                    rules=select(["idle-notebook"]), settings=Settings())
    assert {f.name for f in scan.findings} == {"other-value", "untagged"}
    assert sorted(arn.rsplit("/", 1)[-1] for arn in scan.excluded) == ["capitalised", "lower", "upper"]


def test_given_the_tag_set_to_True_after_the_scan_act_does_not_stop_the_notebook(notebooks, monkeypatch, tmp_path):
    sm = notebooks.client("sagemaker")
    original = act_module.carry_out

    def owner_opts_out_then_act(findings, **kwargs):
        arn = sm.describe_notebook_instance(NotebookInstanceName="untagged")["NotebookInstanceArn"]
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "sagetrim:exclude", "Value": "True"}])
        return original(findings, **kwargs)

    monkeypatch.setattr(act_module, "carry_out", owner_opts_out_then_act)
    monkeypatch.setenv("SAGETRIM_STATE_DIR", str(tmp_path))
    run = run_act(notebooks.session(REGION), [REGION], [], load_catalog(use_cache=False), Settings(),
                  select(["idle-notebook"]), apply=True)

    outcome = {o.name: o for o in run.report.outcomes}
    assert outcome["untagged"].status == "skipped" and "opt" in outcome["untagged"].reason
    assert outcome["other-value"].status == "done"
    status = {name: sm.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceStatus"]
              for name in TAGGED}
    assert status["untagged"] == "InService"
    assert status["other-value"] in ("Stopping", "Stopped")
