"""`sagetrim autostop`: the notebook autostop agent, its lifecycle configuration, install and IAM policy."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from sagetrim.agent.install import (
    DEFAULT_CONFIG_NAME,
    WaitPolicy,
    apply_install,
    installer_policy,
    instance_vcpus,
    notebook_role_policy,
    plan_install,
    sagemaker_client,
)
from sagetrim.agent.lifecycle import CONTENT_LIMIT, AgentOptions, agent_source, encode_content, render_on_start
from sagetrim.errors import UsageError
from sagetrim.inputs import check_instance_type, check_name, check_region, output_path
from sagetrim.report.terminal import SafeConsole, styled

app = typer.Typer(
    help="Stop notebook instances from the inside when they are really idle: the agent, its lifecycle "
    "configuration, its installation and the IAM permissions it needs.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
console = SafeConsole()
err_console = SafeConsole(stderr=True)

IdleMinutes = Annotated[
    float, typer.Option("--idle-minutes", help="Stop after this many minutes of idleness.", show_default=False)
]
IgnoreConnections = Annotated[
    bool, typer.Option("--ignore-connections", help="An open browser tab does not keep the notebook up.")
]
CpuThreshold = Annotated[
    float, typer.Option("--cpu-threshold", help="A user process above this % of one core is work.")
]
BusyCapMinutes = Annotated[
    float, typer.Option("--busy-cap-minutes", help="A kernel busy longer than this is stuck, not working.")
]
EveryMinutes = Annotated[int, typer.Option("--every-minutes", help="Check every N minutes (N divides 60).")]
JupyterUrl = Annotated[str, typer.Option("--jupyter-url", help="Jupyter as seen from the instance.")]
ObserveOnly = Annotated[
    bool, typer.Option("--observe-only", help="Install the agent with --dry-run: it logs, never stops.")
]


@app.command("agent-source")
def agent_source_command() -> None:
    """Print the agent: one Python file, standard library and boto3, run on the notebook instance."""
    sys.stdout.write(agent_source())


@app.command("lifecycle-config")
def lifecycle_config_command(
    idle_minutes: IdleMinutes,
    ignore_connections: IgnoreConnections = False,
    cpu_threshold: CpuThreshold = 10.0,
    busy_cap_minutes: BusyCapMinutes = 1440.0,
    every_minutes: EveryMinutes = 5,
    jupyter_url: JupyterUrl = "https://localhost:8443",
    observe_only: ObserveOnly = False,
    instance_type: Annotated[
        str | None, typer.Option("--instance-type", help="Check --cpu-threshold against this type's vCPUs.")
    ] = None,
    base64_content: Annotated[
        bool, typer.Option("--base64", help="Print the base64 Content that SageMaker takes, not the script.")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write to FILE instead of printing.",
                                  callback=output_path)] = None,
) -> None:
    """Print the OnStart script that installs the agent inline (no download) and runs it on a timer."""
    options = AgentOptions(idle_minutes, ignore_connections, cpu_threshold, busy_cap_minutes, jupyter_url, observe_only)
    if instance_type:
        from sagetrim.catalog import load_catalog

        instance_type = check_instance_type(instance_type, load_catalog(), option="--instance-type")
        vcpus = instance_vcpus(instance_type)
        if vcpus is None:
            raise UsageError(f"unknown instance type {instance_type!r}; `sagetrim prices` lists them")
        options.check_vcpus(vcpus, instance_type)
    script = render_on_start(options, every_minutes)
    content = encode_content(script)
    text = content + "\n" if base64_content else script
    size = f"{len(content):,} of {CONTENT_LIMIT:,} base64 characters"
    if out is None:
        sys.stdout.write(text)
        err_console.print(f"OnStart script: {size}", highlight=False)
        return
    try:
        out.write_text(text)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror}") from exc
    err_console.print(f"wrote {out}: OnStart script, {size}", highlight=False)


@app.command("install")
def install_command(
    notebook: Annotated[str, typer.Argument(help="The notebook instance name.", show_default=False)],
    idle_minutes: IdleMinutes,
    ignore_connections: IgnoreConnections = False,
    cpu_threshold: CpuThreshold = 10.0,
    busy_cap_minutes: BusyCapMinutes = 1440.0,
    every_minutes: EveryMinutes = 5,
    jupyter_url: JupyterUrl = "https://localhost:8443",
    observe_only: ObserveOnly = False,
    config_name: Annotated[
        str, typer.Option("--config-name", help="The lifecycle configuration to create or update.")
    ] = DEFAULT_CONFIG_NAME,
    replace_config: Annotated[
        bool,
        typer.Option("--replace-config", help="Replace another lifecycle configuration attached to the notebook."),
    ] = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="Make the changes; stop and restart an InService notebook.")
    ] = False,
    timeout_minutes: Annotated[
        int, typer.Option("--timeout-minutes", help="Give up waiting for a notebook status after this.")
    ] = 15,
    region: Annotated[str | None, typer.Option("--region", help="AWS region.")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile.")] = None,
) -> None:
    """Create or update the lifecycle configuration and attach it to NOTEBOOK. Read-only without --apply."""
    if not 1 <= timeout_minutes <= 24 * 60:
        raise UsageError(f"--timeout-minutes must be between 1 and 1440 (a day), not {timeout_minutes}")
    check_name(notebook, what="notebook instance")
    check_name(config_name, what="--config-name")
    if region is not None:
        check_region(region, name="--region")
    options = AgentOptions(idle_minutes, ignore_connections, cpu_threshold, busy_cap_minutes, jupyter_url, observe_only)
    content = encode_content(render_on_start(options, every_minutes))
    client = sagemaker_client(profile, region)
    plan = plan_install(client, notebook, content, config_name=config_name, replace_config=replace_config)
    vcpus = instance_vcpus(plan.instance_type)
    if vcpus is not None:
        options.check_vcpus(vcpus, plan.instance_type)
    console.print(styled((notebook, "bold"), f" ({plan.instance_type}, {plan.status}):"), highlight=False)
    for step in plan.steps():
        console.print(f"  - {step}", highlight=False)
    if plan.blocked:
        if apply:
            raise typer.Exit(1)
        return
    if not apply:
        if plan.attach or plan.config_change != "unchanged":
            console.print("Read-only: nothing changed. Run again with --apply to do this.")
        return
    apply_install(
        client,
        plan,
        content,
        wait=WaitPolicy(timeout_s=timeout_minutes * 60),
        say=lambda line: console.print(f"  done: {line}", highlight=False),
    )


@app.command("policy")
def policy_command(
    notebook: Annotated[
        str | None, typer.Option("--notebook", help="Allow only this notebook instance (default: any).")
    ] = None,
    installer: Annotated[bool, typer.Option("--installer", help="Print what `install --apply` needs instead.")] = False,
    config_name: Annotated[
        str, typer.Option("--config-name", help="The lifecycle configuration (with --installer).")
    ] = DEFAULT_CONFIG_NAME,
) -> None:
    """Print the IAM policy the notebook's execution role needs for the agent to stop it."""
    if notebook is not None:
        check_name(notebook, what="--notebook")
    check_name(config_name, what="--config-name")
    document = installer_policy(config_name) if installer else notebook_role_policy(notebook)
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
