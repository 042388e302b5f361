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
SAMPLE_URL = ("https://raw.githubusercontent.com/aws-samples/amazon-sagemaker-notebook-instance-lifecycle-config-"
              "samples/master/scripts/auto-stop-idle/autostop.py")
INSTALL = '(crontab -l 2>/dev/null; echo "*/5 * * * * /usr/bin/python3 $PWD/autostop.py --time 3600") | crontab -'
AUTOSTOP = f"#!/bin/bash\nset -e\nwget {SAMPLE_URL}\n{INSTALL}\n"
COMMENTED_OUT = f"#!/bin/bash\nset -e\n# wget {SAMPLE_URL}\n# {INSTALL}\n"


@pytest.fixture(scope="module")
def findings(sim):
    from sagetrim.sim import sagemaker_fixes

    sm = sim.client("sagemaker")
    for config, script in (("with-autostop", AUTOSTOP), ("commented-out", COMMENTED_OUT),
                           ("installs-pandas", "#!/bin/bash\npip install pandas\n")):
        content = base64.b64encode(script.encode()).decode()
        sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=config,
                                                     OnStart=[{"Content": content}])
    now = sim.clock.now()
    for name, config, days in (("plain", None, 10), ("autostopped", "with-autostop", 10),
                               ("commented", "commented-out", 10), ("pandas", "installs-pandas", 1),
                               ("fresh", None, 0.5), ("optout", None, 10), ("stopped", None, 10)):
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


@pytest.fixture(scope="module")
def idle_notebook_alone(sim, findings):
    """idle-notebook scanned on its own: the lifecycle scripts are read for it too."""
    scan = run_scan(sim.session("us-east-1"), ["us-east-1"], [], load_catalog(use_cache=False),
                    use_cache=False, rules=select(["idle-notebook"]), settings=Settings())
    return {f.name: f for f in scan.findings}


def test_only_running_notebooks_without_a_stopping_script_lack_autostop(findings):
    flagged = {name for rule, name in findings if rule == "notebook-without-autostop"}
    assert flagged == {"plain", "commented", "pandas", "fresh"}
    assert findings[("notebook-without-autostop", "pandas")].evidence["lifecycle_config"] == "installs-pandas"


def test_given_autostop_commented_out_when_scanned_then_the_finding_quotes_the_comment(findings):
    evidence = findings[("notebook-without-autostop", "commented")].evidence
    assert evidence["autostop"] == "autostop is mentioned only in a comment"
    assert evidence["autostop_line"] == 3
    assert evidence["autostop_text"] == f"# wget {SAMPLE_URL}"


def test_saving_assumes_the_expected_hours_of_use(findings):
    f = findings[("notebook-without-autostop", "plain")]
    assert f.monthly_savings_usd == pytest.approx(0.23 * (730 - 220))
    assert "sagetrim autostop install plain --idle-minutes 60 --apply" in f.message


def test_idle_notebook_is_one_running_for_days_with_nothing_to_stop_it(findings):
    flagged = {name for rule, name in findings if rule == "idle-notebook"}
    assert flagged == {"plain", "commented"}
    assert findings[("idle-notebook", "plain")].evidence["running_hours"] == pytest.approx(240, abs=0.5)
    assert findings[("idle-notebook", "plain")].action.value == "stop-notebook"


def test_given_idle_notebook_scanned_alone_when_a_notebook_has_autostop_then_its_uptime_counts_as_use(
        idle_notebook_alone):
    assert set(idle_notebook_alone) == {"plain", "commented"}
    assert idle_notebook_alone["commented"].evidence["autostop"] == "autostop is mentioned only in a comment"
