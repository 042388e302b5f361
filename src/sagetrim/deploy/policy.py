"""The least-privilege IAM policy of the Lambda deployment, derived from what the code calls.

Each code path has a table of the AWS API actions it calls; every action has an entry in
:data:`RESOURCES` that says which resources IAM lets a policy name for it. An action with no entry is an
error, so nothing is ever granted on ``*`` by default; ``*`` is the resource only for actions that IAM does
not authorize per resource (SageMaker's List calls, ``cloudwatch:GetMetricData`` and ``ListMetrics``,
``tag:GetResources``, Application Auto Scaling's Describe calls). No statement has a wildcard in an action.

Two sets of actions make up the deployment's permissions:

- *account* actions run in each scanned account (the Lambda's own, or a member account's role): the scan,
  the rules, the actions with their restore, and the schedules;
- *home* actions run with the Lambda's own role only: the state bucket, the SNS topic, the Lambda's logs,
  and assuming the member-account roles.

``sts:GetCallerIdentity`` is called but needs no permission (IAM always allows it), so it is in no policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sagetrim.actions.executor import required_permissions
from sagetrim.actions.state import S3_STORE_PERMISSIONS
from sagetrim.errors import UsageError
from sagetrim.rules.model import Action
from sagetrim.schedules.runner import PERMISSIONS as SCHEDULE_PERMISSIONS

__all__ = [
    "ALWAYS_ALLOWED",
    "FAN_OUT_PERMISSIONS",
    "LAMBDA_LOG_PERMISSIONS",
    "NOTIFY_PERMISSIONS",
    "RESOURCES",
    "SCAN_PERMISSIONS",
    "STATE_PREFIX",
    "AccountScope",
    "Grant",
    "account_actions",
    "grants",
    "home_actions",
    "policy_document",
    "statements",
]

# Where the deployment keeps its state (backups, journal, run plans, sagetrim.yaml) in its bucket.
STATE_PREFIX = "sagetrim"

# What `sagetrim scan` and the rules call: the collectors' list and describe calls, the endpoint facts and
# job history the rules read (models, autoscaling targets, finished jobs), the opt-out tag read, the batched
# metric reads, the lifecycle configurations `notebook-without-autostop` reads, and the Studio idle shutdown
# settings of running apps.
SCAN_PERMISSIONS = (
    "sagemaker:ListNotebookInstances",
    "sagemaker:DescribeNotebookInstance",
    "sagemaker:ListApps",
    "sagemaker:ListSpaces",
    "sagemaker:DescribeDomain",
    "sagemaker:DescribeUserProfile",
    "sagemaker:DescribeSpace",
    "sagemaker:ListEndpoints",
    "sagemaker:DescribeEndpoint",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:DescribeModel",
    "sagemaker:ListTrainingJobs",
    "sagemaker:DescribeTrainingJob",
    "sagemaker:ListHyperParameterTuningJobs",
    "sagemaker:DescribeHyperParameterTuningJob",
    "sagemaker:ListProcessingJobs",
    "sagemaker:DescribeProcessingJob",
    "sagemaker:ListTransformJobs",
    "sagemaker:DescribeTransformJob",
    "sagemaker:ListClusters",
    "sagemaker:DescribeCluster",
    "sagemaker:DescribeNotebookInstanceLifecycleConfig",
    "application-autoscaling:DescribeScalableTargets",
    "tag:GetResources",
    "cloudwatch:GetMetricData",
    "cloudwatch:ListMetrics",
)
FAN_OUT_PERMISSIONS = ("sts:AssumeRole",)
NOTIFY_PERMISSIONS = ("sns:Publish",)
# The Lambda runtime writes the function's logs to the stack's log group (which the stack creates).
LAMBDA_LOG_PERMISSIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})

# Resource kinds a grant can name; AccountScope and the template turn them into ARNs.
ANY = "*"
SAGEMAKER_ANY = "sagemaker:*"  # any SageMaker resource of the account (ListTags and AddTags take every type)
STATE_BUCKET = "s3:bucket"
STATE_OBJECTS = "s3:objects"
TOPIC = "sns:topic"
LOG_GROUP = "logs:log-group"
MEMBER_ROLES = "sts:member-roles"
EXECUTION_ROLES = "iam:execution-roles"
SCALABLE_TARGETS = "application-autoscaling:scalable-target"


def _sagemaker(resource_type: str) -> str:
    return f"sagemaker:{resource_type}"


# Which resources each action may be limited to, per the Service Authorization Reference.
RESOURCES: dict[str, tuple[str, ...]] = {
    # SageMaker: List calls take no resource; the others name the resource types they act on.
    **{f"sagemaker:{op}": (ANY,) for op in (
        "ListNotebookInstances", "ListApps", "ListEndpoints", "ListTrainingJobs", "ListHyperParameterTuningJobs",
        "ListProcessingJobs", "ListTransformJobs", "ListClusters", "ListSpaces")},
    "sagemaker:DescribeCluster": (_sagemaker("cluster"),),
    "sagemaker:ListTags": (SAGEMAKER_ANY,),
    "sagemaker:AddTags": (SAGEMAKER_ANY,),
    "sagemaker:DescribeNotebookInstance": (_sagemaker("notebook-instance"),),
    "sagemaker:StartNotebookInstance": (_sagemaker("notebook-instance"),),
    "sagemaker:StopNotebookInstance": (_sagemaker("notebook-instance"),),
    "sagemaker:DescribeNotebookInstanceLifecycleConfig": (_sagemaker("notebook-instance-lifecycle-config"),),
    "sagemaker:DescribeApp": (_sagemaker("app"),),
    # Studio's idle shutdown settings of a running app's domain, user profile and space.
    "sagemaker:DescribeDomain": (_sagemaker("domain"),),
    "sagemaker:DescribeUserProfile": (_sagemaker("user-profile"),),
    "sagemaker:DescribeSpace": (_sagemaker("space"),),
    "sagemaker:DeleteApp": (_sagemaker("app"),),
    "sagemaker:DescribeEndpoint": (_sagemaker("endpoint"),),
    "sagemaker:DeleteEndpoint": (_sagemaker("endpoint"),),
    "sagemaker:CreateEndpoint": (_sagemaker("endpoint"), _sagemaker("endpoint-config")),
    "sagemaker:UpdateEndpoint": (_sagemaker("endpoint"), _sagemaker("endpoint-config")),
    "sagemaker:DescribeEndpointConfig": (_sagemaker("endpoint-config"),),
    "sagemaker:CreateEndpointConfig": (_sagemaker("endpoint-config"),),
    "sagemaker:DescribeModel": (_sagemaker("model"),),
    "sagemaker:CreateModel": (_sagemaker("model"),),
    "sagemaker:DescribeTrainingJob": (_sagemaker("training-job"),),
    "sagemaker:DescribeHyperParameterTuningJob": (_sagemaker("hyper-parameter-tuning-job"),),
    "sagemaker:DescribeProcessingJob": (_sagemaker("processing-job"),),
    "sagemaker:DescribeTransformJob": (_sagemaker("transform-job"),),
    # Application Auto Scaling: Describe calls take no resource; changes name the scalable target.
    "application-autoscaling:DescribeScalableTargets": (ANY,),
    "application-autoscaling:DescribeScalingPolicies": (ANY,),
    "application-autoscaling:RegisterScalableTarget": (SCALABLE_TARGETS,),
    "application-autoscaling:PutScalingPolicy": (SCALABLE_TARGETS,),
    "application-autoscaling:DeregisterScalableTarget": (SCALABLE_TARGETS,),
    # None of these takes a resource.
    "cloudwatch:GetMetricData": (ANY,),
    "cloudwatch:ListMetrics": (ANY,),
    "tag:GetResources": (ANY,),
    # A restored model passes its execution role to SageMaker (and only to SageMaker).
    "iam:PassRole": (EXECUTION_ROLES,),
    # The deployment's own resources.
    # ListBucket on the whole (dedicated) bucket: without it S3 answers a read of a missing object with
    # AccessDenied instead of NoSuchKey, and the optional sagetrim.yaml could not be told from a denied read.
    "s3:ListBucket": (STATE_BUCKET,),
    "s3:GetObject": (STATE_OBJECTS,),
    "s3:PutObject": (STATE_OBJECTS,),
    "sns:Publish": (TOPIC,),
    "logs:CreateLogStream": (LOG_GROUP,),
    "logs:PutLogEvents": (LOG_GROUP,),
    "sts:AssumeRole": (MEMBER_ROLES,),
}

# Statement ids, by the resource kinds a statement covers.
_SIDS = {
    (ANY,): "ReadWithoutResourceLevelPermissions",
    (SAGEMAKER_ANY,): "TagsOfSageMakerResources",
    (SCALABLE_TARGETS,): "EndpointAutoscaling",
    (EXECUTION_ROLES,): "PassExecutionRoleToSageMaker",
    (STATE_BUCKET,): "ListStateBucket",
    (STATE_OBJECTS,): "ReadWriteState",
    (TOPIC,): "Notify",
    (LOG_GROUP,): "WriteLogs",
    (MEMBER_ROLES,): "AssumeMemberAccountRoles",
}


@dataclass(frozen=True)
class Grant:
    """Some actions on the kinds of resource they may be limited to."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]

    @property
    def sid(self) -> str:
        """A statement id that says what the grant is for."""
        if self.resources in _SIDS:
            return _SIDS[self.resources]
        types = [r.split(":", 1)[1] for r in self.resources if r.startswith("sagemaker:")]
        return "SageMaker" + "".join(part.capitalize() for t in types for part in t.split("-"))

    def condition(self) -> dict[str, Any] | None:
        """The IAM condition that narrows the grant further, if any."""
        if self.resources == (EXECUTION_ROLES,):
            return {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
        return None


def account_actions(actions: Iterable[Action | str] | None = None, *, schedules: bool = True,
                    restore: bool = True) -> set[str]:
    """The IAM actions sagetrim calls in a scanned account.

    Args:
        actions: the actions `act` may take (``actions.enabled`` of the settings); all by default.
        schedules: include what the schedules call.
        restore: include what restoring a deleted endpoint calls (only when endpoints may be deleted).

    Returns:
        The actions, without those that run only with the deployment's own role (S3, SNS, logs).
    """
    enabled = [Action(a) for a in actions] if actions is not None else list(Action)
    restore = restore and Action.DELETE_ENDPOINT in enabled
    acting = [a for a in enabled if a is not Action.NOTIFY]
    needed = set(SCAN_PERMISSIONS)
    if acting:
        needed.update(required_permissions(acting, restore=restore, s3_store=False))
    if schedules:
        needed.update(SCHEDULE_PERMISSIONS)
    return needed


def home_actions(*, notify: bool = True, fan_out: bool = False, lambda_logs: bool = True) -> set[str]:
    """The IAM actions only the deployment's own role needs: its state bucket, topic, logs and fan-out."""
    needed = set(S3_STORE_PERMISSIONS)
    if notify:
        needed.update(NOTIFY_PERMISSIONS)
    if fan_out:
        needed.update(FAN_OUT_PERMISSIONS)
    if lambda_logs:
        needed.update(LAMBDA_LOG_PERMISSIONS)
    return needed


def grants(actions: Iterable[str]) -> list[Grant]:
    """The actions grouped into grants by the resources they may be limited to.

    Raises:
        UsageError: an action has no entry in :data:`RESOURCES` or contains a wildcard.
    """
    by_resources: dict[tuple[str, ...], set[str]] = {}
    for action in sorted(set(actions)):
        if "*" in action or "?" in action:
            raise UsageError(f"{action}: sagetrim's policy names every action exactly, never with a wildcard")
        if action in ALWAYS_ALLOWED:
            continue
        if action not in RESOURCES:
            raise UsageError(f"{action} has no entry in sagetrim.deploy.policy.RESOURCES; add the resources IAM "
                             "lets a policy limit it to (see the Service Authorization Reference)")
        by_resources.setdefault(RESOURCES[action], set()).add(action)
    return [Grant(tuple(sorted(acts)), res) for res, acts in sorted(by_resources.items())]


def statements(actions: Iterable[str], resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    """IAM policy statements that allow ``actions`` on the resources ``resource`` names per kind.

    Args:
        actions: IAM actions, each with an entry in :data:`RESOURCES`.
        resource: the ARN (or CloudFormation expression) of every resource kind the actions need.
    """
    out = []
    for grant in grants(actions):
        values = [resource[kind] for kind in grant.resources]
        statement: dict[str, Any] = {"Sid": grant.sid, "Effect": "Allow", "Action": list(grant.actions),
                                     "Resource": values[0] if len(values) == 1 else values}
        condition = grant.condition()
        if condition is not None:
            statement["Condition"] = condition
        out.append(statement)
    return out


@dataclass(frozen=True)
class AccountScope:
    """The concrete ARNs of one account's deployment, for a policy outside CloudFormation.

    Args:
        account: the account id.
        partition: ``aws``, ``aws-cn`` or ``aws-us-gov``.
        region: the deployment's region (its log group's).
        bucket: the state bucket.
        topic_arn: the SNS topic.
        log_group: the Lambda functions' log group name.
        member_role_arns: the member-account roles of a fan-out.
        execution_roles: the roles (names or path/name globs) a restored model may be given.
    """

    account: str
    partition: str = "aws"
    region: str = "us-east-1"
    bucket: str | None = None
    topic_arn: str | None = None
    log_group: str | None = None
    member_role_arns: tuple[str, ...] = ()
    execution_roles: tuple[str, ...] = ("*",)

    def resources(self) -> dict[str, Any]:
        """ARN per resource kind (the kinds this scope has no resource for are left out)."""
        p, a = self.partition, self.account
        out: dict[str, Any] = {ANY: "*", SAGEMAKER_ANY: f"arn:{p}:sagemaker:*:{a}:*",
                               SCALABLE_TARGETS: f"arn:{p}:application-autoscaling:*:{a}:scalable-target/*",
                               EXECUTION_ROLES: [f"arn:{p}:iam::{a}:role/{name}" for name in self.execution_roles]}
        for kind in RESOURCES.values():
            for k in kind:
                if k.startswith("sagemaker:") and k != SAGEMAKER_ANY:
                    out[k] = f"arn:{p}:sagemaker:*:{a}:{k.split(':', 1)[1]}/*"
        if self.bucket:
            out[STATE_BUCKET] = f"arn:{p}:s3:::{self.bucket}"
            out[STATE_OBJECTS] = f"arn:{p}:s3:::{self.bucket}/{STATE_PREFIX}/*"
        if self.topic_arn:
            out[TOPIC] = self.topic_arn
        if self.log_group:
            out[LOG_GROUP] = f"arn:{p}:logs:{self.region}:{a}:log-group:{self.log_group}:*"
        if self.member_role_arns:
            out[MEMBER_ROLES] = list(self.member_role_arns)
        return out


def policy_document(actions: Iterable[str], scope: AccountScope) -> dict[str, Any]:
    """A policy document for ``actions`` in one account.

    Raises:
        UsageError: an action needs a resource the scope does not name (e.g. ``sns:Publish`` without a topic).
    """
    resources = scope.resources()
    chosen = sorted(set(actions) - ALWAYS_ALLOWED)
    missing = sorted({k for a in chosen for k in RESOURCES.get(a, ()) if k not in resources})
    if missing:
        raise UsageError(f"the policy needs these resources, which were not given: {', '.join(missing)}")
    return {"Version": "2012-10-17", "Statement": statements(chosen, resources)}
