"""`sagetrim schedule next` and `schedule run` from the command line, against the simulated account."""

from __future__ import annotations

import json

SETTINGS = """\
regions: [us-east-1]
schedules:
  - name: office-hours
    timezone: Europe/Paris
    start: cron(0 8 ? * MON-FRI *)
    stop: cron(0 19 ? * MON-FRI *)
    targets: {name_prefix: ds-}
"""


def test_next_lists_transitions_in_the_schedule_time_zone(cli, tmp_path):
    config = tmp_path / "sagetrim.yaml"
    config.write_text(SETTINGS)
    result = cli("schedule", "next", "--config", str(config), "--count", "3", "--format", "json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert len(rows) == 3 and {r["action"] for r in rows} <= {"start", "stop"}
    assert all(r["at"][11:16] in ("08:00", "19:00") and r["timezone"] == "Europe/Paris" for r in rows)


def test_run_stops_at_night_and_plans_only_without_apply(cli, sim, tmp_path):
    config = tmp_path / "sagetrim.yaml"
    config.write_text(SETTINGS)
    sm = sim.client("sagemaker")
    for name in ("ds-alice", "other-bob"):
        sm.create_notebook_instance(NotebookInstanceName=name, InstanceType="ml.t3.medium",
                                    RoleArn="arn:aws:iam::123456789012:role/x")
    night = "2026-11-25T22:30:00+01:00"  # a Wednesday, after the 19:00 stop in Paris
    planned = cli("schedule", "run", "--config", str(config), "--at", night, "--format", "json", env=sim.env())
    assert planned.code == 0, planned.err
    [decision] = [d for d in json.loads(planned.out)["decisions"] if d["name"] == "ds-alice"]
    assert decision["outcome"] == "planned" and decision["desired"] == "stopped"
    assert sm.describe_notebook_instance(NotebookInstanceName="ds-alice")["NotebookInstanceStatus"] == "InService"
    done = cli("schedule", "run", "--config", str(config), "--at", night, "--apply", env=sim.env())
    assert done.code == 0, done.err
    assert sm.describe_notebook_instance(NotebookInstanceName="ds-alice")["NotebookInstanceStatus"] == "Stopped"
    assert sm.describe_notebook_instance(NotebookInstanceName="other-bob")["NotebookInstanceStatus"] == "InService"


def test_an_invalid_cron_expression_is_refused_with_the_reason(cli, tmp_path):
    config = tmp_path / "sagetrim.yaml"
    config.write_text(SETTINGS.replace("cron(0 19 ? * MON-FRI *)", "cron(0 19 * * MON-FRI *)"))
    result = cli("schedule", "next", "--config", str(config))
    assert result.code == 2 and "line 6" in result.err and "Traceback" not in result.err


def test_no_schedules_is_a_usage_error(cli, tmp_path):
    config = tmp_path / "sagetrim.yaml"
    config.write_text("regions: [us-east-1]\n")
    result = cli("schedule", "next", "--config", str(config))
    assert result.code == 2 and "schedules" in result.err
