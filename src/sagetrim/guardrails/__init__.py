"""IAM guardrails: policies that restrict the SageMaker instance types a team may launch, and a checker."""

from sagetrim.guardrails.evaluate import ALLOW_ALL, Decision, Request, evaluate, load_policy, parse_policy
from sagetrim.guardrails.policy import (
    COVERED_ACTIONS,
    INSTANCE_TYPES_KEY,
    MANAGED_POLICY_MAX_CHARS,
    build_policy,
    check,
    policy_size,
    resolve_allowed,
)

__all__ = [
    "ALLOW_ALL",
    "COVERED_ACTIONS",
    "INSTANCE_TYPES_KEY",
    "MANAGED_POLICY_MAX_CHARS",
    "Decision",
    "Request",
    "build_policy",
    "check",
    "evaluate",
    "load_policy",
    "parse_policy",
    "policy_size",
    "resolve_allowed",
]
