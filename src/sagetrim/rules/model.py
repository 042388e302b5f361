"""Findings: what a rule concluded about one resource, with evidence and the dollars at stake."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from sagetrim.json_types import JsonObject


class Severity(StrEnum):
    """How much a finding matters, by what it costs."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Action(StrEnum):
    """What `sagetrim act` does about a finding."""

    NOTIFY = "notify"
    STOP_NOTEBOOK = "stop-notebook"
    DELETE_ENDPOINT = "delete-endpoint"
    REMOVE_VARIANT = "remove-variant"
    TAG = "tag"


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """What a rule is: its id (the module name with dashes), title, severity and the kind it judges."""

    id: str
    title: str
    severity: Severity
    kind: str
    action: Action


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's conclusion about one resource."""

    rule: str
    account: str
    region: str
    kind: str
    name: str
    arn: str
    severity: Severity
    monthly_savings_usd: float
    evidence: JsonObject
    message: str
    action: Action
    details: JsonObject = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable across runs: the same rule on the same resource gives the same id."""
        return hashlib.sha1(f"{self.rule}|{self.account}|{self.region}|{self.arn}".encode()).hexdigest()[:16]

    def to_json(self) -> JsonObject:
        return {
            "id": self.id, "rule": self.rule, "account": self.account, "region": self.region, "kind": self.kind,
            "name": self.name, "arn": self.arn, "severity": self.severity.value,
            "monthly_savings_usd": round(self.monthly_savings_usd, 2), "evidence": self.evidence,
            "message": self.message, "action": self.action.value, "details": self.details,
        }


@dataclass(frozen=True, slots=True)
class Unknown:
    """A resource a rule could not judge, and why (too young for its window, a metric CloudWatch failed
    to return, a resource the rule failed on): neither fine nor a finding."""

    rule: str
    account: str
    region: str
    kind: str
    name: str
    arn: str
    reason: str

    def to_json(self) -> JsonObject:
        return {"rule": self.rule, "account": self.account, "region": self.region, "kind": self.kind,
                "name": self.name, "arn": self.arn, "reason": self.reason}
