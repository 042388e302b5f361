"""notebook-without-autostop and idle-notebook on notebooks whose answers are known."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select

ROLE = "arn:aws:iam::123456789012:role/x"


@pytest.fixture(scope="module")
def findings(sim):
    from sagetrim.sim import sagemaker_fixes

    sm = sim.client("sagemaker")
    script = base64.b64encode(b"#!/bin/bash\npython /home/ec2-user/autostop.py --idle-minutes 60\n").decode()
    sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName="with-autostop",
                                                 OnStart=[{"Content": script}])
    other = base64.b64encode(b"#!/bin/bash\npip install pandas\n").decode()
    sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName="installs-pandas",
                                                 OnStart=[{"Content": other}])
    now = sim.clock.now()
    for name, config, days in (("plain", None, 10), ("autostopped", "with-autostop", 10),
                               ("pandas", "installs-pandas", 1), ("fresh", None, 0.5),
                               ("optout", None, 10), ("stopped", None, 10)):
        params = {"NotebookInstanceName": name, "InstanceType": "ml.m5.xlarge", "RoleArn": ROLE}
        if config:
            params["LifecycleConfigName"] = config
        if name == "optout":
            params["Tags"] = [{"Key": "sagetrim:exclude", "Value": "true"}]
        sm.create_notebook_instance(**params)
        if name == "stopped":
            sm.stop_notebook_instance(NotebookInstanceName=name)
        when = now - timedelta(days=days)
        sagemaker_fixes.set_creation_time(sim.account_id, "us-east-1", "notebook-instance", name, when,
                                          last_modified=when)
    scan = run_scan(sim.session("us-east-1"), ["us-east-1"], [], load_catalog(use_cache=False),
                    use_cache=False, rules=select(["notebook-without-autostop", "idle-notebook"]),
                    settings=Settings())
    return {(f.rule, f.name): f for f in scan.findings}


def test_only_running_notebooks_without_a_stopping_script_lack_autostop(findings):
    flagged = {name for rule, name in findings if rule == "notebook-without-autostop"}
    assert flagged == {"plain", "pandas", "fresh"}
    assert findings[("notebook-without-autostop", "pandas")].evidence["lifecycle_config"] == "installs-pandas"


def test_saving_assumes_the_expected_hours_of_use(findings):
    f = findings[("notebook-without-autostop", "plain")]
    assert f.monthly_savings_usd == pytest.approx(0.23 * (730 - 220))
    assert "sagetrim autostop install plain --idle-minutes 60 --apply" in f.message


def test_idle_notebook_is_one_running_for_days(findings):
    flagged = {name for rule, name in findings if rule == "idle-notebook"}
    assert flagged == {"plain", "autostopped"}
    assert findings[("idle-notebook", "plain")].evidence["running_hours"] == pytest.approx(240, abs=0.5)
    assert findings[("idle-notebook", "plain")].action.value == "stop-notebook"
