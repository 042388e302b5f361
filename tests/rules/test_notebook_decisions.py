"""idle-notebook and notebook-without-autostop at their edges: the compute they save (storage keeps billing
while a notebook is stopped), and a notebook left alone never hiding the next one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sagetrim.agent.lifecycle import AgentOptions, render_on_start
from sagetrim.catalog import load_catalog
from sagetrim.inventory.details import NotebookDetails
from sagetrim.inventory.model import Kind, Resource
from sagetrim.rules import idle_notebook, notebook_without_autostop
from sagetrim.rules.context import RuleContext

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
STORAGE = 0.00095  # a volume, per hour
SAMPLE_URL = ("https://raw.githubusercontent.com/aws-samples/amazon-sagemaker-notebook-instance-lifecycle-config-"
              "samples/master/scripts/auto-stop-idle/autostop.py")
CRON = '(crontab -l 2>/dev/null; echo "*/5 * * * * /usr/bin/python3 $PWD/autostop.py --time 3600") | crontab -'
# Lifecycle scripts that install a recognised autostop.
RECOGNISED = {
    "aws-sample": f"#!/bin/bash\nwget {SAMPLE_URL}\n{CRON}\n",
    "sagetrim-agent": render_on_start(AgentOptions(idle_minutes=30)),
    "cron-stop": '#!/bin/bash\necho "0 20 * * * root aws sagemaker stop-notebook-instance --notebook-instance-name nb" '
                 "> /etc/cron.d/stop-at-night\n",
}
# Lifecycle scripts that mention autostop without installing it: (script, the reason, the line quoted).
TRAPS = {
    "commented-out": (f"#!/bin/bash\n# wget {SAMPLE_URL}\n#{CRON}\n", "autostop is mentioned only in a comment",
                      f"# wget {SAMPLE_URL}"),
    "todo": ("#!/bin/bash\n# TODO: add autostop\n", "autostop is mentioned only in a comment", "# TODO: add autostop"),
    "echo": ('#!/bin/bash\necho "autostop"\n', "autostop is only printed, never run", 'echo "autostop"'),
    "kernel-culling": ("#!/bin/bash\necho 'c.MappingKernelManager.cull_idle_timeout = 3600' >> /home/ec2-user/.jupyter/"
                       "jupyter_notebook_config.py\n", "kernel culling stops kernels, not the instance",
                       "echo 'c.MappingKernelManager.cull_idle_timeout = 3600' >> /home/ec2-user/.jupyter/"
                       "jupyter_notebook_config.py"),
    "never-scheduled": (f"#!/bin/bash\nwget {SAMPLE_URL}\n",
                        "it saves AWS's auto-stop-idle sample (autostop.py) but nothing runs it on a schedule",
                        f"wget {SAMPLE_URL}"),
}


def notebook(name: str, *, running_hours: float = 100, status: str = "InService", usd_per_hour: float = 0.123456,
             lifecycle_config: str | None = None, described: bool = True) -> Resource:
    """A notebook instance InService since `running_hours` ago, its burn rate including its volume."""
    return Resource(
        kind=Kind.NOTEBOOK, account="123456789012", region="us-east-1", name=name,
        arn=f"arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/{name}", status=status,
        created=NOW - timedelta(days=30), last_modified=NOW - timedelta(hours=running_hours),
        instance_type="ml.t3.large", instance_count=1, usd_per_hour=usd_per_hour,
        details=NotebookDetails(lifecycle_config=lifecycle_config, storage_usd_per_hour=STORAGE, volume_gb=7)
        if described else None)


def context(*resources: Resource, scripts: dict[str, str] | None = None) -> RuleContext:
    return RuleContext(account="123456789012", region="us-east-1", now=NOW, catalog=load_catalog(use_cache=False),
                       resources=list(resources), lifecycle_scripts=scripts or {})


@pytest.mark.parametrize("rule", [idle_notebook, notebook_without_autostop], ids=lambda m: m.RULE.id)
def test_the_saving_is_the_compute_alone_outside_the_hours_of_use(rule) -> None:
    params = rule.Params(expected_use_hours_per_month=130)
    [finding] = rule.RULE.evaluate(context(notebook("nb")), params)
    compute = 0.123456 - STORAGE
    assert finding.monthly_savings_usd == pytest.approx(compute * (730 - 130))
    assert finding.evidence["usd_per_hour"] == round(compute, 4) == 0.1225


@pytest.mark.parametrize("rule", [idle_notebook, notebook_without_autostop], ids=lambda m: m.RULE.id)
def test_a_stopped_notebook_does_not_hide_the_next(rule) -> None:
    found = rule.RULE.evaluate(context(notebook("stopped", status="Stopped"), notebook("running")), rule.Params())
    assert [f.name for f in found] == ["running"]


def test_a_notebook_started_recently_does_not_hide_one_left_on() -> None:
    found = idle_notebook.RULE.evaluate(context(notebook("fresh", running_hours=3), notebook("left-on")),
                                        idle_notebook.Params())
    assert [f.name for f in found] == ["left-on"]


def test_a_notebook_with_autostop_does_not_hide_one_without() -> None:
    scripts = {"autostop": RECOGNISED["aws-sample"]}
    found = notebook_without_autostop.RULE.evaluate(
        context(notebook("stops", lifecycle_config="autostop"), notebook("never", lifecycle_config="setup"),
                scripts={**scripts, "setup": "pip install pandas"}),
        notebook_without_autostop.Params())
    [finding] = found
    assert finding.name == "never"
    assert finding.evidence["stops_when_idle"] is False
    assert "'setup' does not stop it when idle" in finding.message


def test_a_notebook_without_any_lifecycle_configuration_is_told_so() -> None:
    [finding] = notebook_without_autostop.RULE.evaluate(context(notebook("bare")), notebook_without_autostop.Params())
    assert finding.message.startswith("it has no lifecycle configuration")


@pytest.mark.parametrize("script", RECOGNISED.values(), ids=RECOGNISED.keys())
@pytest.mark.parametrize("rule", [idle_notebook, notebook_without_autostop], ids=lambda m: m.RULE.id)
def test_given_a_recognised_autostop_when_evaluated_then_the_notebook_gets_no_finding(rule, script) -> None:
    found = rule.RULE.evaluate(context(notebook("stops", lifecycle_config="cfg"), scripts={"cfg": script}),
                               rule.Params())
    assert list(found) == []


@pytest.mark.parametrize(("script", "reason", "quoted"), TRAPS.values(), ids=TRAPS.keys())
def test_given_a_trap_when_notebook_without_autostop_evaluates_then_the_finding_quotes_what_decided(
        script, reason, quoted) -> None:
    [finding] = notebook_without_autostop.RULE.evaluate(
        context(notebook("nb", lifecycle_config="cfg"), scripts={"cfg": script}), notebook_without_autostop.Params())
    assert finding.evidence["stops_when_idle"] is False
    assert finding.evidence["autostop"] == reason
    assert finding.evidence["autostop_line"] == 2
    assert finding.evidence["autostop_text"] == quoted
    assert f"does not stop it when idle: {reason} (line 2: {quoted})" in finding.message


def test_given_a_notebook_without_configuration_when_evaluated_then_the_evidence_says_there_is_none() -> None:
    [finding] = notebook_without_autostop.RULE.evaluate(context(notebook("bare")), notebook_without_autostop.Params())
    assert finding.evidence["autostop"] == "no lifecycle configuration"
    assert finding.evidence["autostop_line"] is None


def test_given_idle_notebook_when_registered_then_it_asks_for_the_lifecycle_scripts() -> None:
    assert idle_notebook.RULE.needs_lifecycle_scripts is True


def test_given_autostop_commented_out_when_idle_notebook_evaluates_then_it_proposes_the_stop() -> None:
    script, reason, _ = TRAPS["commented-out"]
    [finding] = idle_notebook.RULE.evaluate(
        context(notebook("left-on", running_hours=100, lifecycle_config="cfg"), scripts={"cfg": script}),
        idle_notebook.Params())
    assert finding.action.value == "stop-notebook"
    assert finding.evidence["lifecycle_config"] == "cfg"
    assert finding.evidence["autostop"] == reason


def test_given_a_notebook_with_autostop_when_idle_notebook_evaluates_then_it_does_not_hide_one_without() -> None:
    found = idle_notebook.RULE.evaluate(
        context(notebook("stops", lifecycle_config="auto"), notebook("never", lifecycle_config="setup"),
                notebook("bare"), scripts={"auto": RECOGNISED["aws-sample"], "setup": "pip install pandas"}),
        idle_notebook.Params())
    assert [(f.name, f.evidence["autostop"]) for f in found] == [
        ("never", "nothing in it stops the instance when idle"), ("bare", "no lifecycle configuration")]


@pytest.mark.parametrize("rule", [idle_notebook, notebook_without_autostop], ids=lambda m: m.RULE.id)
def test_without_details_the_whole_burn_rate_counts_as_compute(rule) -> None:
    params = rule.Params(expected_use_hours_per_month=130)
    [finding] = rule.RULE.evaluate(context(notebook("nb", described=False)), params)
    assert finding.monthly_savings_usd == pytest.approx(0.123456 * (730 - 130))
