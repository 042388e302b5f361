"""Records of the catalog: usages, instance types, accelerators and prices."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Usage(StrEnum):
    """A way SageMaker bills instance-hours; each has its own price list."""

    NOTEBOOK = "notebook"
    STUDIO = "studio"
    PROCESSING = "processing"
    TRAINING = "training"
    SPOT_TRAINING = "spot-training"
    TRANSFORM = "transform"
    HOSTING = "hosting"


# Price List API `component` of each usage that has a list price (spot training has none).
COMPONENT_OF_USAGE: dict[Usage, str] = {
    Usage.NOTEBOOK: "Notebook",
    Usage.STUDIO: "Studio-Notebook",
    Usage.PROCESSING: "Processing",
    Usage.TRAINING: "Training",
    Usage.TRANSFORM: "BatchTransform",
    Usage.HOSTING: "Hosting",
}
USAGE_OF_COMPONENT: dict[str, Usage] = {c: u for u, c in COMPONENT_OF_USAGE.items()}


@dataclass(frozen=True, slots=True)
class Accelerator:
    """The accelerators of an instance type, all devices together."""

    kind: str  # gpu, inferentia, trainium, gaudi
    model: str
    count: int
    memory_gib: float


@dataclass(frozen=True, slots=True)
class InstanceType:
    """One `ml.*` instance type and the usages SageMaker accepts it for."""

    name: str
    family: str
    size: str
    category: str
    vcpu: int
    memory_gib: float
    arch: str
    accelerator: Accelerator | None
    usages: frozenset[str]

    @property
    def gpu_count(self) -> int:
        """Number of GPUs (0 for CPU, Inferentia and Trainium types)."""
        return self.accelerator.count if self.accelerator and self.accelerator.kind == "gpu" else 0

    @property
    def has_gpu(self) -> bool:
        return self.gpu_count > 0


@dataclass(frozen=True, slots=True)
class Price:
    """A price with where it comes from.

    `exact` is true only for a price read as such from AWS (the dated pricing-page data or the
    Price List API); `basis` says how an approximation was derived.
    """

    usd: float
    unit: str  # "hour", "GB-month", "GB", "GB-second"
    source: str
    date: str
    exact: bool
    basis: str
