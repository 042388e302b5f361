"""Apply the schedules through boto3: list what they target, plan, re-check, then start or stop.

Per region: ListNotebookInstances and ListApps at 100 a page (only the kinds some schedule targets there),
and one paginated GetResources call of the Resource Groups Tagging API that reads both the
``sagetrim:schedule`` and the ``sagetrim:exclude`` tags, never a ListTags per resource. Right before each
start or stop the resource is described again, and the call is made only if its status is still the one
planned on. A region that cannot be read is reported and the others go on.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from sagetrim.aws.errors import is_not_found
from sagetrim.errors import GuardrailError, UsageError
from sagetrim.optout import is_excluded
from sagetrim.schedules.model import SCHEDULE_TAG, Schedule, TargetKind
from sagetrim.schedules.planner import (
    APPS_NOT_STARTED,
    LOOKBACK,
    RETRY,
    AppRef,
    Decision,
    Target,
    as_utc,
    plan,
)

if TYPE_CHECKING:
    import boto3

__all__ = [
    "PERMISSIONS",
    "ClientFor",
    "RegionError",
    "RunReport",
    "collect_targets",
    "run_schedules",
    "session_clients",
]

# (region, service) -> a boto3 client
ClientFor = Callable[[str, str], Any]

# What `schedule run --apply` needs (read-only without --apply: the List/Describe ones and GetResources).
PERMISSIONS = (
    "sagemaker:ListNotebookInstances",
    "sagemaker:DescribeNotebookInstance",
    "sagemaker:StartNotebookInstance",
    "sagemaker:StopNotebookInstance",
    "sagemaker:ListApps",
    "sagemaker:DescribeApp",
    "sagemaker:DeleteApp",
    "tag:GetResources",
)
PAGE = 100
_RESOURCE_TYPES: dict[TargetKind, str] = {"notebook-instance": "sagemaker:notebook-instance",
                                          "studio-app": "sagemaker:app"}


def session_clients(session: boto3.Session) -> ClientFor:
    """A ClientFor over one boto3 session, with sagetrim's retry settings and one client per (region,
    service)."""
    from sagetrim.aws.session import client

    cache: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def client_for(region: str, service: str) -> Any:
        with lock:
            if (region, service) not in cache:
                cache[(region, service)] = client(session, service, region)
            return cache[(region, service)]

    return client_for


@dataclass(frozen=True)
class RegionError:
    """A region whose resources could not be read; nothing was done there."""

    region: str
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"region": self.region, "code": self.code, "message": self.message}


@dataclass
class RunReport:
    """What one run of the schedules found, planned and did."""

    at: datetime
    apply: bool
    regions: list[str]
    decisions: list[Decision] = field(default_factory=list)
    errors: list[RegionError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Decisions per outcome (planned, done, failed, skipped, in-state)."""
        return dict(sorted(Counter(d.outcome for d in self.decisions).items()))

    @property
    def actions(self) -> list[Decision]:
        """The decisions that call (or would call) a start or a stop."""
        return [d for d in self.decisions if d.operation is not None]

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "apply": self.apply,
            "regions": self.regions,
            "counts": self.counts(),
            "decisions": [d.to_json() for d in self.decisions],
            "errors": [e.to_json() for e in self.errors],
            "notes": self.notes,
        }


def _error(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return str(err.get("Code", "Error")), str(err.get("Message", ""))
    return type(exc).__name__, str(exc)


def _utc(value: Any) -> datetime | None:
    return value.astimezone(UTC) if isinstance(value, datetime) else None


def _app_key(domain: str, owner: str, app_type: str, name: str) -> tuple[str, str, str, str]:
    return domain, owner, app_type.lower(), name


def _tags(tagging: Any, kinds: Iterable[TargetKind]) -> dict[str, dict[str, str]]:
    """The tags of every tagged notebook instance / Studio app of the region, by ARN, in one paginated call."""
    out: dict[str, dict[str, str]] = {}
    pages = tagging.get_paginator("get_resources").paginate(
        ResourceTypeFilters=[_RESOURCE_TYPES[k] for k in kinds], ResourcesPerPage=PAGE)
    for page in pages:
        for mapping in page.get("ResourceTagMappingList", []):
            out[mapping["ResourceARN"]] = {t["Key"]: t["Value"] for t in mapping.get("Tags", [])}
    return out


def collect_targets(region: str, kinds: set[TargetKind], client_for: ClientFor) -> list[Target]:
    """List the notebook instances and Studio apps of a region, with their schedule and opt-out tags.

    Studio apps already deleted (still listed for a while as ``Deleted``) are left out.

    Args:
        region: the region.
        kinds: the kinds to list (the others cost no call).
        client_for: ``(region, service) -> boto3 client``.

    Returns:
        The resources as planning targets.

    Raises:
        botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError: the region could not be read.
    """
    sagemaker = client_for(region, "sagemaker")
    notebooks: list[dict[str, Any]] = []
    apps: list[dict[str, Any]] = []
    if "notebook-instance" in kinds:
        for page in sagemaker.get_paginator("list_notebook_instances").paginate(
                PaginationConfig={"PageSize": PAGE}):
            notebooks.extend(page.get("NotebookInstances", []))
    if "studio-app" in kinds:
        for page in sagemaker.get_paginator("list_apps").paginate(PaginationConfig={"PageSize": PAGE}):
            apps.extend(a for a in page.get("Apps", []) if a.get("Status") != "Deleted")
    if not notebooks and not apps:
        return []
    tags = _tags(client_for(region, "resourcegroupstaggingapi"), sorted(kinds))

    def tagged(arn: str) -> tuple[str | None, bool]:
        found = tags.get(arn, {})
        return found.get(SCHEDULE_TAG), is_excluded(found)

    out = []
    for nb in notebooks:
        schedule_tag, excluded = tagged(nb["NotebookInstanceArn"])
        out.append(Target(
            kind="notebook-instance", region=region, name=nb["NotebookInstanceName"], arn=nb["NotebookInstanceArn"],
            status=nb["NotebookInstanceStatus"], changed=_utc(nb.get("LastModifiedTime")),
            match_names=(nb["NotebookInstanceName"],), schedule_tag=schedule_tag, excluded=excluded,
            instance_type=nb.get("InstanceType")))
    if apps:
        out.extend(_app_targets(region, apps, tags, [nb["NotebookInstanceArn"] for nb in notebooks], client_for,
                                tagged))
    return out


def _app_targets(region: str, apps: list[dict[str, Any]], tags: dict[str, dict[str, str]], known_arns: list[str],
                 client_for: ClientFor, tagged: Callable[[str], tuple[str | None, bool]]) -> list[Target]:
    # ListApps gives no ARN. An app's ARN is app/DOMAIN/OWNER/apptype/APPNAME (app type in lower case); the
    # account comes from any ARN already at hand, else from STS.
    by_key = {}
    for tagged_arn in tags:
        parts = tagged_arn.split(":", 5)[-1].split("/")
        if parts[0] == "app" and len(parts) == 5:
            by_key[_app_key(*parts[1:])] = tagged_arn
    account = next((a.split(":")[4] for a in [*known_arns, *tags] if a.count(":") >= 5), None)
    out = []
    for app in apps:
        owner_field: Literal["UserProfileName", "SpaceName"] = (
            "SpaceName" if app.get("SpaceName") else "UserProfileName")
        owner = str(app.get(owner_field, ""))
        ref = AppRef(app["DomainId"], owner_field, owner, app["AppType"], app["AppName"])
        key = _app_key(ref.domain_id, owner, ref.app_type, ref.app_name)
        arn = by_key.get(key)
        if arn is None:
            if account is None:
                account = str(client_for(region, "sts").get_caller_identity()["Account"])
            arn = f"arn:aws:sagemaker:{region}:{account}:app/{'/'.join(key)}"
        schedule_tag, excluded = tagged(arn)
        out.append(Target(
            kind="studio-app", region=region, name=f"{ref.domain_id}/{owner}/{ref.app_type}/{ref.app_name}",
            arn=arn, status=app["Status"], changed=_utc(app.get("CreationTime")),
            match_names=(ref.app_name, owner), schedule_tag=schedule_tag, excluded=excluded,
            instance_type=(app.get("ResourceSpec") or {}).get("InstanceType"), app=ref))
    return out


def _current_status(sagemaker: Any, target: Target) -> str:
    if target.app is not None:
        return str(sagemaker.describe_app(**target.app.params())["Status"])
    return str(sagemaker.describe_notebook_instance(NotebookInstanceName=target.name)["NotebookInstanceStatus"])


def _apply(decision: Decision, client_for: ClientFor) -> Decision:
    """Re-check one planned decision and carry it out."""
    target = decision.target
    sagemaker = client_for(target.region, "sagemaker")
    try:
        status = _current_status(sagemaker, target)
        if status != target.status:
            return replace(decision, outcome="skipped",
                           reason=f"now {status}, was {target.status} when listed: {RETRY}")
        if decision.operation == "StopNotebookInstance":
            sagemaker.stop_notebook_instance(NotebookInstanceName=target.name)
        elif decision.operation == "StartNotebookInstance":
            sagemaker.start_notebook_instance(NotebookInstanceName=target.name)
        elif decision.operation == "DeleteApp" and target.app is not None:
            sagemaker.delete_app(**target.app.params())
    except (ClientError, BotoCoreError) as exc:
        if is_not_found(exc):
            return replace(decision, outcome="skipped", reason="no longer exists")
        code, message = _error(exc)
        return replace(decision, outcome="failed", reason=f"{code} on {decision.operation}: {message}")
    return replace(decision, outcome="done")


def _regions_of(schedules: Sequence[Schedule], regions: Sequence[str]) -> dict[str, list[Schedule]]:
    by_region: dict[str, list[Schedule]] = defaultdict(list)
    for schedule in schedules:
        covered = schedule.regions or tuple(regions)
        if not covered:
            raise UsageError(f"schedule {schedule.name!r} covers no region: give --regions, or set regions in "
                             "sagetrim.yaml or on the schedule")
        for region in dict.fromkeys(covered):
            by_region[region].append(schedule)
    return dict(sorted(by_region.items()))


def run_schedules(
    schedules: Sequence[Schedule],
    client_for: ClientFor,
    at: datetime,
    *,
    apply: bool = False,
    regions: Sequence[str] = (),
    lookback: timedelta = LOOKBACK,
    max_actions: int | None = None,
    on_action: Callable[[Decision], None] | None = None,
) -> RunReport:
    """Start and stop what the schedules want started or stopped at ``at``.

    Args:
        schedules: the schedules.
        client_for: ``(region, service) -> boto3 client``; see :func:`session_clients`.
        at: the moment to evaluate (naive means UTC); nothing here reads the wall clock.
        apply: make the calls; without it, report what would be done and change nothing.
        regions: the regions of schedules that name none.
        lookback: how far back a transition still counts.
        max_actions: refuse the whole run, before any call that changes something, when it would start or
            stop more resources than this.
        on_action: called with every decision that has an operation, once its outcome is known (for the
            audit journal).

    Returns:
        Every targeted resource's decision, the regions that failed, and notes.

    Raises:
        UsageError: a schedule covers no region.
        GuardrailError: more starts and stops than ``max_actions``.
    """
    moment = as_utc(at)
    by_region = _regions_of(schedules, regions)
    report = RunReport(at=moment, apply=apply, regions=list(by_region))
    for region, covering in by_region.items():
        kinds = {k for s in covering for k in s.targets.kinds}
        try:
            targets = collect_targets(region, kinds, client_for)
        except (ClientError, BotoCoreError) as exc:
            report.errors.append(RegionError(region, *_error(exc)))
            continue
        report.decisions.extend(plan(targets, covering, moment, lookback))
    planned = report.actions
    if apply and max_actions is not None and len(planned) > max_actions:
        raise GuardrailError(f"this run would start or stop {len(planned)} resources, more than the limit of "
                             f"{max_actions}; nothing was changed. Narrow the schedules' targets or raise the limit.")
    if any(s.start is not None and "studio-app" in s.targets.kinds for s in schedules):
        report.notes.append(APPS_NOT_STARTED)
    for index, decision in enumerate(report.decisions):
        if decision.operation is None:
            continue
        if apply:
            decision = report.decisions[index] = _apply(decision, client_for)
        if on_action is not None:
            on_action(decision)
    return report
