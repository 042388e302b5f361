"""Studio spaces: each JupyterLab or Code Editor space's EBS volume bills as Studio storage every hour the space
exists, app or no app; the scan reads them from one ListSpaces call per region, describing none."""

from __future__ import annotations

import pytest

from sagetrim.catalog import Usage, load_catalog
from sagetrim.config import Settings
from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.details import SpaceDetails
from sagetrim.inventory.scan import ScanResult
from sagetrim.pipeline.scan import run_scan
from sagetrim.sim import SimServer

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
CATALOG = load_catalog(use_cache=False)


@pytest.fixture(scope="module")
def scan(sim: SimServer) -> ScanResult:
    sim.reset()
    sm = sim.client("sagemaker", REGION)
    domain = sm.create_domain(DomainName="team", AuthMode="IAM", SubnetIds=["subnet-0a1b2c3d"], VpcId="vpc-0a1b2c3d",
                              DefaultUserSettings={"ExecutionRole": ROLE})["DomainArn"].rsplit("/", 1)[-1]
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    sm.create_space(DomainId=domain, SpaceName="alice-lab", SpaceSettings={"AppType": "JupyterLab"},
                    OwnershipSettings={"OwnerUserProfileName": "alice"},
                    SpaceSharingSettings={"SharingType": "Private"})
    sm.create_space(DomainId=domain, SpaceName="team-code", SpaceSettings={
        "AppType": "CodeEditor", "SpaceStorageSettings": {"EbsStorageSettings": {"EbsVolumeSizeInGb": 50}}},
        OwnershipSettings={"OwnerUserProfileName": "alice"}, SpaceSharingSettings={"SharingType": "Shared"})
    sm.create_space(DomainId=domain, SpaceName="classic")  # no app type: no volume of its own
    sim.requests.reset()
    return run_scan(sim.session(REGION), [REGION], [], CATALOG, use_cache=False, settings=Settings(), rules=[])


def test_given_spaces_then_each_volume_is_listed_and_priced_as_studio_storage(scan: ScanResult) -> None:
    spaces = {r.name.split("/")[1]: r for r in scan.resources if r.kind.value == "studio-space"}
    assert set(spaces) == {"alice-lab", "team-code"}
    per_gb_hour = CATALOG.storage_price(REGION, Usage.STUDIO).usd / HOURS_PER_MONTH
    assert spaces["alice-lab"].usd_per_hour == pytest.approx(5 * per_gb_hour)
    assert spaces["team-code"].usd_per_hour == pytest.approx(50 * per_gb_hour)
    assert spaces["team-code"].details == SpaceDetails("d-team", "alice", "CodeEditor", 50, True)
    assert (spaces["alice-lab"].stage, spaces["alice-lab"].instance_count) == ("studio", 0)


def test_given_spaces_then_one_list_call_reads_them_all(scan: ScanResult, sim: SimServer) -> None:
    counts = sim.requests.counts()
    assert counts.get("sagemaker:ListSpaces") == 1
    assert "sagemaker:DescribeSpace" not in counts
