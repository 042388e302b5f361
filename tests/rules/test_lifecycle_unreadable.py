"""A notebook's lifecycle configuration is judged by its OnStart script; one that cannot be read makes the
notebook unknown for both autostop rules (never "no autostop"), and the other notebooks are judged as usual."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select
from sagetrim.sim import SimServer

ROLE = "arn:aws:iam::123456789012:role/x"
REGION = "us-east-1"
SAMPLE_URL = ("https://raw.githubusercontent.com/aws-samples/amazon-sagemaker-notebook-instance-lifecycle-config-"
              "samples/master/scripts/auto-stop-idle/autostop.py")
AUTOSTOP = (f"#!/bin/bash\nset -e\nwget {SAMPLE_URL}\n"
            '(crontab -l 2>/dev/null; echo "*/5 * * * * /usr/bin/python3 $PWD/autostop.py --time 3600") | crontab -\n')


def b64(script: str) -> list[dict[str, str]]:
    return [{"Content": base64.b64encode(script.encode()).decode()}]


def notebooks(sim: SimServer, *pairs: tuple[str, str | None]) -> None:
    from sagetrim.sim import sagemaker_fixes

    sm = sim.client("sagemaker", REGION)
    when = sim.clock.now() - timedelta(days=10)
    for name, config in pairs:
        params: dict[str, Any] = {"NotebookInstanceName": name, "InstanceType": "ml.m5.xlarge", "RoleArn": ROLE}
        if config:
            params["LifecycleConfigName"] = config
        sm.create_notebook_instance(**params)
        sagemaker_fixes.set_creation_time(sim.account_id, REGION, "notebook-instance", name, when, last_modified=when)


def scan(sim: SimServer) -> Any:
    return run_scan(sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                    rules=select(["notebook-without-autostop", "idle-notebook"]), settings=Settings())


def test_given_a_configuration_that_cannot_be_read_then_its_notebook_is_unknown_and_the_others_judged(
    clean_sim: SimServer
) -> None:
    sm = clean_sim.client("sagemaker", REGION)
    sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName="secret", OnStart=b64(AUTOSTOP))
    notebooks(clean_sim, ("guarded", "secret"), ("plain", None))
    clean_sim.faults.access_denied(operation="DescribeNotebookInstanceLifecycleConfig")

    result = scan(clean_sim)

    assert {(f.rule, f.name) for f in result.findings} == {("notebook-without-autostop", "plain"),
                                                          ("idle-notebook", "plain")}
    unknown = {(u.rule, u.name): u.reason for u in result.unknowns}
    assert set(unknown) == {("notebook-without-autostop", "guarded"), ("idle-notebook", "guarded")}
    assert "lifecycle configuration secret could not be read: AccessDeniedException" in unknown[
        ("idle-notebook", "guarded")]
    assert result.errors == []


def test_given_autostop_installed_only_on_create_then_it_does_not_count(clean_sim: SimServer) -> None:
    sm = clean_sim.client("sagemaker", REGION)
    sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName="once",
                                                 OnCreate=b64(AUTOSTOP), OnStart=b64("#!/bin/bash\necho hello\n"))
    sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName="every-start",
                                                 OnStart=b64(AUTOSTOP))
    notebooks(clean_sim, ("created-with-cron", "once"), ("started-with-cron", "every-start"))

    result = scan(clean_sim)

    assert {(f.rule, f.name) for f in result.findings} == {("notebook-without-autostop", "created-with-cron"),
                                                          ("idle-notebook", "created-with-cron")}
