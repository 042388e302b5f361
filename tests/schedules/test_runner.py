"""`schedule run` against the simulated account: late runs, idempotence, retries, targets, Studio apps, dry
runs, the calls it makes, and failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from sagetrim.errors import GuardrailError, UsageError
from sagetrim.schedules import Decision, parse_schedules, run_schedules
from tests.schedules.conftest import REGION, create_domain, create_notebook, notebook_status

if TYPE_CHECKING:
    from sagetrim.schedules import ClientFor
    from sagetrim.sim import SimServer

ACCOUNT = "123456789012"
OFFICE: dict[str, Any] = {
    "name": "office",
    "timezone": "America/New_York",
    "start": "cron(0 7 ? * MON-FRI *)",
    "stop": "cron(0 21 ? * MON-FRI *)",
    "targets": {"name_prefix": "ds-"},
}
STOP_AT = datetime(2026, 11, 3, 2, tzinfo=UTC)  # Mon 2026-11-02 21:00 EST
START_AT = datetime(2026, 11, 2, 12, tzinfo=UTC)  # Mon 07:00 EST
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def clients(sim: SimServer, **overrides: Any) -> ClientFor:
    """One sim client per (region, service) without retries; ``overrides`` replace services by name."""
    cache: dict[tuple[str, str], Any] = {}

    def client_for(region: str, service: str) -> Any:
        if service in overrides:
            return overrides[service]
        if (region, service) not in cache:
            cache[(region, service)] = sim.client(service, region, config=NO_RETRIES)
        return cache[(region, service)]

    return client_for


def run(sim: SimServer, at: datetime, *, apply: bool = True, schedules: list[dict[str, Any]] | None = None,
        **kw: Any) -> Any:
    sim.clock.set(at)
    client_for = kw.pop("client_for", None) or clients(sim)
    return run_schedules(parse_schedules(schedules or [OFFICE]), client_for, at, apply=apply,
                         regions=kw.pop("regions", [REGION]), **kw)


@pytest.fixture
def sm(clean_sim: SimServer) -> Any:
    clean_sim.clock.set(START_AT)
    return clean_sim.client("sagemaker", REGION)


def outcomes(report: Any) -> dict[str, tuple[str, str | None]]:
    return {d.target.name: (d.outcome, d.operation) for d in report.decisions}


def test_given_a_missed_stop_when_run_seven_minutes_late_then_the_notebook_is_stopped(
    clean_sim: SimServer, sm: Any
) -> None:
    create_notebook(sm, "ds-one")
    report = run(clean_sim, STOP_AT + timedelta(minutes=7))
    assert outcomes(report) == {"ds-one": ("done", "StopNotebookInstance")}
    assert notebook_status(sm, "ds-one") == "Stopped"
    assert report.decisions[0].transition.to_json()["at"] == "2026-11-02T21:00:00-05:00"


def test_given_a_stopped_notebook_when_the_stop_is_due_then_it_is_left_alone(clean_sim: SimServer, sm: Any) -> None:
    create_notebook(sm, "ds-one")
    sm.stop_notebook_instance(NotebookInstanceName="ds-one")
    clean_sim.requests.reset()
    report = run(clean_sim, STOP_AT + timedelta(minutes=10))
    assert outcomes(report) == {"ds-one": ("in-state", None)}
    assert "sagemaker:StopNotebookInstance" not in clean_sim.requests.counts()


def test_given_runs_repeated_when_nothing_changed_then_the_second_run_does_nothing(clean_sim: SimServer,
                                                                                  sm: Any) -> None:
    create_notebook(sm, "ds-one")
    first = run(clean_sim, STOP_AT)
    second = run(clean_sim, STOP_AT + timedelta(minutes=10))
    assert (first.counts(), second.counts()) == ({"done": 1}, {"in-state": 1})


def test_given_a_pending_notebook_when_the_stop_is_due_then_it_is_retried_on_the_next_run(
    clean_sim: SimServer, sm: Any
) -> None:
    create_notebook(sm, "ds-one")
    clean_sim.set_status(ACCOUNT, REGION, "notebook-instance", "ds-one", "Pending")
    first = run(clean_sim, STOP_AT)
    assert first.decisions[0].outcome == "skipped"
    assert first.decisions[0].reason == "Pending: retry on the next run"
    clean_sim.set_status(ACCOUNT, REGION, "notebook-instance", "ds-one", "InService")
    second = run(clean_sim, STOP_AT + timedelta(minutes=10))
    assert outcomes(second) == {"ds-one": ("done", "StopNotebookInstance")}
    assert notebook_status(sm, "ds-one") == "Stopped"


def test_given_a_stopped_notebook_when_the_start_is_due_then_it_is_started(clean_sim: SimServer, sm: Any) -> None:
    create_notebook(sm, "ds-one")
    sm.stop_notebook_instance(NotebookInstanceName="ds-one")
    report = run(clean_sim, START_AT + timedelta(minutes=3))
    assert outcomes(report) == {"ds-one": ("done", "StartNotebookInstance")}
    assert notebook_status(sm, "ds-one") == "InService"


def test_given_a_dry_run_when_the_stop_is_due_then_nothing_changes(clean_sim: SimServer, sm: Any) -> None:
    for name in ("ds-one", "ds-two"):
        create_notebook(sm, name)
    clean_sim.requests.reset()
    report = run(clean_sim, STOP_AT, apply=False)
    assert outcomes(report) == {"ds-one": ("planned", "StopNotebookInstance"),
                                "ds-two": ("planned", "StopNotebookInstance")}
    assert {notebook_status(sm, n) for n in ("ds-one", "ds-two")} == {"InService"}
    assert set(clean_sim.requests.counts()) == {"sagemaker:ListNotebookInstances",
                                                "resourcegroupstaggingapi:GetResources",
                                                "sagemaker:DescribeNotebookInstance"}
    assert clean_sim.requests.counts()["sagemaker:DescribeNotebookInstance"] == 2  # only the checks above
    assert report.to_json()["apply"] is False


def test_given_prefix_substring_and_tag_targets_when_run_then_only_the_targets_are_stopped(
    clean_sim: SimServer, sm: Any
) -> None:
    create_notebook(sm, "ds-by-prefix")
    create_notebook(sm, "team-ml-by-substring")
    create_notebook(sm, "by-tag", tags={"sagetrim:schedule": "tagged"})
    create_notebook(sm, "ds-tagged-elsewhere", tags={"sagetrim:schedule": "no-such-schedule"})
    create_notebook(sm, "ds-opted-out", tags={"sagetrim:exclude": "true"})
    create_notebook(sm, "untouched")
    schedules = [
        OFFICE,
        {**OFFICE, "name": "substring", "targets": {"name_contains": "-ml-"}},
        {**OFFICE, "name": "tagged", "targets": {"tag": True}},
    ]
    report = run(clean_sim, STOP_AT, schedules=schedules)
    assert outcomes(report) == {
        "ds-by-prefix": ("done", "StopNotebookInstance"),
        "team-ml-by-substring": ("done", "StopNotebookInstance"),
        "by-tag": ("done", "StopNotebookInstance"),
        "ds-opted-out": ("skipped", None),
    }
    assert {d.target.name: d.schedule for d in report.decisions if d.outcome == "done"} == {
        "ds-by-prefix": "office", "team-ml-by-substring": "substring", "by-tag": "tagged"}
    statuses = {n["NotebookInstanceName"]: n["NotebookInstanceStatus"]
                for n in sm.list_notebook_instances(MaxResults=100)["NotebookInstances"]}
    assert statuses == {"ds-by-prefix": "Stopped", "team-ml-by-substring": "Stopped", "by-tag": "Stopped",
                        "ds-tagged-elsewhere": "InService", "ds-opted-out": "InService", "untouched": "InService"}


def test_given_many_notebooks_when_run_then_it_lists_in_pages_of_100_and_reads_tags_in_one_call(
    clean_sim: SimServer, sm: Any
) -> None:
    for i in range(130):
        create_notebook(sm, f"nb-{i:03d}", tags={"team": "a"} if i % 2 else None)
    clean_sim.requests.reset()
    report = run(clean_sim, STOP_AT, apply=False, schedules=[{**OFFICE, "targets": {"tag": True}}])
    assert report.decisions == []
    assert clean_sim.requests.counts() == {"sagemaker:ListNotebookInstances": 2,
                                           "resourcegroupstaggingapi:GetResources": 1}


def test_given_studio_apps_when_the_stop_is_due_then_they_are_deleted_and_their_owners_stay(
    clean_sim: SimServer, sm: Any
) -> None:
    domain = create_domain(sm)
    sm.create_user_profile(DomainId=domain, UserProfileName="ds-ana")
    sm.create_user_profile(DomainId=domain, UserProfileName="bob")
    sm.create_space(DomainId=domain, SpaceName="ds-shared", OwnershipSettings={"OwnerUserProfileName": "bob"},
                    SpaceSharingSettings={"SharingType": "Shared"})
    sm.create_app(DomainId=domain, UserProfileName="ds-ana", AppType="JupyterLab", AppName="default")
    sm.create_app(DomainId=domain, SpaceName="ds-shared", AppType="CodeEditor", AppName="default")
    sm.create_app(DomainId=domain, UserProfileName="bob", AppType="JupyterLab", AppName="default")
    schedule = {**OFFICE, "targets": {"kinds": ["studio-app"], "name_prefix": "ds-"}}

    report = run(clean_sim, STOP_AT, schedules=[schedule])

    assert outcomes(report) == {f"{domain}/ds-ana/JupyterLab/default": ("done", "DeleteApp"),
                                f"{domain}/ds-shared/CodeEditor/default": ("done", "DeleteApp")}
    arns = {d.target.arn for d in report.decisions}
    assert f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:app/{domain}/ds-ana/jupyterlab/default" in arns
    apps = {(a.get("UserProfileName") or a.get("SpaceName")): a["Status"]
            for a in sm.list_apps(MaxResults=100)["Apps"]}
    assert apps == {"ds-ana": "Deleted", "ds-shared": "Deleted", "bob": "InService"}
    assert sm.describe_user_profile(DomainId=domain, UserProfileName="ds-ana")["Status"] == "InService"
    assert sm.describe_space(DomainId=domain, SpaceName="ds-shared")["Status"] == "InService"


def test_given_studio_apps_when_the_start_is_due_then_they_are_not_started_and_the_report_says_why(
    clean_sim: SimServer, sm: Any
) -> None:
    domain = create_domain(sm)
    sm.create_user_profile(DomainId=domain, UserProfileName="ds-ana")
    sm.create_app(DomainId=domain, UserProfileName="ds-ana", AppType="JupyterLab", AppName="default")
    sm.delete_app(DomainId=domain, UserProfileName="ds-ana", AppType="JupyterLab", AppName="default")
    schedule = {**OFFICE, "targets": {"kinds": ["studio-app"], "name_prefix": "ds-"}}
    clean_sim.requests.reset()
    report = run(clean_sim, START_AT, schedules=[schedule])
    assert report.decisions == []  # a deleted app is history, not a resource
    assert any("never started" in note for note in report.notes)
    assert "sagemaker:CreateApp" not in clean_sim.requests.counts()


def test_given_a_studio_app_tagged_with_the_schedule_when_the_stop_is_due_then_it_is_deleted(
    clean_sim: SimServer, sm: Any
) -> None:
    # The sim's tagging API lists no Studio apps, so GetResources is answered by a stub with the exact request.
    domain = create_domain(sm)
    sm.create_user_profile(DomainId=domain, UserProfileName="ana")
    sm.create_app(DomainId=domain, UserProfileName="ana", AppType="JupyterLab", AppName="default")
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:app/{domain}/ana/jupyterlab/default"
    tagging = boto3.client("resourcegroupstaggingapi", region_name=REGION, aws_access_key_id="x",
                           aws_secret_access_key="x")
    stub = Stubber(tagging)
    stub.add_response(
        "get_resources",
        {"ResourceTagMappingList": [{"ResourceARN": arn, "Tags": [{"Key": "sagetrim:schedule", "Value": "office"}]}]},
        {"ResourceTypeFilters": ["sagemaker:app"], "ResourcesPerPage": 100},
    )
    schedule = {**OFFICE, "targets": {"kinds": ["studio-app"], "tag": True}}
    with stub:
        report = run(clean_sim, STOP_AT, schedules=[schedule],
                     client_for=clients(clean_sim, resourcegroupstaggingapi=tagging))
    stub.assert_no_pending_responses()
    assert [(d.target.arn, d.outcome, d.operation) for d in report.decisions] == [(arn, "done", "DeleteApp")]


def test_given_a_status_change_after_listing_when_applying_then_the_recheck_skips_the_call(
    clean_sim: SimServer, sm: Any
) -> None:
    create_notebook(sm, "ds-one")
    client_for = clients(clean_sim)
    client_for(REGION, "sagemaker").meta.events.register(
        "after-call.sagemaker.ListNotebookInstances",
        lambda **_: clean_sim.set_status(ACCOUNT, REGION, "notebook-instance", "ds-one", "Stopping"))
    report = run(clean_sim, STOP_AT, client_for=client_for)
    assert outcomes(report) == {"ds-one": ("skipped", "StopNotebookInstance")}
    assert report.decisions[0].reason == "now Stopping, was InService when listed: retry on the next run"
    assert "sagemaker:StopNotebookInstance" not in clean_sim.requests.counts()


def test_given_a_refused_call_when_applying_then_it_is_reported_failed_and_the_others_go_on(
    clean_sim: SimServer, sm: Any
) -> None:
    for name in ("ds-one", "ds-two"):
        create_notebook(sm, name)
    clean_sim.faults.access_denied(operation="StopNotebookInstance", times=1)
    report = run(clean_sim, STOP_AT)
    assert sorted(d.outcome for d in report.decisions) == ["done", "failed"]
    failed = next(d for d in report.decisions if d.outcome == "failed")
    assert failed.reason.startswith("AccessDeniedException on StopNotebookInstance")


def test_given_a_region_that_cannot_be_read_when_run_then_it_is_reported_and_the_others_go_on(
    clean_sim: SimServer, sm: Any
) -> None:
    create_notebook(sm, "ds-one")
    clean_sim.faults.access_denied(operation="ListNotebookInstances", region="eu-west-1")
    report = run(clean_sim, STOP_AT, regions=[REGION, "eu-west-1"])
    assert [(e.region, e.code) for e in report.errors] == [("eu-west-1", "AccessDeniedException")]
    assert outcomes(report) == {"ds-one": ("done", "StopNotebookInstance")}
    assert report.regions == ["eu-west-1", REGION]


def test_given_a_schedule_with_its_own_regions_when_run_then_it_covers_those(clean_sim: SimServer, sm: Any) -> None:
    create_notebook(clean_sim.client("sagemaker", "eu-west-1"), "ds-eu")
    create_notebook(sm, "ds-us")
    report = run(clean_sim, STOP_AT, schedules=[{**OFFICE, "regions": ["eu-west-1"]}])
    assert outcomes(report) == {"ds-eu": ("done", "StopNotebookInstance")}


def test_given_no_region_anywhere_when_run_then_it_is_a_usage_error(clean_sim: SimServer) -> None:
    with pytest.raises(UsageError, match="covers no region"):
        run(clean_sim, STOP_AT, regions=[])


def test_given_more_actions_than_the_limit_when_applying_then_nothing_is_changed(clean_sim: SimServer,
                                                                               sm: Any) -> None:
    for name in ("ds-one", "ds-two", "ds-three"):
        create_notebook(sm, name)
    with pytest.raises(GuardrailError, match="would start or stop 3 resources, more than the limit of 2"):
        run(clean_sim, STOP_AT, max_actions=2)
    assert {notebook_status(sm, n) for n in ("ds-one", "ds-two", "ds-three")} == {"InService"}


def test_given_an_action_hook_when_applying_then_it_sees_every_outcome(clean_sim: SimServer, sm: Any) -> None:
    create_notebook(sm, "ds-one")
    create_notebook(sm, "ds-off")
    sm.stop_notebook_instance(NotebookInstanceName="ds-off")
    seen: list[Decision] = []
    run(clean_sim, STOP_AT, on_action=seen.append)
    assert [(d.target.name, d.outcome) for d in seen] == [("ds-one", "done")]
