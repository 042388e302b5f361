"""idle-notebook at its threshold: running exactly `max_running_hours` counts as left on, a minute less does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select

ROLE = "arn:aws:iam::123456789012:role/x"
NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def flagged(sim):
    from sagetrim.sim import sagemaker_fixes

    sm = sim.client("sagemaker")
    for name, running in (("at-threshold", timedelta(hours=72)),
                          ("just-under", timedelta(hours=72) - timedelta(minutes=1)),
                          ("well-over", timedelta(days=5))):
        sm.create_notebook_instance(NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=ROLE)
        sagemaker_fixes.set_creation_time(sim.account_id, "us-east-1", "notebook-instance", name, NOW - running,
                                          last_modified=NOW - running)
    scan = run_scan(sim.session("us-east-1"), ["us-east-1"], [], load_catalog(use_cache=False), use_cache=False,
                    now=NOW, rules=select(["idle-notebook"]), settings=Settings())
    return {f.name: f for f in scan.findings}


def test_given_a_notebook_running_exactly_the_threshold_the_scan_flags_it(flagged):
    assert flagged["at-threshold"].evidence["running_hours"] == pytest.approx(72.0)


def test_given_a_notebook_running_a_minute_less_the_scan_leaves_it(flagged):
    assert set(flagged) == {"at-threshold", "well-over"}
