"""`sagetrim studio idle-shutdown`: the plan shows every level now and after and changes nothing; --apply sets it
(read back from AWS), journaled with what it replaced; --undo puts that back; bad input changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sagetrim.actions.journal import Journal
from sagetrim.actions.state import LocalStore
from sagetrim.inventory.studio_idle import idle_shutdown
from sagetrim.sim import SimServer
from tests.invoke import invoke

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
IMAGE_SETTINGS = {"DefaultResourceSpec": {"InstanceType": "ml.t3.medium"}}  # kept as it is by every change


@pytest.fixture
def studio(clean_sim: SimServer, tmp_path: Path) -> tuple[SimServer, str, dict[str, str]]:
    sm = clean_sim.client("sagemaker", REGION)
    domain = sm.create_domain(DomainName="team", AuthMode="IAM", SubnetIds=["subnet-0a1b2c3d"], VpcId="vpc-0a1b2c3d",
                              DefaultUserSettings={"ExecutionRole": ROLE, "JupyterLabAppSettings": IMAGE_SETTINGS}
                              )["DomainArn"].rsplit("/", 1)[-1]
    sm.create_user_profile(DomainId=domain, UserProfileName="alice", UserSettings={"JupyterLabAppSettings": {
        "AppLifecycleManagement": {"IdleSettings": {"LifecycleManagement": "DISABLED"}}}})
    sm.create_space(DomainId=domain, SpaceName="shared", SpaceSettings={"AppType": "JupyterLab"})
    env = {**clean_sim.env(), "SAGETRIM_STATE_DIR": str(tmp_path / "state"), "AWS_DEFAULT_REGION": REGION}
    return clean_sim, domain, env


def run(env: dict[str, str], *args: str) -> Any:
    result = invoke("studio", "idle-shutdown", *args, "--format", "json", env=env)
    assert result.code == 0, result.err
    return json.loads(result.out)


def described(sim: SimServer, domain: str, user: str | None = None) -> dict[str, Any]:
    sm = sim.client("sagemaker", REGION)
    if user:
        return dict(sm.describe_user_profile(DomainId=domain, UserProfileName=user)["UserSettings"])
    return dict(sm.describe_domain(DomainId=domain)["DefaultUserSettings"])


def test_given_no_apply_then_the_plan_shows_each_level_and_nothing_changes(studio: Any) -> None:
    sim, domain, env = studio
    doc = run(env, "--domain", domain, "--minutes", "120")
    assert doc["applied"] is False and "add --apply" in doc["outcome"]
    rows = {(c["settings"], c["app_type"]): (c["before"], c["after"]) for c in doc["changes"]}
    assert rows[("DefaultUserSettings", "JupyterLab")] == (
        {}, {"IdleTimeoutInMinutes": 120, "LifecycleManagement": "ENABLED"})
    assert set(rows) == {(s, t) for s in ("DefaultUserSettings", "DefaultSpaceSettings")
                         for t in ("JupyterLab", "CodeEditor")}
    assert described(sim, domain)["JupyterLabAppSettings"] == IMAGE_SETTINGS


def test_given_apply_then_the_domain_turns_it_on_and_the_rest_of_its_settings_stay(studio: Any) -> None:
    sim, domain, env = studio
    doc = run(env, "--domain", domain, "--minutes", "120", "--apply")
    assert doc["applied"] is True and doc["outcome"].startswith("updated domain")
    settings = described(sim, domain)
    assert settings["JupyterLabAppSettings"] == {**IMAGE_SETTINGS, "AppLifecycleManagement": {"IdleSettings": {
        "LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 120}}}
    assert settings["ExecutionRole"] == ROLE
    sm = sim.client("sagemaker", REGION)
    domain_doc = sm.describe_domain(DomainId=domain)
    # An app of a new user profile now stops itself after 120 idle minutes; alice turned it off for herself.
    assert idle_shutdown("JupyterLab", domain_doc, {"UserSettings": {}}, None) == (120, "domain")
    assert idle_shutdown("JupyterLab", domain_doc, sm.describe_user_profile(
        DomainId=domain, UserProfileName="alice"), None) is None


def test_given_a_change_then_undo_puts_back_what_it_replaced(studio: Any, tmp_path: Path) -> None:
    sim, domain, env = studio
    before = described(sim, domain, "alice")
    run(env, "--domain", domain, "--user-profile", "alice", "--minutes", "90", "--apply")
    assert described(sim, domain, "alice")["JupyterLabAppSettings"]["AppLifecycleManagement"] == {
        "IdleSettings": {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 90}}

    doc = run(env, "--domain", domain, "--user-profile", "alice", "--undo", "--apply")

    assert doc["outcome"].startswith("put back user profile") and doc["undo_of"]
    assert described(sim, domain, "alice")["JupyterLabAppSettings"] == before["JupyterLabAppSettings"]
    entries = [e for e in Journal(LocalStore(tmp_path / "state")).read().entries if e.action == "set-idle-shutdown"]
    assert [(e.outcome, e.dry_run) for e in entries] == [("done", False), ("done", False)]
    assert entries[0].extra["before"]["UserSettings"]["JupyterLabAppSettings"] == before["JupyterLabAppSettings"]


def test_given_a_space_then_only_its_timeout_is_set_and_a_note_says_where_the_switch_is(studio: Any) -> None:
    sim, domain, env = studio
    doc = run(env, "--domain", domain, "--space", "shared", "--minutes", "60", "--app-type", "JupyterLab",
              "--apply")
    assert [c["after"] for c in doc["changes"]] == [{"IdleTimeoutInMinutes": 60}]
    assert any("turns it on" in note for note in doc["notes"])
    space = sim.client("sagemaker", REGION).describe_space(DomainId=domain, SpaceName="shared")
    assert space["SpaceSettings"]["AppType"] == "JupyterLab"
    assert space["SpaceSettings"]["JupyterLabAppSettings"]["AppLifecycleManagement"]["IdleSettings"] == {
        "IdleTimeoutInMinutes": 60}


def test_given_settings_already_as_asked_then_nothing_is_sent(studio: Any) -> None:
    sim, domain, env = studio
    run(env, "--domain", domain, "--user-profile", "alice", "--off", "--app-type", "JupyterLab", "--apply")
    sim.requests.reset()
    doc = run(env, "--domain", domain, "--user-profile", "alice", "--off", "--app-type", "JupyterLab", "--apply")
    assert doc["outcome"] == "the settings are already as asked" and doc["applied"] is False
    assert not [r for r in sim.requests.records if r.operation.startswith("Update")]


@pytest.mark.parametrize(("args", "says"), [
    (["--minutes", "30"], "--minutes 30: Studio accepts 60 to 525,600 minutes"),
    ([], "give --minutes N to turn idle shutdown on"),
    (["--minutes", "90", "--off"], "give --minutes N to turn idle shutdown on"),
    (["--space", "shared", "--off"], "a space sets only its timeout"),
    (["--user-profile", "alice", "--space", "shared", "--minutes", "90"], "not both"),
    (["--minutes", "90", "--app-type", "KernelGateway"], "--app-type KernelGateway"),
    (["--user-profile", "nobody", "--minutes", "90"], "no user profile nobody in domain"),
    (["--user-profile", "alice", "--undo"], "nothing to undo"),
    (["--undo", "--minutes", "90"], "--undo puts back the previous settings"),
])
def test_given_bad_input_then_exit_2_with_the_fix_and_nothing_changes(studio: Any, args: list[str],
                                                                        says: str) -> None:
    sim, domain, env = studio
    sim.requests.reset()
    result = invoke("studio", "idle-shutdown", "--domain", domain, *args, "--apply", env=env)
    assert result.code == 2, result.err
    assert says in result.err and "Traceback" not in result.err
    assert not [r for r in sim.requests.records if r.operation.startswith("Update")]


def test_given_an_unknown_domain_then_exit_2_naming_it(studio: Any) -> None:
    _, _, env = studio
    result = invoke("studio", "idle-shutdown", "--domain", "d-nothere", "--minutes", "90", env=env)
    assert result.code == 2 and "d-nothere" in result.err


def test_given_the_table_then_it_reads_now_and_after(studio: Any) -> None:
    _, domain, env = studio
    result = invoke("studio", "idle-shutdown", "--domain", domain, "--user-profile", "alice", "--minutes", "90",
                    env=env)
    assert result.code == 0, result.err
    assert "off" in result.out and "on, 90 min" in result.out and "add --apply" in result.out


def test_given_a_studio_app_left_on_then_the_finding_names_a_command_that_turns_idle_shutdown_on(
    studio: Any
) -> None:
    from datetime import timedelta

    from sagetrim.catalog import load_catalog
    from sagetrim.config import Settings
    from sagetrim.pipeline.scan import run_scan
    from sagetrim.rules import select

    sim, domain, env = studio
    sm = sim.client("sagemaker", REGION)
    sm.create_user_profile(DomainId=domain, UserProfileName="bob")
    sm.create_app(DomainId=domain, UserProfileName="bob", AppType="CodeEditor", AppName="default",
                  ResourceSpec={"InstanceType": "ml.t3.medium"})
    sim.set_creation_time(sim.account_id, REGION, "app", f"{domain}/bob/CodeEditor/default",
                          sim.clock.now() - timedelta(days=5))
    scan = run_scan(sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                    rules=select(["studio-idle-app"]), settings=Settings())
    [finding] = scan.findings
    command = finding.message.split("`")[1]
    assert command == f"sagetrim studio idle-shutdown --domain {domain} --user-profile bob --minutes 60 " \
                      "--app-type CodeEditor"

    doc = run(env, *command.split()[3:], "--apply")

    assert doc["applied"] is True
    assert idle_shutdown("CodeEditor", sm.describe_domain(DomainId=domain),
                         sm.describe_user_profile(DomainId=domain, UserProfileName="bob"), None) == (60, "user profile")


def test_given_the_readme_then_its_idle_shutdown_examples_run_as_written(clean_sim: SimServer, tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("## Studio: turn on its own idle shutdown", 1)[1].split("```", 2)[1]
    lines = [line.split("#", 1)[0].split() for line in block.strip().splitlines()]
    assert len(lines) == 4 and all(line[:3] == ["sagetrim", "studio", "idle-shutdown"] for line in lines)
    sm = clean_sim.client("sagemaker", REGION)
    sm.create_domain(DomainName="abc123", AuthMode="IAM", SubnetIds=["subnet-0a1b2c3d"], VpcId="vpc-0a1b2c3d",
                     DefaultUserSettings={"ExecutionRole": ROLE})  # its id is d-abc123
    sm.create_user_profile(DomainId="d-abc123", UserProfileName="alice")
    env = {**clean_sim.env(), "SAGETRIM_STATE_DIR": str(tmp_path / "state"), "AWS_DEFAULT_REGION": REGION}
    for line in lines:
        result = invoke(*line[1:], env=env)
        assert result.code == 0, (line, result.err)
    alice = sm.describe_user_profile(DomainId="d-abc123", UserProfileName="alice")["UserSettings"]
    # --undo put back "not set": alice inherits the domain's setting again.
    assert alice["JupyterLabAppSettings"] == {"AppLifecycleManagement": {"IdleSettings": {}}}
    assert idle_shutdown("JupyterLab", sm.describe_domain(DomainId="d-abc123"), {"UserSettings": alice}, None) == (
        120, "domain")
