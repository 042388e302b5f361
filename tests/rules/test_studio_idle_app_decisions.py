"""studio-idle-app's decision at its edges: the threshold, and each reason to leave an app alone, judged
one resource beside another so that a skipped app never hides the next one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.inventory.details import StudioAppDetails
from sagetrim.inventory.model import Kind, Resource
from sagetrim.rules.context import RuleContext
from sagetrim.rules.studio_idle_app import RULE, Params

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def app(name: str, *, hours: float, status: str = "InService", instance_type: str | None = "ml.t3.medium",
        usd_per_hour: float = 0.05, details: bool = True) -> Resource:
    """A Studio app that has been running `hours` hours at `usd_per_hour`."""
    return Resource(
        kind=Kind.STUDIO_APP, account="123456789012", region="us-east-1", name=f"d-1/{name}/JupyterLab/default",
        arn=f"arn:aws:sagemaker:us-east-1:123456789012:app/d-1/{name}/jupyterlab/default", status=status,
        created=NOW - timedelta(hours=hours), instance_type=instance_type, instance_count=1 if instance_type else 0,
        usd_per_hour=usd_per_hour,
        details=StudioAppDetails("d-1", name, None, "JupyterLab", "default") if details else None)


def flagged(*resources: Resource, params: Params | None = None) -> list[str]:
    ctx = RuleContext(account="123456789012", region="us-east-1", now=NOW, catalog=load_catalog(use_cache=False),
                      resources=list(resources))
    return [str(f.evidence["owner"]) for f in RULE.evaluate(ctx, params or Params())]


def test_an_app_running_exactly_the_threshold_is_left_on_and_a_minute_less_is_not() -> None:
    assert flagged(app("at", hours=72)) == ["at"]
    assert flagged(app("under", hours=72 - 1 / 60)) == []


@pytest.mark.parametrize("reason", [
    {"status": "Pending"},          # not running yet
    {"status": "Deleting"},
    {"instance_type": None},        # a system app: no instance of its own
    {"usd_per_hour": 0.0},          # nothing billed, nothing to save
    {"details": False},             # not known to be a Studio app
])
def test_an_app_left_alone_for_one_reason_does_not_hide_the_next(reason: dict[str, object]) -> None:
    skipped = app("skipped", hours=240, **reason)  # type: ignore[arg-type]
    assert flagged(skipped, app("next", hours=240)) == ["next"]


def test_an_app_too_young_does_not_hide_the_next() -> None:
    assert flagged(app("young", hours=2), app("old", hours=100)) == ["old"]


def test_the_saving_is_the_compute_outside_the_expected_hours_of_use() -> None:
    ctx = RuleContext(account="123456789012", region="us-east-1", now=NOW, catalog=load_catalog(use_cache=False),
                      resources=[app("a", hours=100, usd_per_hour=0.123456)])
    [finding] = RULE.evaluate(ctx, Params(expected_use_hours_per_month=130))
    assert finding.monthly_savings_usd == pytest.approx(0.123456 * (730 - 130))
    assert finding.evidence["usd_per_hour"] == 0.1235  # the rate as shown, to a hundredth of a cent


def test_each_app_is_judged_on_its_own_state() -> None:
    running = app("a", hours=100)
    assert flagged(running, replace(running, name="d-1/b/JupyterLab/default", status="Stopped",
                                    details=StudioAppDetails("d-1", "b", None, "JupyterLab", "default"))) == ["a"]


def test_an_app_under_studio_idle_shutdown_does_not_hide_the_next() -> None:
    shut = app("shut", hours=240)
    shut = replace(shut, details=replace(shut.details, idle_shutdown_from="domain", idle_shutdown_minutes=60))
    assert flagged(shut, app("next", hours=240)) == ["next"]


def canvas(name: str, *, hours: float, status: str = "InService", usd_per_hour: float = 1.90,
           details: bool = True) -> Resource:
    """A Canvas user logged in `hours` hours at the workspace rate."""
    return Resource(
        kind=Kind.CANVAS_APP, account="123456789012", region="us-east-1", name=f"d-1/{name}/Canvas/default",
        arn=f"arn:aws:sagemaker:us-east-1:123456789012:app/d-1/{name}/canvas/default", status=status,
        created=NOW - timedelta(hours=hours), instance_count=1, usd_per_hour=usd_per_hour,
        details=StudioAppDetails("d-1", name, None, "Canvas", "default") if details else None)


def test_a_canvas_user_logged_in_exactly_the_threshold_is_found_and_a_minute_less_is_not() -> None:
    assert flagged(canvas("at", hours=72)) == ["at"]
    assert flagged(canvas("under", hours=72 - 1 / 60)) == []


@pytest.mark.parametrize("reason", [
    {"status": "Pending"},
    {"status": "Deleting"},
    {"usd_per_hour": 0.0},          # no price: nothing to save
    {"details": False},
    {"hours": 2},                   # logged in today
])
def test_a_canvas_app_left_alone_for_one_reason_does_not_hide_the_next(reason: dict[str, object]) -> None:
    skipped = canvas("skipped", **{"hours": 240, **reason})  # type: ignore[arg-type]
    assert flagged(skipped, canvas("next", hours=240, usd_per_hour=0.5), app("studio", hours=240)) == ["next", "studio"]


def test_a_canvas_finding_saves_the_workspace_outside_the_expected_hours_and_says_how() -> None:
    ctx = RuleContext(account="123456789012", region="us-east-1", now=NOW, catalog=load_catalog(use_cache=False),
                      resources=[canvas("ana", hours=100, usd_per_hour=1.987654)])
    [finding] = RULE.evaluate(ctx, Params(expected_use_hours_per_month=130))
    assert finding.monthly_savings_usd == pytest.approx(1.987654 * (730 - 130))
    assert finding.evidence == {"running_hours": 100.0, "running_since": (NOW - timedelta(hours=100)).isoformat(),
                                "threshold_hours": 72, "app_type": "Canvas", "owner": "ana", "usd_per_hour": 1.9877,
                                "assumed_use_hours_per_month": 130}
    assert finding.message.startswith("Canvas app logged in for 4.2 days: its workspace instance bills")
