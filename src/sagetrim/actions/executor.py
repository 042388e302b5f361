"""Carry out the actions findings recommend, safely.

Dry run by default: without ``apply`` every action is only planned and journaled. With it, the guards run
before the first call (a maximum number of destructive actions per run), the plan is written to the state
store before the first change (under ``runs/YYYY/MM/DD/``), each resource is read again right
before it is changed (state, opt-out tag, the caller's re-check), an endpoint is deleted only after a
backup that was written and read back, notifications go out last (leaving out resources that opted out
since the scan), and every outcome lands in the journal.
A failure in one action, account or region is recorded and the rest go on.

Right before each change (stop, delete, tag) an intent record is appended to the journal, and the outcome
after it. A journal that cannot be written stops the run at once (before the change when the intent failed)
with a :class:`RunInterrupted` that says what was already done; an intent left without its outcome is
settled by the next applied run (:func:`sagetrim.actions.reconcile.reconcile`).
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import boto3
from botocore.exceptions import ClientError

from sagetrim.actions.backup import (
    AUTOSCALING_NAMESPACE,
    BACKUP_PERMISSIONS,
    EndpointNotFound,
    backup_digest,
    backup_key,
    snapshot_endpoint,
    store_backup,
    variant_resource_id,
)
from sagetrim.actions.budget import BudgetExhausted, TimeBudget
from sagetrim.actions.common import (
    REPLACES_TAG,
    error_text,
    list_tags,
    request_from,
    settable_tags,
    utc_iso,
)
from sagetrim.actions.journal import SAVING_ACTIONS, Journal, JournalEntry, OutcomeStatus
from sagetrim.actions.notify import NotifySettings, post_webhook, publish_sns
from sagetrim.actions.restore import RESTORE_PERMISSIONS, latest_backup
from sagetrim.actions.state import S3_STORE_PERMISSIONS, StateStore, StoreError
from sagetrim.aws.errors import is_not_found
from sagetrim.aws.session import client
from sagetrim.errors import ActionError, GuardrailError, UsageError
from sagetrim.optout import OPTED_OUT, is_excluded, opted_out_arns
from sagetrim.rules.model import Action, Finding

__all__ = [
    "ACTIONS",
    "ActReport",
    "DeleteEndpoint",
    "Notify",
    "Outcome",
    "Recheck",
    "RemoveVariant",
    "ResourceAction",
    "RunInterrupted",
    "SessionFor",
    "StopNotebook",
    "TagResource",
    "carry_out",
    "required_permissions",
]

SessionFor = Callable[[str, str], boto3.Session]  # (account, region) -> session
Recheck = Callable[[Finding], str | None]  # a reason not to act after all, or None

FINDING_TAG = "sagetrim:finding"
SAVINGS_TAG = "sagetrim:savings-usd"


class RunInterrupted(ActionError):
    """The journal could not be written, so the run stopped; the message says what was already done.

    Attributes:
        outcomes: what happened to each action carried out before the stop (in the order they ran).
    """

    def __init__(self, message: str, outcomes: list[Outcome]) -> None:
        super().__init__(message)
        self.outcomes = outcomes


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one finding's action."""

    finding_id: str
    rule: str
    action: str
    account: str
    region: str
    kind: str
    name: str
    arn: str
    status: OutcomeStatus
    reason: str
    monthly_savings_usd: float
    backup: str | None = None

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["monthly_savings_usd"] = round(self.monthly_savings_usd, 2)
        return doc


@dataclass(frozen=True)
class ActReport:
    """The outcomes of one `sagetrim act` run and their totals."""

    dry_run: bool
    outcomes: list[Outcome]
    settled: list[Outcome] = field(default_factory=list)  # actions of interrupted runs, as found in AWS

    @property
    def counts(self) -> dict[str, int]:
        """Outcomes per status."""
        return dict(Counter(o.status for o in self.outcomes))

    @property
    def monthly_savings_usd(self) -> float:
        """Monthly dollars saved by the stops and deletes done in this run."""
        return sum(o.monthly_savings_usd for o in self.outcomes if o.status == "done" and o.action in SAVING_ACTIONS)

    @property
    def deferred(self) -> list[Outcome]:
        """The actions left for the next run (the time budget would not fit them)."""
        return [o for o in self.outcomes if o.status == "deferred"]

    @property
    def planned_savings_usd(self) -> float:
        """Monthly dollars the planned stops and deletes would save."""
        return sum(o.monthly_savings_usd for o in self.outcomes
                   if o.status == "planned" and o.action in SAVING_ACTIONS)

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "counts": self.counts,
            "monthly_savings_usd": round(self.monthly_savings_usd, 2),
            "planned_savings_usd": round(self.planned_savings_usd, 2),
            "outcomes": [o.to_json() for o in self.outcomes],
            "settled": [o.to_json() for o in self.settled],
        }


@dataclass(frozen=True, slots=True)
class _Result:
    status: OutcomeStatus
    reason: str
    backup: str | None = None
    backup_sha256: str | None = None


class _Clients:
    """The clients of one account and region, made on first use."""

    def __init__(self, session: boto3.Session, region: str, budget: TimeBudget | None = None) -> None:
        self.session = session
        self.region = region
        self.budget = budget
        self._made: dict[str, Any] = {}

    def get(self, service: str) -> Any:
        if service not in self._made:
            made = client(self.session, service, self.region)
            if self.budget is not None:
                self.budget.guard(made)
            self._made[service] = made
        return self._made[service]


@dataclass(frozen=True)
class _Run:
    """What every action of one run shares."""

    store: StateStore
    recheck: Recheck | None
    clock: Callable[[], datetime]
    # Journals the intent (with the backup key and its digest, if any); call right before the change.
    intend: Callable[[Finding, str | None, str | None], None]

    def recheck_reason(self, finding: Finding) -> str | None:
        if self.recheck is None:
            return None
        try:
            return self.recheck(finding)
        except Exception as exc:
            raise ActionError(f"the re-check before acting failed, so nothing was done: {error_text(exc)}") from exc


class ResourceAction(ABC):
    """An action on one resource: what it needs, which states it acts in, and how it is done."""

    action: ClassVar[Action]
    kinds: ClassVar[frozenset[str]] = frozenset()  # the resource kinds it applies to; empty: any
    destructive: ClassVar[bool] = False  # counts against the per-run limit
    permissions: ClassVar[tuple[str, ...]] = ()  # IAM actions it calls
    allowed_states: ClassVar[tuple[str, ...]] = ()  # resource states it acts in; empty: any

    def applies_to(self, kind: str) -> bool:
        """Whether the action can be carried out on a resource of this kind."""
        return not self.kinds or kind in self.kinds

    def journal_extra(self, finding: Finding) -> dict[str, Any]:
        """What the journal records beside the action, so an interrupted one can be checked afterwards."""
        return {}

    @abstractmethod
    def describe(self, finding: Finding) -> str:
        """What applying it would do, for the dry run."""

    @abstractmethod
    def apply(self, finding: Finding, clients: _Clients, run: _Run) -> _Result:
        """Carry it out, checking the resource again first."""


class StopNotebook(ResourceAction):
    """Stop a notebook instance (its ML storage volume stays, and so does its small cost)."""

    action = Action.STOP_NOTEBOOK
    kinds = frozenset({"notebook-instance"})
    destructive = True
    permissions = ("sagemaker:DescribeNotebookInstance", "sagemaker:ListTags", "sagemaker:StopNotebookInstance")
    allowed_states = ("InService",)

    def describe(self, finding: Finding) -> str:
        return f"would stop notebook instance {finding.name} if it is still InService"

    def apply(self, finding: Finding, clients: _Clients, run: _Run) -> _Result:
        sm = clients.get("sagemaker")
        try:
            notebook = sm.describe_notebook_instance(NotebookInstanceName=finding.name)
        except ClientError as exc:
            if is_not_found(exc):
                return _Result("skipped", "already gone")
            raise
        status = notebook.get("NotebookInstanceStatus", "")
        if status in ("Stopped", "Stopping"):
            return _Result("skipped", "already stopped")
        if status in ("Pending", "Updating"):
            return _Result("skipped", f"the notebook instance is {status}; retry later")
        if status not in self.allowed_states:
            return _Result("skipped", f"the notebook instance is {status}")
        reason = run.recheck_reason(finding)
        if reason:
            return _Result("skipped", reason)
        if is_excluded(list_tags(sm, notebook["NotebookInstanceArn"])):
            return _Result("skipped", OPTED_OUT)
        run.intend(finding, None, None)
        try:
            sm.stop_notebook_instance(NotebookInstanceName=finding.name)
        except ClientError as exc:
            if is_not_found(exc):
                return _Result("skipped", "already gone")
            raise
        return _Result("done", "stopped")


class DeleteEndpoint(ResourceAction):
    """Delete an endpoint after backing it up; `sagetrim restore` recreates it from the backup."""

    action = Action.DELETE_ENDPOINT
    kinds = frozenset({"endpoint"})
    destructive = True
    permissions = (*BACKUP_PERMISSIONS, "sagemaker:DeleteEndpoint", "application-autoscaling:DeregisterScalableTarget")
    allowed_states = ("InService", "OutOfService", "Failed")

    def describe(self, finding: Finding) -> str:
        return f"would back up endpoint {finding.name}, then delete it if it is still idle"

    def apply(self, finding: Finding, clients: _Clients, run: _Run) -> _Result:
        sm, autoscaling = clients.get("sagemaker"), clients.get("application-autoscaling")
        now = run.clock()
        try:
            doc = snapshot_endpoint(sm, autoscaling, finding.account, finding.region, finding.name, now)
        except EndpointNotFound:
            return _Result("skipped", "already gone")
        status = doc["endpoint"].get("EndpointStatus", "")
        if status == "Deleting":
            return _Result("skipped", "already being deleted")
        if status not in self.allowed_states:
            return _Result("skipped", f"the endpoint is {status}; retry later")
        if is_excluded(doc["endpoint_tags"]):
            return _Result("skipped", OPTED_OUT)
        key, digest, skip = _back_up_then_recheck(finding, doc, sm, run, now)
        if skip is not None:
            return skip
        run.intend(finding, key, digest)
        try:
            sm.delete_endpoint(EndpointName=finding.name)
        except ClientError as exc:
            if is_not_found(exc):
                return _Result("skipped", "already gone", key, digest)
            raise
        done = f"deleted after a backup to {run.store.location(key)}; `sagetrim restore {finding.name}` recreates it"
        left = _deregister_targets(autoscaling, doc["autoscaling"].get("scalable_targets", []))
        if left:
            done += f"; could not deregister autoscaling targets ({left})"
        return _Result("done", done, key, digest)


def _back_up_then_recheck(finding: Finding, doc: dict[str, Any], sm: Any, run: _Run,
                          now: datetime) -> tuple[str, str, _Result | None]:
    """Store an endpoint's backup (written and read back), then ask again right before the change: the rule's
    recheck and the opt-out tag. Returns the backup's key and digest, and the result to return instead of
    changing anything, if any."""
    key = store_backup(run.store, doc, backup_key(finding.account, finding.region, finding.name, now))
    digest = backup_digest(doc)
    reason = run.recheck_reason(finding)
    if reason:
        return key, digest, _Result("skipped", reason, key, digest)
    if is_excluded(list_tags(sm, doc["endpoint"]["EndpointArn"])):
        return key, digest, _Result("skipped", OPTED_OUT, key, digest)
    return key, digest, None


class RemoveVariant(ResourceAction):
    """Remove one variant from a serving endpoint after backing the endpoint up: a new endpoint configuration
    without it (the other variants as they are, their current instance counts and weights kept), then
    UpdateEndpoint. AWS refuses to remove a variant registered with Application Auto Scaling, so its target
    (and with it its policies) is deregistered first; the backup holds both. `sagetrim restore` puts the
    endpoint back on its old configuration and registers the target again."""

    action = Action.REMOVE_VARIANT
    kinds = frozenset({"endpoint"})
    destructive = True
    permissions = (*BACKUP_PERMISSIONS, "sagemaker:CreateEndpointConfig", "sagemaker:AddTags",
                   "sagemaker:UpdateEndpoint", "application-autoscaling:DeregisterScalableTarget",
                   "application-autoscaling:RegisterScalableTarget", "application-autoscaling:PutScalingPolicy")
    allowed_states = ("InService",)

    def describe(self, finding: Finding) -> str:
        return (f"would back up endpoint {finding.name}, then update it to a configuration without variant "
                f"{_variant_of(finding)} if that variant is still idle")

    def journal_extra(self, finding: Finding) -> dict[str, Any]:
        return {"variant": _variant_of(finding)}

    def apply(self, finding: Finding, clients: _Clients, run: _Run) -> _Result:
        variant = _variant_of(finding)
        if not variant:
            return _Result("failed", "the finding names no variant to remove")
        sm, autoscaling = clients.get("sagemaker"), clients.get("application-autoscaling")
        now = run.clock()
        try:
            doc = snapshot_endpoint(sm, autoscaling, finding.account, finding.region, finding.name, now)
        except EndpointNotFound:
            return _Result("skipped", "already gone")
        status = doc["endpoint"].get("EndpointStatus", "")
        if status not in self.allowed_states:
            return _Result("skipped", f"the endpoint is {status}; retry later")
        if is_excluded(doc["endpoint_tags"]):
            return _Result("skipped", OPTED_OUT)
        config = doc["endpoint_config"]
        production = config.get("ProductionVariants", [])
        shadows = config.get("ShadowProductionVariants", [])
        if variant not in {v["VariantName"] for v in [*production, *shadows]}:
            return _Result("skipped", f"variant {variant} is no longer part of endpoint {finding.name}")
        kept = [v for v in production if v["VariantName"] != variant]
        if not kept:
            return _Result("skipped", f"variant {variant} is the endpoint's only production variant")
        doc = _with_earlier_scaling(run.store, doc, finding, variant)
        key, digest, skip = _back_up_then_recheck(finding, doc, sm, run, now)
        if skip is not None:
            return skip
        run.intend(finding, key, digest)
        new_config = replacement_config_name(config["EndpointConfigName"], now)
        current = {v["VariantName"]: v for v in [*doc["endpoint"].get("ProductionVariants", []),
                                                 *doc["endpoint"].get("ShadowProductionVariants", [])]}
        sm.create_endpoint_config(**request_from(
            sm, "CreateEndpointConfig",
            {**config, "EndpointConfigName": new_config,
             "ProductionVariants": [_as_now(v, current.get(v["VariantName"], {})) for v in kept],
             "ShadowProductionVariants": [_as_now(v, current.get(v["VariantName"], {}))
                                          for v in shadows if v["VariantName"] != variant]},
            Tags=[*settable_tags(doc["endpoint_config_tags"])[:49],
                  {"Key": REPLACES_TAG, "Value": config["EndpointConfigName"]}]))
        targets = [t for t in doc["autoscaling"].get("scalable_targets", [])
                   if t["ResourceId"] == variant_resource_id(finding.name, variant)]
        left = _deregister_targets(autoscaling, targets)
        if left:
            return _Result("failed", f"could not deregister the autoscaling target of variant {variant} ({left}); "
                                     f"the endpoint is unchanged (backup {run.store.location(key)})", key, digest)
        try:
            sm.update_endpoint(EndpointName=finding.name, EndpointConfigName=new_config,
                               RetainAllVariantProperties=True)
        except ClientError as exc:
            scaling = f"; {_register_again(autoscaling, doc, variant)}" if targets else ""
            raise ActionError(f"UpdateEndpoint failed ({error_text(exc)}); the endpoint stays on "
                              f"{config['EndpointConfigName']} (endpoint configuration {new_config} was created"
                              f"{scaling}; backup {run.store.location(key)})") from exc
        return _Result("done", f"updated to endpoint configuration {new_config} without variant {variant} after a "
                               f"backup to {run.store.location(key)}; `sagetrim restore {finding.name}` puts "
                               "the variant back", key, digest)


def _with_earlier_scaling(store: StateStore, doc: dict[str, Any], finding: Finding, variant: str) -> dict[str, Any]:
    """The backup to take, with the variant's autoscaling as an earlier removal found it.

    A removal that failed or was cut off between deregistering the variant's target and UpdateEndpoint left
    the variant serving without autoscaling; the next attempt would back up an endpoint that has none. When
    the latest backup is of the same configuration and holds a target for the variant, its target and
    policies go into this backup too, so a restore brings them back.
    """
    resource_id = variant_resource_id(finding.name, variant)
    scaling = doc["autoscaling"]
    if any(t.get("ResourceId") == resource_id for t in scaling.get("scalable_targets", [])):
        return doc
    key = latest_backup(store, finding.account, finding.region, finding.name)
    earlier = store.get_json(key) if key is not None else None
    if not isinstance(earlier, dict) or (earlier.get("endpoint_config") or {}).get("EndpointConfigName") != (
            doc["endpoint_config"]["EndpointConfigName"]):
        return doc
    before = earlier.get("autoscaling") or {}
    targets = [t for t in before.get("scalable_targets", []) if t.get("ResourceId") == resource_id]
    if not targets:
        return doc
    policies = [p for p in before.get("scaling_policies", []) if p.get("ResourceId") == resource_id]
    return {**doc, "autoscaling": {
        "scalable_targets": [*scaling.get("scalable_targets", []), *targets],
        "scaling_policies": [*scaling.get("scaling_policies", []), *policies]}}


def _register_again(autoscaling: Any, doc: dict[str, Any], variant: str) -> str:
    """After a failed update, register the variant's autoscaling again from the backup; says how it went."""
    resource_id = variant_resource_id(doc["name"], variant)
    scaling = doc["autoscaling"]
    try:
        for target in scaling.get("scalable_targets", []):
            if target["ResourceId"] == resource_id:
                autoscaling.register_scalable_target(**request_from(autoscaling, "RegisterScalableTarget", target))
        for policy in scaling.get("scaling_policies", []):
            if policy["ResourceId"] == resource_id:
                autoscaling.put_scaling_policy(**request_from(autoscaling, "PutScalingPolicy", policy))
    except ClientError as exc:
        return (f"its autoscaling, deregistered for the update, could not be registered again ({error_text(exc)}); "
                "`sagetrim restore` registers it from the backup")
    return "its autoscaling, deregistered for the update, is registered again"


def _variant_of(finding: Finding) -> str:
    variant = finding.evidence.get("variant")
    return variant if isinstance(variant, str) else ""


def _as_now(variant: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """A configured variant with the instance count and weight it serves with now (autoscaling may have
    moved them since the configuration was written)."""
    now = dict(variant)
    if current.get("CurrentInstanceCount") and "InstanceType" in variant:
        now["InitialInstanceCount"] = current["CurrentInstanceCount"]
    if current.get("CurrentWeight") is not None:
        now["InitialVariantWeight"] = current["CurrentWeight"]
    return now


def replacement_config_name(config_name: str, now: datetime) -> str:
    """The name of the configuration that replaces ``config_name``: at most 63 characters, unique per second."""
    stamp = now.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return f"{config_name[:63 - len(stamp) - 4].rstrip('-')}-st-{stamp}"


def _deregister_targets(autoscaling: Any, targets: list[dict[str, Any]]) -> str:
    """Deregister a deleted endpoint's scalable targets (AWS does so itself only when the caller may);
    returns what could not be deregistered, or an empty string."""
    problems = []
    for target in targets:
        try:
            autoscaling.deregister_scalable_target(ServiceNamespace=AUTOSCALING_NAMESPACE,
                                                   ResourceId=target["ResourceId"],
                                                   ScalableDimension=target["ScalableDimension"])
        except ClientError as exc:
            if not is_not_found(exc):
                problems.append(f"{target['ResourceId']}: {error_text(exc)}")
    return "; ".join(problems)


class TagResource(ResourceAction):
    """Tag a resource with the finding and its savings, so its owner can find it in the console and in
    Cost Explorer."""

    action = Action.TAG
    permissions = ("sagemaker:DescribeEndpoint", "sagemaker:DescribeNotebookInstance", "sagemaker:ListTags",
                   "sagemaker:AddTags")

    def describe(self, finding: Finding) -> str:
        return f"would tag {finding.kind} {finding.name} {FINDING_TAG} = {finding.rule}"

    def apply(self, finding: Finding, clients: _Clients, run: _Run) -> _Result:
        sm = clients.get("sagemaker")
        describe = {"endpoint": (sm.describe_endpoint, "EndpointName"),
                    "notebook-instance": (sm.describe_notebook_instance, "NotebookInstanceName")}.get(finding.kind)
        if describe is not None:
            call, param = describe
            try:
                call(**{param: finding.name})
            except ClientError as exc:
                if is_not_found(exc):
                    return _Result("skipped", "already gone")
                raise
        tags = list_tags(sm, finding.arn)
        if is_excluded(tags):
            return _Result("skipped", OPTED_OUT)
        wanted = {FINDING_TAG: finding.rule, SAVINGS_TAG: f"{finding.monthly_savings_usd:.2f}"}
        current = {t["Key"]: t["Value"] for t in tags}
        if all(current.get(k) == v for k, v in wanted.items()):
            return _Result("skipped", "already tagged")
        run.intend(finding, None, None)
        sm.add_tags(ResourceArn=finding.arn, Tags=[{"Key": k, "Value": v} for k, v in wanted.items()])
        return _Result("done", "tagged " + ", ".join(f"{k} = {v}" for k, v in wanted.items()))


class Notify:
    """One message about every finding whose action is notify, to an SNS topic and/or a webhook."""

    action = Action.NOTIFY
    destructive = False
    permissions = ("sns:Publish", "tag:GetResources")

    def recheck(self, findings: list[Finding], session_for: SessionFor) -> dict[str, _Result]:
        """Findings not to send after all, by finding id: their resource opted out since the scan, or its
        region's tags could not be read (one GetResources call per account and region)."""
        regions: dict[tuple[str, str], list[Finding]] = {}
        for f in findings:
            regions.setdefault((f.account, f.region), []).append(f)
        held: dict[str, _Result] = {}
        for (account, region), found in regions.items():
            try:
                opted = opted_out_arns(client(session_for(account, region), "resourcegroupstaggingapi", region))
            except Exception as exc:
                reason = f"not sent: the opt-out tags of {account}/{region} could not be read: {error_text(exc)}"
                held.update({f.id: _Result("failed", reason) for f in found})
                continue
            held.update({f.id: _Result("skipped", OPTED_OUT) for f in found if f.arn in opted})
        return held

    def describe(self, settings: NotifySettings | None) -> str:
        if settings is None or not settings.configured:
            return "would notify, but no SNS topic or webhook is set"
        return f"would send one message to {_channels(settings)}"

    def send(self, findings: list[Finding], settings: NotifySettings | None, session_for: SessionFor) -> _Result:
        if settings is None or not settings.configured:
            return _Result("skipped", "no SNS topic or webhook is set to notify (settings: notify.sns_topic_arn, "
                                      "notify.webhook_url)")
        sent, failed = [], []
        if settings.sns_topic_arn:
            try:
                parts = settings.sns_topic_arn.split(":")
                if len(parts) < 6:
                    raise ActionError(f"{settings.sns_topic_arn} is not an SNS topic ARN")
                region, account = parts[3], parts[4]
                publish_sns(client(session_for(account, region), "sns", region), settings.sns_topic_arn, findings)
                sent.append(f"SNS topic {settings.sns_topic_arn}")
            except Exception as exc:
                failed.append(error_text(exc))
        if settings.webhook_url:
            try:
                post_webhook(settings.webhook_url, findings, settings.timeout_s)
                sent.append("the webhook")
            except Exception as exc:
                failed.append(error_text(exc))
        if failed:
            also = f" (sent to {', '.join(sent)})" if sent else ""
            return _Result("failed", "; ".join(failed) + also)
        return _Result("done", f"sent to {' and '.join(sent)} in one message about {len(findings)} resource(s)")


def _channels(settings: NotifySettings) -> str:
    out = []
    if settings.sns_topic_arn:
        out.append(f"SNS topic {settings.sns_topic_arn}")
    if settings.webhook_url:
        out.append("the webhook")
    return " and ".join(out)


ACTIONS: dict[Action, ResourceAction] = {
    Action.STOP_NOTEBOOK: StopNotebook(),
    Action.DELETE_ENDPOINT: DeleteEndpoint(),
    Action.REMOVE_VARIANT: RemoveVariant(),
    Action.TAG: TagResource(),
}
NOTIFY = Notify()


def required_permissions(actions: Iterable[Action | str] | None = None, *, restore: bool = True,
                         s3_store: bool = True) -> list[str]:
    """The IAM actions sagetrim's actions call, sorted; for a least-privilege role.

    Args:
        actions: the actions enabled; all of them by default.
        restore: include what `sagetrim restore` needs.
        s3_store: include what an S3 state store needs.
    """
    chosen = {Action(a) for a in actions} if actions is not None else set(Action)
    needed: set[str] = set()
    for action in chosen:
        needed.update(NOTIFY.permissions if action is Action.NOTIFY else ACTIONS[action].permissions)
    if restore:
        needed.update(RESTORE_PERMISSIONS)
    if s3_store:
        needed.update(S3_STORE_PERMISSIONS)
    return sorted(needed)


def _guard(findings: list[Finding], max_actions: int) -> None:
    counts = Counter(f.action.value for f in findings if f.action in ACTIONS and ACTIONS[f.action].destructive)
    total = sum(counts.values())
    if total > max_actions:
        detail = ", ".join(f"{n} {a}" for a, n in sorted(counts.items()))
        raise GuardrailError(
            f"{total} destructive actions ({detail}) exceed the limit of {max_actions} per run; nothing was done. "
            f"Review them with a dry run (no --apply), then raise the limit with --max-actions {total} "
            f"(or actions.max_per_run in sagetrim.yaml), or narrow the run with --rules or --regions"
        )


def _write_plan(store: StateStore, findings: list[Finding], now: datetime, max_actions: int) -> str:
    """Write what an applied run is about to do before its first change (this also proves the store is
    writable before anything is touched)."""
    stamp = now.astimezone(UTC)
    key = f"runs/{stamp:%Y/%m/%d}/{stamp:%H%M%S}Z-{uuid.uuid4().hex[:12]}.json"
    store.put_json(key, {"time": utc_iso(now), "max_actions": max_actions,
                         "findings": [f.to_json() for f in findings]})
    return key


def _outcome(finding: Finding, result: _Result) -> Outcome:
    return Outcome(finding_id=finding.id, rule=finding.rule, action=finding.action.value, account=finding.account,
                   region=finding.region, kind=finding.kind, name=finding.name, arn=finding.arn,
                   status=result.status, reason=result.reason, monthly_savings_usd=finding.monthly_savings_usd,
                   backup=result.backup)


def carry_out(findings: Iterable[Finding], *, session_for: SessionFor, store: StateStore, journal: Journal,
              apply: bool, recheck: Recheck | None = None, notify: NotifySettings | None = None,
              max_actions: int = 25, now: datetime | None = None,
              budget: TimeBudget | None = None) -> list[Outcome]:
    """Carry out (or, without ``apply``, plan) the action each finding recommends.

    Args:
        findings: the findings to act on.
        session_for: a boto3 session for an (account, region).
        store: where endpoint backups go.
        journal: where every outcome is recorded.
        apply: change AWS; otherwise every action is only planned.
        recheck: called right before a resource is stopped or deleted; a returned string is the reason
            not to act after all (e.g. "received 12 invocations since the scan").
        notify: where notify findings are sent.
        max_actions: the most destructive actions (stops, deletes) one run may take.
        now: the time of the run (backups and journal entries); the current time by default.
        budget: the time the actions may take; an action that will not fit is not started but recorded as
            ``deferred`` (left for the next run), and a throttled call is not retried past the end.

    Returns:
        One outcome per finding, in the order given.

    Raises:
        GuardrailError: more destructive actions than ``max_actions``; nothing was done.
        UsageError: ``max_actions`` is negative.
        StoreError: the plan or the journal could not be written; the run stops at once (the plan is
            written before the first change, so a store that cannot be written stops the run before it).
    """
    if max_actions < 0:
        raise UsageError(f"the maximum number of actions must be 0 or more, not {max_actions}")
    findings = list(findings)
    clock: Callable[[], datetime] = (lambda: now) if now is not None else (lambda: datetime.now(UTC))

    # Findings an action cannot apply to, and second findings asking the same action of one resource.
    results: dict[int, _Result] = {}
    first: dict[tuple[str, str], str] = {}
    for i, f in enumerate(findings):
        spec = ACTIONS.get(f.action)
        if spec is not None and not spec.applies_to(f.kind):
            results[i] = _Result("failed", f"{f.action.value} applies to {', '.join(sorted(spec.kinds))}, "
                                           f"not to {f.kind} {f.name}")
        elif (f.action.value, f.arn) in first:
            results[i] = _Result("skipped", f"finding {first[f.action.value, f.arn]} already asks to "
                                            f"{f.action.value} this resource")
        else:
            first[f.action.value, f.arn] = f.id
    pending = [i for i in range(len(findings)) if i not in results]
    _guard([findings[i] for i in pending], max_actions)

    action_ids: dict[int, str] = {}  # findings whose change was journaled as intended
    ran: list[int] = []  # findings carried out (or being carried out), in order

    def entry(i: int, result: _Result) -> JournalEntry:
        f = findings[i]
        return JournalEntry(
            time=clock(), action=f.action.value, rule=f.rule, finding_id=f.id, account=f.account, region=f.region,
            kind=f.kind, name=f.name, arn=f.arn, outcome=result.status, reason=result.reason,
            monthly_savings_usd=f.monthly_savings_usd, backup=result.backup, dry_run=not apply,
            action_id=action_ids.get(i, ""), backup_sha256=result.backup_sha256,
            extra=ACTIONS[f.action].journal_extra(f) if f.action in ACTIONS else {},
        )

    def stopped(exc: StoreError, i: int, changed: bool) -> RunInterrupted:
        f = findings[i]
        before = [_outcome(findings[j], results[j]) for j in ran if j in results]
        what = f"{f.action.value} {f.kind} {f.name}"
        if changed:
            now_state = (f"{what} was carried out ({results[i].reason}) but its outcome could not be journaled; "
                         "the next `sagetrim act --apply` checks AWS and records it")
        else:
            now_state = f"stopped before {what}, which was not changed"
        left = len([j for j in pending if j not in results and j != i])
        return RunInterrupted(
            f"the journal could not be written ({exc}); {now_state}. {_done_text(before)}"
            + (f" {left} other action(s) were not started." if left else ""),
            before + ([_outcome(f, results[i])] if changed else []))

    def record(i: int, result: _Result, *, journaled: bool = True) -> None:
        results[i] = result
        if not journaled:
            return
        try:
            journal.record(entry(i, result))
        except StoreError as exc:
            if not apply or not ran:
                raise
            raise stopped(exc, i, changed=i in action_ids) from exc

    def defer(work: list[int], why: str) -> None:
        for j in work:
            record(j, _Result("deferred", why))

    def intend(f: Finding, backup: str | None, digest: str | None) -> None:
        i = ran[-1]
        spec = ACTIONS[f.action]
        action_ids[i] = uuid.uuid4().hex
        try:
            journal.record(entry(i, _Result("started", spec.describe(f).removeprefix("would "), backup, digest)))
        except StoreError as exc:
            del action_ids[i]
            raise _JournalFailed(exc) from exc

    for i in list(results):
        record(i, results[i])

    if not apply:
        for i in pending:
            f = findings[i]
            spec = ACTIONS.get(f.action)
            record(i, _Result("planned", spec.describe(f) if spec is not None else NOTIFY.describe(notify)))
        return [_outcome(f, results[i]) for i, f in enumerate(findings)]

    _write_plan(store, [findings[i] for i in pending], clock(), max_actions)
    run = _Run(store=store, recheck=recheck, clock=clock, intend=intend)
    resource_work = [i for i in pending if findings[i].action in ACTIONS]
    # Destructive actions first, grouped by account and region; notifications go out last.
    resource_work.sort(key=lambda i: (not ACTIONS[findings[i].action].destructive, findings[i].account,
                                      findings[i].region))
    clients: dict[tuple[str, str], _Clients | Exception] = {}
    for n, i in enumerate(resource_work):
        f = findings[i]
        why = budget.why_not() if budget is not None else None
        if why is not None:
            defer(resource_work[n:], why)
            break
        ran.append(i)
        where = (f.account, f.region)
        if where not in clients:
            try:
                clients[where] = _Clients(session_for(*where), f.region, budget)
            except Exception as exc:
                clients[where] = exc
        reached = clients[where]
        if isinstance(reached, Exception):
            record(i, _Result("failed", f"could not reach account {f.account} in {f.region}: {error_text(reached)}"))
            continue
        started = budget.clock() if budget is not None else 0.0
        try:
            result = ACTIONS[f.action].apply(f, reached, run)
        except _JournalFailed as exc:
            raise stopped(exc.cause, i, changed=False) from exc.cause
        except BudgetExhausted as exc:
            if i in action_ids:  # cut off at the change itself: whether an earlier attempt landed is for AWS to say
                record(i, _Result("deferred", f"{exc}; the next applied run checks AWS, records what happened "
                                              "and acts again if needed"), journaled=False)
            else:
                record(i, _Result("deferred", f"{exc}; nothing was changed; left for the next run"))
            continue
        except Exception as exc:
            result = _Result("failed", error_text(exc))
        finally:
            if budget is not None:
                budget.timed(budget.clock() - started)
        record(i, result)

    notify_work = [i for i in pending if findings[i].action is Action.NOTIFY]
    why = budget.why_not() if budget is not None and notify_work else None
    if why is not None:
        defer(notify_work, why)
        notify_work = []
    if notify_work and notify is not None and notify.configured:
        held = NOTIFY.recheck([findings[i] for i in notify_work], session_for)
        for i in notify_work:
            if findings[i].id in held:
                record(i, held[findings[i].id])
        notify_work = [i for i in notify_work if findings[i].id not in held]
    if notify_work:
        ran.extend(notify_work)
        result = NOTIFY.send([findings[i] for i in notify_work], notify, session_for)
        for i in notify_work:
            record(i, result)
    return [_outcome(f, results[i]) for i, f in enumerate(findings)]


class _JournalFailed(Exception):
    """The intent of a change could not be journaled (so the change is not made)."""

    def __init__(self, cause: StoreError) -> None:
        super().__init__(str(cause))
        self.cause = cause


_VERBS = {"delete-endpoint": "deleted", "remove-variant": "removed a variant of", "stop-notebook": "stopped",
          "tag": "tagged", "notify": "notified about"}


def _done_text(outcomes: list[Outcome]) -> str:
    """What a run had changed, for an error message."""
    done = [f"{_VERBS.get(o.action, o.action)} {o.kind} {o.name}" for o in outcomes if o.status == "done"]
    if not done:
        return "Nothing had been changed before in this run."
    return f"Already done in this run (and journaled): {', '.join(done)}."
