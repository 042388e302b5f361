"""A planned SageMaker workload, as written in a plan file (`sagetrim estimate --plan PLAN.yaml`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from sagetrim.catalog import Catalog, Usage
from sagetrim.errors import CatalogError
from sagetrim.inputs import parse_duration


class Stage(StrEnum):
    """The SageMaker stage a workload runs in; each is billed its own way."""

    NOTEBOOK = "notebook"
    STUDIO = "studio"
    PROCESSING = "processing"
    TRAINING = "training"
    TUNING = "tuning"
    TRANSFORM = "transform"
    HOSTING = "hosting"
    SERVERLESS = "serverless"


ALWAYS_ON = {Stage.NOTEBOOK, Stage.STUDIO, Stage.HOSTING}
PER_RUN = {Stage.PROCESSING, Stage.TRAINING, Stage.TUNING, Stage.TRANSFORM}
USAGE_OF_STAGE = {
    Stage.NOTEBOOK: Usage.NOTEBOOK, Stage.STUDIO: Usage.STUDIO, Stage.PROCESSING: Usage.PROCESSING,
    Stage.TRAINING: Usage.TRAINING, Stage.TUNING: Usage.TRAINING, Stage.TRANSFORM: Usage.TRANSFORM,
    Stage.HOSTING: Usage.HOSTING,
}


class _Fields(BaseModel):
    # NaN and infinities are refused; every quantity has an upper bound, so no product of them overflows.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Workload(_Fields):
    """One line of a plan: a stage, an instance type and count, how long, and what else it bills."""

    name: str
    stage: Stage
    instance_type: str | None = None
    count: int = Field(1, ge=1, le=10_000, strict=True, description="instances per run, notebook or endpoint")
    hours_per_day: float | None = Field(None, gt=0, le=24)
    days: float | None = Field(None, gt=0, le=31)
    hours: float | None = Field(None, ge=0, le=744, description="hours in the month")
    runs: int | None = Field(None, ge=1, le=1_000_000)
    duration: str | float | None = Field(None, description="per run: hours, or 2h30m, 17m30s")
    storage_gb: float = Field(0, ge=0, le=1e9)
    spot: bool = False
    spot_savings: float | None = Field(None, ge=0, lt=1)
    data_in_gb: float = Field(0, ge=0, le=1e12)
    data_out_gb: float = Field(0, ge=0, le=1e12)
    memory_gb: float | None = Field(None, ge=1, le=6)
    requests: float | None = Field(None, ge=0, le=1e15)
    ms_per_request: float | None = Field(None, gt=0, le=3_600_000)

    @field_validator("instance_type")
    @classmethod
    def _known_and_valid(cls, value: str | None, info: ValidationInfo) -> str | None:
        catalog: Catalog | None = (info.context or {}).get("catalog")
        stage = info.data.get("stage")
        if value is None or catalog is None or stage is None:
            return value
        if stage is Stage.SERVERLESS:
            raise ValueError("a serverless workload has no instance type; give memory_gb instead")
        try:
            inst = catalog.instance(value)
            catalog.check_usage(inst, USAGE_OF_STAGE[stage])
        except CatalogError as exc:
            raise ValueError(str(exc)) from None
        return inst.name

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: str | float | None) -> str | float | None:
        if value is not None:
            parse_duration(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Workload:
        stage = self.stage
        if stage is Stage.SERVERLESS:
            missing = [f for f in ("memory_gb", "requests", "ms_per_request") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"a serverless workload needs {', '.join(missing)}")
            return self
        if self.instance_type is None:
            raise ValueError(f"a {stage.value} workload needs instance_type")
        if stage in PER_RUN:
            if self.runs is None or self.duration is None:
                raise ValueError(f"a {stage.value} workload needs runs and duration (per run)")
            if self.hours is not None or self.hours_per_day is not None or self.days is not None:
                raise ValueError(f"a {stage.value} workload is timed by runs and duration, not hours")
        else:
            if self.runs is not None or self.duration is not None:
                raise ValueError(f"a {stage.value} workload is timed by hours, or hours_per_day and days")
            if (self.hours_per_day is None) != (self.days is None):
                raise ValueError("give hours_per_day and days together")
            if self.hours is not None and self.hours_per_day is not None:
                raise ValueError("give either hours or hours_per_day and days, not both")
        if (self.spot or self.spot_savings is not None) and stage not in (Stage.TRAINING, Stage.TUNING):
            raise ValueError("spot applies to training and tuning only")
        if (self.data_in_gb or self.data_out_gb) and stage is not Stage.HOSTING:
            raise ValueError("data_in_gb and data_out_gb apply to hosting and serverless only")
        return self

    def running_seconds(self) -> float:
        """Seconds each instance runs in the month."""
        if self.stage in PER_RUN:
            return (self.runs or 0) * parse_duration(self.duration or 0)
        if self.hours_per_day is not None and self.days is not None:
            return self.hours_per_day * self.days * 3600
        return (730.0 if self.hours is None else self.hours) * 3600


class WorkloadChange(_Fields):
    """What an alternative changes in one workload; unset fields stay as in the plan."""

    instance_type: str | None = None
    count: int | None = Field(None, ge=1, le=10_000, strict=True)
    hours_per_day: float | None = Field(None, gt=0, le=24)
    days: float | None = Field(None, gt=0, le=31)
    hours: float | None = Field(None, ge=0, le=744)
    runs: int | None = Field(None, ge=1, le=1_000_000)
    duration: str | float | None = None
    storage_gb: float | None = Field(None, ge=0, le=1e9)
    spot: bool | None = None
    spot_savings: float | None = Field(None, ge=0, lt=1)
    data_in_gb: float | None = Field(None, ge=0, le=1e12)
    data_out_gb: float | None = Field(None, ge=0, le=1e12)
    memory_gb: float | None = Field(None, ge=1, le=6)
    requests: float | None = Field(None, ge=0, le=1e15)
    ms_per_request: float | None = Field(None, gt=0, le=3_600_000)


class Alternative(_Fields):
    """A named variation of the plan, set side by side with it by `estimate --compare`."""

    name: str
    changes: dict[str, WorkloadChange] = Field(description="workload name -> what changes")


class Plan(_Fields):
    """A planned SageMaker workload for one month."""

    region: str | None = None
    workloads: list[Workload] = Field(min_length=1)
    alternatives: list[Alternative] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names(self, info: ValidationInfo) -> Plan:
        names = [w.name for w in self.workloads]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"workload names must be unique; repeated: {', '.join(dupes)}")
        for alt in self.alternatives:
            unknown = [n for n in alt.changes if n not in names]
            if unknown:
                raise ValueError(
                    f"alternative {alt.name!r} changes unknown workload(s) {', '.join(unknown)}; "
                    f"the workloads are: {', '.join(names)}"
                )
            try:
                self.apply(alt, info.context)
            except ValueError as exc:
                raise ValueError(f"alternative {alt.name!r}: {exc}") from None
        return self

    def apply(self, alternative: Alternative, context: dict[str, Any] | None = None) -> list[Workload]:
        """The workloads with an alternative's changes applied (validated again)."""
        out = []
        for w in self.workloads:
            change = alternative.changes.get(w.name)
            if change is None:
                out.append(w)
                continue
            merged = {**w.model_dump(), **change.model_dump(exclude_none=True)}
            out.append(Workload.model_validate(merged, context=context))
        return out
