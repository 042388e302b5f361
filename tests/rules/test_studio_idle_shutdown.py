"""Studio's own idle shutdown: a JupyterLab or Code Editor app whose domain, user profile or space turns it on
stops itself when idle, so its uptime is use and studio-idle-app leaves it alone; a user profile that turns it
off, and app types without it (KernelGateway), are still judged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.inventory.details import StudioAppDetails
from sagetrim.inventory.scan import ScanResult
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select
from sagetrim.sim import SimServer

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"


def idle(state: str | None = "ENABLED", minutes: int | None = None) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if state:
        settings["LifecycleManagement"] = state
    if minutes:
        settings["IdleTimeoutInMinutes"] = minutes
    return {"AppLifecycleManagement": {"IdleSettings": settings}}


@pytest.fixture(scope="module")
def scan(sim: SimServer) -> ScanResult:
    sim.reset()
    sm = sim.client("sagemaker", REGION)
    domain = sm.create_domain(DomainName="team", AuthMode="IAM", SubnetIds=["subnet-0a1b2c3d"], VpcId="vpc-0a1b2c3d",
                              DefaultUserSettings={"ExecutionRole": ROLE, "JupyterLabAppSettings": idle(minutes=120)},
                              DefaultSpaceSettings={"ExecutionRole": ROLE,
                                                    "JupyterLabAppSettings": idle(minutes=90)})["DomainArn"]
    domain_id = domain.rsplit("/", 1)[-1]
    sm.create_user_profile(DomainId=domain_id, UserProfileName="alice")  # the domain's 120 minutes
    sm.create_user_profile(DomainId=domain_id, UserProfileName="bob",
                           UserSettings={"JupyterLabAppSettings": idle("DISABLED")})  # turned off for bob
    sm.create_user_profile(DomainId=domain_id, UserProfileName="carol",
                           UserSettings={"CodeEditorAppSettings": idle(minutes=75)})  # turned on for her Code Editor
    sm.create_space(DomainId=domain_id, SpaceName="shared", SpaceSettings={
        "AppType": "JupyterLab", "JupyterLabAppSettings": idle(None, minutes=60)})
    apps = [("alice", None, "JupyterLab"), ("bob", None, "JupyterLab"), ("carol", None, "CodeEditor"),
            ("alice", None, "KernelGateway"), (None, "shared", "JupyterLab")]
    for user, space, app_type in apps:
        owner = {"UserProfileName": user} if user else {"SpaceName": space}
        sm.create_app(DomainId=domain_id, AppType=app_type, AppName="default",
                      ResourceSpec={"InstanceType": "ml.t3.medium"}, **owner)
        sim.set_creation_time(sim.account_id, REGION, "app", f"{domain_id}/{user or space}/{app_type}/default",
                              sim.clock.now() - timedelta(days=5))
    return run_scan(sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                    rules=select(["studio-idle-app"]), settings=Settings())


def shutdown(scan: ScanResult) -> dict[str, tuple[str | None, int | None]]:
    out = {}
    for r in scan.resources:
        if r.kind.value == "studio-space":
            continue  # the space's storage, listed beside its apps
        d = r.details_as(StudioAppDetails)
        assert d is not None
        out[f"{d.owner}/{d.app_type}"] = (d.idle_shutdown_from, d.idle_shutdown_minutes)
    return out


def test_given_idle_shutdown_at_each_level_then_the_inventory_says_which_level_and_timeout(scan: ScanResult) -> None:
    assert shutdown(scan) == {
        "alice/JupyterLab": ("domain", 120),
        "bob/JupyterLab": (None, None),
        "carol/CodeEditor": ("user profile", 75),
        "alice/KernelGateway": (None, None),
        "shared/JupyterLab": ("space", 60),
    }


def test_given_apps_that_stop_themselves_when_idle_then_only_the_others_are_findings(scan: ScanResult) -> None:
    assert sorted(f"{f.evidence['owner']}/{f.evidence['app_type']}" for f in scan.findings) == [
        "alice/KernelGateway", "bob/JupyterLab"]
    assert "enabling idle shutdown" in next(f for f in scan.findings if f.evidence["owner"] == "bob").message
