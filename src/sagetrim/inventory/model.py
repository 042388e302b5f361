"""Records of what a scan found: one frozen record per cost-incurring SageMaker resource."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sagetrim.inventory.details import Details

D = TypeVar("D", bound=Details)


class Kind(StrEnum):
    """The kinds of SageMaker resource that bill by the hour."""

    NOTEBOOK = "notebook-instance"
    STUDIO_APP = "studio-app"
    CANVAS_APP = "canvas-app"  # a Studio app of type Canvas: its workspace instance bills while logged in
    STUDIO_SPACE = "studio-space"  # a space's EBS volume: storage that bills while the space exists
    ENDPOINT = "endpoint"
    TRAINING = "training-job"
    TUNING = "tuning-job"
    PROCESSING = "processing-job"
    TRANSFORM = "transform-job"
    HYPERPOD_CLUSTER = "hyperpod-cluster"  # every node bills around the clock, busy or not


# The stage each kind is billed under, for totals per stage.
STAGE_OF_KIND = {
    Kind.NOTEBOOK: "notebook", Kind.STUDIO_APP: "studio", Kind.STUDIO_SPACE: "studio", Kind.CANVAS_APP: "canvas",
    Kind.ENDPOINT: "hosting",
    Kind.TRAINING: "training", Kind.TUNING: "training", Kind.PROCESSING: "processing", Kind.TRANSFORM: "transform",
    Kind.HYPERPOD_CLUSTER: "hyperpod",
}


@dataclass(frozen=True, slots=True)
class Variant:
    """One variant of an endpoint: a production variant, or a shadow variant (it receives a copy of the
    production traffic, answers nobody, and bills like any other)."""

    name: str
    instance_type: str | None
    instance_count: int
    serverless_memory_mb: int | None = None
    serverless_max_concurrency: int | None = None
    usd_per_hour: float = 0.0
    shadow: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "instance_type": self.instance_type, "instance_count": self.instance_count,
            "serverless_memory_mb": self.serverless_memory_mb,
            "serverless_max_concurrency": self.serverless_max_concurrency, "usd_per_hour": round(self.usd_per_hour, 6),
            "shadow": self.shadow,
        }


@dataclass(frozen=True, slots=True)
class Resource:
    """A SageMaker resource as a scan sees it, with what it costs.

    `usd_per_hour` is its burn rate now; `month_to_date_usd` what it has cost since the start of the
    calendar month (from the time it has been in its current state); `projected_month_usd` that
    plus the burn rate to the end of the month. A resource the catalog cannot price has `price_unknown`
    (the reason) and is left out of the totals, never counted as $0.
    """

    kind: Kind
    account: str
    region: str
    name: str
    arn: str
    status: str
    created: datetime | None
    last_modified: datetime | None = None
    instance_type: str | None = None
    instance_count: int = 0
    variants: tuple[Variant, ...] = ()
    usd_per_hour: float = 0.0
    month_to_date_usd: float = 0.0
    projected_month_usd: float = 0.0
    tags: dict[str, str] = field(default_factory=dict)
    details: Details | None = None  # None: the resource went away before it could be described
    price_exact: bool = True
    price_unknown: str | None = None  # why it has no price; then its dollars are 0 here and null in JSON

    @property
    def stage(self) -> str:
        return STAGE_OF_KIND[self.kind]

    def details_as(self, kind: type[D]) -> D | None:
        """The details if they are of that record type, else None."""
        return self.details if isinstance(self.details, kind) else None

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "kind": self.kind.value, "name": self.name, "arn": self.arn, "account": self.account,
            "region": self.region, "status": self.status, "instance_type": self.instance_type,
            "instance_count": self.instance_count,
            "usd_per_hour": None if self.price_unknown else round(self.usd_per_hour, 6),
            "month_to_date_usd": None if self.price_unknown else round(self.month_to_date_usd, 4),
            "projected_month_usd": None if self.price_unknown else round(self.projected_month_usd, 4),
            "price_unknown": self.price_unknown,
            "created": self.created.isoformat() if self.created else None,
            "last_modified": self.last_modified.isoformat() if self.last_modified else None,
            "stage": self.stage, "price_exact": self.price_exact, "tags": self.tags,
            "details": self.details.to_json() if self.details is not None else {},
        }
        if self.kind is Kind.ENDPOINT:
            doc["variants"] = [v.to_json() for v in self.variants]
        return doc


@dataclass(frozen=True, slots=True)
class ScanError:
    """A part of the scan that failed: an account, a region, one kind in one region, or one resource; or
    a rule that failed on one resource (``rule`` set)."""

    account: str
    region: str
    kind: str
    code: str
    message: str
    resource: str | None = None  # the one resource that could not be read; None when a whole part failed
    rule: str | None = None  # the rule that failed on it, when the failure was a rule's

    def to_json(self) -> dict[str, str | None]:
        doc = {"account": self.account, "region": self.region, "kind": self.kind, "resource": self.resource,
               "code": self.code, "message": self.message}
        if self.rule is not None:
            doc["rule"] = self.rule
        return doc
