"""IAM guardrail policies that restrict which SageMaker instance types a team may launch.

The policy only denies; it never grants. It is meant to be attached beside a team's existing permissions
(a managed policy on their role or group), so a request passes when those permissions allow it and no
guardrail statement denies it. `check` evaluates it that way, beside an allow-everything baseline.

Every statement tests `sagemaker:InstanceTypes`, the multivalued key (ArrayOfString) that SageMaker fills
with every instance type a request names, with a `ForAnyValue:` operator in a Deny: the request is denied
when *any* of its types is disallowed, e.g. one endpoint variant of two. `ForAllValues:` would be wrong
twice over in a Deny: a request with one allowed and one disallowed type would not match (and pass), and
a request without the key (a serverless endpoint config) would match (and be denied). With `ForAnyValue:`
a request that carries no instance types is not denied by the guardrail.

Actions that carry `sagemaker:InstanceTypes`, per the Service Authorization Reference for SageMaker
("Actions, resources, and condition keys for Amazon SageMaker"):

| action                                         | resource                   | the types in the request          |
|------------------------------------------------|----------------------------|-----------------------------------|
| CreateNotebookInstance, UpdateNotebookInstance | notebook-instance          | InstanceType (the new one)        |
| CreateApp                                      | app                        | ResourceSpec (Studio app)         |
| CreateSpace, UpdateSpace                       | space                      | the space's app resource specs    |
| CreateDomain, UpdateDomain                     | domain                     | default user and space settings   |
| CreateUserProfile, UpdateUserProfile           | user-profile               | the profile's default settings    |
| CreateTrainingJob, UpdateTrainingJob           | training-job               | ResourceConfig, InstanceGroups    |
| CreateProcessingJob                            | processing-job             | ProcessingResources.ClusterConfig |
| CreateTransformJob                             | transform-job              | TransformResources                |
| CreateHyperParameterTuningJob                  | hyper-parameter-tuning-job | its training job definitions      |
| CreateEndpointConfig                           | endpoint-config            | every (shadow) ProductionVariant  |
| CreateCluster, UpdateCluster                   | cluster                    | HyperPod InstanceGroups           |
| CreateMonitoringSchedule, UpdateMonitoringSchedule | monitoring-schedule    | MonitoringResources               |
| Create{DataQuality,ModelQuality,ModelBias,ModelExplainability}JobDefinition | *-job-definition | JobResources |

Not covered because the reference gives them no instance-type key: CreateEndpoint and UpdateEndpoint
(they name an endpoint config, which CreateEndpointConfig already checked), CreateInferenceComponent (runs
on the endpoint's instances), CreateCompilationJob, CreateInferenceRecommendationsJob, CreateAutoMLJob[V2],
CreateOptimizationJob, CreateTrainingPlan and CreateLabelingJob.

`system` is always allowed: it is the only instance type of a Studio JupyterServer app and a placeholder in
default settings (a KernelGateway app given `system` runs on ml.t3.medium).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sagetrim.catalog.catalog import suggest
from sagetrim.errors import UsageError
from sagetrim.guardrails.evaluate import ALLOW_ALL, Decision, Request, evaluate, glob_match

if TYPE_CHECKING:
    from sagetrim.catalog import Catalog, InstanceType

INSTANCE_TYPES_KEY = "sagemaker:InstanceTypes"
#: IAM's limit for a customer managed policy, in characters other than white space.
MANAGED_POLICY_MAX_CHARS = 6144
SYSTEM_INSTANCE_TYPE = "system"

SID_GPU = "DenyGpuInstanceTypes"
SID_SIZE = "DenyInstanceTypesLargerThan{size}"
SID_ALLOW_LIST = "DenyInstanceTypesOutsideAllowList"


@dataclass(frozen=True, slots=True)
class CoveredAction:
    """An action that carries `sagemaker:InstanceTypes`, and an example ARN of the resource it creates."""

    action: str
    resource: str


_ARN = "arn:aws:sagemaker:us-east-1:111122223333:"
COVERED_ACTIONS: tuple[CoveredAction, ...] = tuple(
    CoveredAction(f"sagemaker:{name}", _ARN + resource)
    for name, resource in (
        ("CreateNotebookInstance", "notebook-instance/sagetrim-check"),
        ("UpdateNotebookInstance", "notebook-instance/sagetrim-check"),
        ("CreateApp", "app/d-sagetrimcheck/user/JupyterLab/default"),
        ("CreateSpace", "space/d-sagetrimcheck/sagetrim-check"),
        ("UpdateSpace", "space/d-sagetrimcheck/sagetrim-check"),
        ("CreateDomain", "domain/d-sagetrimcheck"),
        ("UpdateDomain", "domain/d-sagetrimcheck"),
        ("CreateUserProfile", "user-profile/d-sagetrimcheck/user"),
        ("UpdateUserProfile", "user-profile/d-sagetrimcheck/user"),
        ("CreateTrainingJob", "training-job/sagetrim-check"),
        ("UpdateTrainingJob", "training-job/sagetrim-check"),
        ("CreateProcessingJob", "processing-job/sagetrim-check"),
        ("CreateTransformJob", "transform-job/sagetrim-check"),
        ("CreateHyperParameterTuningJob", "hyper-parameter-tuning-job/sagetrim-check"),
        ("CreateEndpointConfig", "endpoint-config/sagetrim-check"),
        ("CreateCluster", "cluster/sagetrimcheck"),
        ("UpdateCluster", "cluster/sagetrimcheck"),
        ("CreateMonitoringSchedule", "monitoring-schedule/sagetrim-check"),
        ("UpdateMonitoringSchedule", "monitoring-schedule/sagetrim-check"),
        ("CreateDataQualityJobDefinition", "data-quality-job-definition/sagetrim-check"),
        ("CreateModelQualityJobDefinition", "model-quality-job-definition/sagetrim-check"),
        ("CreateModelBiasJobDefinition", "model-bias-job-definition/sagetrim-check"),
        ("CreateModelExplainabilityJobDefinition", "model-explainability-job-definition/sagetrim-check"),
    )
)
_BY_ACTION = {c.action.casefold(): c for c in COVERED_ACTIONS}

# Size names ranked in xlarge units (an xlarge has 4 vCPUs; an Nxlarge N times the xlarge of its family).
_NAMED_SIZES = {"nano": 1 / 32, "micro": 1 / 16, "small": 1 / 8, "medium": 1 / 4, "large": 1 / 2, "xlarge": 1.0}
# Nxlarge sizes EC2 and SageMaker use, so that a size the catalog does not list yet is denied too.
_KNOWN_MULTIPLES = (2, 3, 4, 6, 8, 9, 10, 12, 16, 18, 24, 32, 36, 48, 56, 64, 96, 112, 192, 224)
_PATTERN_CHARS = re.compile(r"[a-z0-9.\-*?]+")


def size_rank(size: str) -> float | None:
    """The size name in xlarge units (`large` 0.5, `4xlarge` 4), or None for a name without a rank."""
    if size in _NAMED_SIZES:
        return _NAMED_SIZES[size]
    m = re.fullmatch(r"(\d+)xlarge", size)
    return float(m.group(1)) if m else None


def _rank(size: str) -> float:
    """`size_rank` for a size known to have one (infinity otherwise, so that sorting never fails)."""
    rank = size_rank(size)
    return rank if rank is not None else float("inf")


def _type_rank(t: InstanceType) -> float:
    """A type's size rank; a size name without a rank (`interactive`) is ranked by vCPUs (4 per xlarge)."""
    rank = size_rank(t.size)
    return rank if rank is not None else t.vcpu / 4


def parse_size(value: str, catalog: Catalog) -> str:
    """A `--max-size` value as a ranked size name (`4xlarge`); UsageError with close names otherwise."""
    size = value.strip().lower()
    if size_rank(size) is None:
        sizes = sorted({t.size for t in catalog.types() if size_rank(t.size) is not None}, key=_rank)
        raise UsageError(
            f"unknown instance size {value!r}.{suggest(size, sizes)} Sizes run {', '.join(sizes)}."
        )
    return size


def normalize_pattern(pattern: str) -> str:
    """`m5.large` -> `ml.m5.large`, lower-cased; only the IAM wildcards `*` and `?` are allowed."""
    p = pattern.strip().lower()
    if not p:
        raise UsageError("an empty instance-type pattern; give names or globs such as ml.t3.* or ml.m5.large.")
    if p == SYSTEM_INSTANCE_TYPE:
        return p
    if not p.startswith("ml."):
        p = "ml." + p  # `*` -> `ml.*`, `t3.*` -> `ml.t3.*`
    if not _PATTERN_CHARS.fullmatch(p):
        raise UsageError(
            f"instance-type pattern {pattern!r} has characters IAM cannot match: use letters, digits, "
            "'.', '-' and the wildcards * and ? (IAM has no [...] classes)."
        )
    return p


def match_pattern(pattern: str, catalog: Catalog) -> list[InstanceType]:
    """The catalog types an allow pattern matches; UsageError with close names when it matches none."""
    p = normalize_pattern(pattern)
    hits = [t for t in catalog.types() if glob_match(p, t.name)]
    if not hits and p != SYSTEM_INSTANCE_TYPE:
        names = [t.name for t in catalog.types()]
        families = sorted({f"ml.{t.family}.*" for t in catalog.types()})
        raise UsageError(
            f"no instance type matches {pattern!r}.{suggest(p, families + names)} "
            "`sagetrim prices` lists every type."
        )
    return hits


def resolve_allowed(
    allow: Sequence[str], catalog: Catalog, *, deny_gpu: bool = False, max_size: str | None = None
) -> list[InstanceType]:
    """The catalog types the guardrail lets through, sorted by name (all types when `allow` is empty).

    Raises:
        UsageError: a pattern that matches no type, or an unknown size.
    """
    types = catalog.types()
    if allow:
        names = {t.name for p in allow for t in match_pattern(p, catalog)}
        types = [t for t in types if t.name in names]
    if deny_gpu:
        types = [t for t in types if not t.has_gpu]
    if max_size is not None:
        limit = _rank(parse_size(max_size, catalog))
        types = [t for t in types if _type_rank(t) <= limit]
    return sorted(types, key=lambda t: t.name)


def compress(allowed: Iterable[InstanceType], candidates: Iterable[InstanceType]) -> list[str]:
    """StringLike values for an exact set of types, `ml.<family>.*` for a family allowed whole.

    A family counts as whole when every one of its `candidates` (the catalog types that the GPU and size
    statements let through) is allowed: the wildcard then adds nothing those statements do not deny.
    """
    by_family: dict[str, set[str]] = defaultdict(set)
    for t in candidates:
        by_family[t.family].add(t.name)
    chosen: dict[str, set[str]] = defaultdict(set)
    for t in allowed:
        chosen[t.family].add(t.name)
    values: list[str] = []
    for family, names in sorted(chosen.items()):
        values.extend([f"ml.{family}.*"] if names == by_family[family] else sorted(names))
    return values


def _statement(sid: str, operator: str, values: Sequence[str]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Action": [c.action for c in COVERED_ACTIONS],
        "Resource": "*",
        "Condition": {operator: {INSTANCE_TYPES_KEY: list(values)}},
    }


def policy_size(policy: Mapping[str, Any]) -> int:
    """The policy's length as IAM counts it against its quotas: characters other than white space."""
    return len(re.sub(r"\s", "", json.dumps(policy, separators=(",", ":"))))


def build_policy(
    allow: Sequence[str],
    deny_gpu: bool = False,
    max_size: str | None = None,
    catalog: Catalog | None = None,
    *,
    max_chars: int = MANAGED_POLICY_MAX_CHARS,
) -> dict[str, Any]:
    """The IAM policy document (Deny statements only) for `sagetrim guardrails policy`.

    With patterns alone, the allow list keeps them as `StringLike` globs, so a new type that matches
    `ml.t3.*` stays allowed. With `deny_gpu` or `max_size` as well, the allow list names the catalog types
    that pass every filter, so the result is exact and a type the catalog does not know (a new GPU family)
    is denied. A family is written `ml.<family>.*` when all of its types that pass the filters are allowed;
    a size statement then denies its larger sizes, present or future. Without patterns, a GPU statement and
    a size statement deny what the options name and let everything else through.

    Sizes are compared by name within the family (`4xlarge` < `8xlarge`), as SageMaker sizes scale (an
    Nxlarge has N times the vCPUs of the family's xlarge): one rule for every family, present or future,
    that IAM can apply to the name itself. A size without a rank (`ml.geospatial.interactive`) is ranked by
    its vCPUs, 4 per xlarge.

    Args:
        allow: instance-type names or globs (`ml.t3.*`, `m5.large`); empty allows every type the other
            options let through.
        deny_gpu: deny every type with a GPU (the P and G families of the catalog).
        max_size: deny types larger than this size within any family (`4xlarge`).
        catalog: the instance-type catalog; the bundled one when None.
        max_chars: the size limit to enforce; IAM's managed-policy limit by default.

    Raises:
        UsageError: nothing to restrict, a pattern matching no type, an unknown size, or a policy that does
            not fit in `max_chars`.
    """
    if catalog is None:
        from sagetrim.catalog import load_catalog

        catalog = load_catalog()
    if not allow and not deny_gpu and max_size is None:
        raise UsageError("nothing to restrict: give --allow PATTERNS, --deny-gpu or --max-size SIZE.")
    statements: list[dict[str, Any]] = []
    if deny_gpu and not allow:
        gpu_families = sorted({f"ml.{t.family}.*" for t in catalog.types() if t.has_gpu})
        statements.append(_statement(SID_GPU, "ForAnyValue:StringLike", gpu_families))
    if max_size is not None:
        size = parse_size(max_size, catalog)
        statements.append(_statement(SID_SIZE.format(size=size[0].upper() + size[1:]), "ForAnyValue:StringLike",
                                     _larger_than(size, catalog)))
    if allow:
        allowed = resolve_allowed(allow, catalog, deny_gpu=deny_gpu, max_size=max_size)
        if deny_gpu or max_size is not None:
            if not allowed:
                raise UsageError("no instance type is left: every type --allow matches is a GPU type or "
                                 "larger than --max-size.")
            values = compress(allowed, resolve_allowed([], catalog, deny_gpu=deny_gpu, max_size=max_size))
        else:
            values = list(dict.fromkeys(normalize_pattern(p) for p in allow))
        if SYSTEM_INSTANCE_TYPE not in values:
            values.append(SYSTEM_INSTANCE_TYPE)
        statements.append(_statement(SID_ALLOW_LIST, "ForAnyValue:StringNotLike", values))
    policy: dict[str, Any] = {"Version": "2012-10-17", "Statement": statements}
    size_now = policy_size(policy)
    if size_now > max_chars:
        raise UsageError(
            f"the policy needs {size_now:,} characters, over the {max_chars:,} IAM allows for a managed "
            "policy. Allow whole families (ml.m5.*) or fewer patterns, or split the teams' types over "
            "two policies."
        )
    return policy


def _larger_than(size: str, catalog: Catalog) -> list[str]:
    """StringLike values for every size above `size` (and `metal`), plus catalog types whose size has no rank."""
    limit = _rank(size)
    sizes = {f"{n}xlarge" for n in _KNOWN_MULTIPLES} | {t.size for t in catalog.types()}
    ranked = sorted((s for s in sizes if size_rank(s) is not None and _rank(s) > limit), key=_rank)
    unranked = sorted(t.name for t in catalog.types() if size_rank(t.size) is None and _type_rank(t) > limit)
    return [f"ml.*.{s}" for s in ranked] + ["ml.*.metal*"] + unranked


# -- checking a request -----------------------------------------------------------------------------


def covered_action(action: str) -> CoveredAction:
    """The covered action named by `action` (`CreateTrainingJob` or `sagemaker:createtrainingjob`).

    Raises:
        UsageError: the action is unknown or carries no `sagemaker:InstanceTypes` key; close names suggested.
    """
    name = action.strip()
    full = name if ":" in name else f"sagemaker:{name}"
    found = _BY_ACTION.get(full.casefold())
    if found is not None:
        return found
    valid = [c.action for c in COVERED_ACTIONS]
    raise UsageError(
        f"{action!r} is not an action that carries {INSTANCE_TYPES_KEY}, so no instance-type guardrail "
        f"applies to it.{suggest(full, valid)} The actions are: {', '.join(valid)}."
    )


def normalize_instance_type(value: str) -> str:
    """`m5.large` -> `ml.m5.large`; `system` stays; wildcards are refused (a request names real types)."""
    name = normalize_pattern(value)
    if "*" in name or "?" in name:
        raise UsageError(f"instance type {value!r} has a wildcard; a request names exact types.")
    return name


def check(
    policy: Mapping[str, Any],
    action: str,
    instance_type: str | Sequence[str] | None,
    context: Mapping[str, Any] | None = None,
    *,
    resource: str | None = None,
    baseline: Mapping[str, Any] | None = ALLOW_ALL,
) -> Decision:
    """Whether `policy` lets `action` launch `instance_type`, for `sagetrim guardrails check`.

    The guardrail is evaluated beside `baseline`, the permissions it is attached next to: by default a
    policy that allows everything, so the answer is the guardrail's alone. Pass the team's own policy to
    see their real outcome, or None to evaluate the guardrail alone (which, granting nothing, then denies
    every request implicitly).

    Args:
        policy: the policy document to check (a guardrail from `build_policy` or any identity policy).
        action: a covered action, with or without the `sagemaker:` prefix, in any case.
        instance_type: the type, or every type of a multi-type request (two endpoint variants); None or
            an empty list for a request without instance types (a serverless endpoint config).
        context: further request context keys, e.g. `{"aws:RequestedRegion": "eu-west-1"}`.
        resource: the resource ARN; an example ARN of the action's resource type by default.
        baseline: the policy the guardrail is attached beside.

    Raises:
        UsageError: an unknown action, a malformed type, or an invalid policy document.
    """
    covered = covered_action(action)
    if instance_type is None:
        types: list[str] = []
    elif isinstance(instance_type, str):
        types = [normalize_instance_type(instance_type)]
    else:
        types = [normalize_instance_type(t) for t in instance_type]
    request_context: dict[str, Any] = {k: v for k, v in (context or {}).items()
                                       if k.casefold() != INSTANCE_TYPES_KEY.casefold()}
    if types:
        request_context[INSTANCE_TYPES_KEY] = types
    request = Request(covered.action, resource or covered.resource, request_context)
    policies: dict[str, Mapping[str, Any]] = {"the guardrail": policy}
    if baseline is not None:
        policies["the baseline"] = baseline
    subject = f"{covered.action} with {', '.join(types)}" if types else f"{covered.action} without instance types"
    return evaluate(request, policies, subject=subject)
