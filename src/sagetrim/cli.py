"""The command line: it parses, calls the packages, and renders. No AWS or pricing logic here."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from botocore.exceptions import BotoCoreError, ClientError

from sagetrim import __version__
from sagetrim.agent import cli as autostop_cli
from sagetrim.clikit import DefaultCommandGroup, FormatOption, ProgressDisplay, finite_option, split_csv
from sagetrim.errors import SagetrimError, UsageError
from sagetrim.inputs import check_region, check_regions, check_role_arn, output_path
from sagetrim.report.output import Format, emit
from sagetrim.report.terminal import SafeConsole, styled

app = typer.Typer(
    name="sagetrim",
    help="Make Amazon SageMaker spend visible and cut the waste in it, safely.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
prices_app = typer.Typer(
    cls=DefaultCommandGroup,
    help="The SageMaker price catalog: list prices, or refresh them from the AWS Price List API.",
)
app.add_typer(prices_app, name="prices")
app.add_typer(autostop_cli.app, name="autostop")

console = SafeConsole()
err_console = SafeConsole(stderr=True)

RegionOption = Annotated[
    str | None, typer.Option("--region", "-r", help="AWS region [default: AWS_REGION, the profile's, or us-east-1].")
]
ProfileOption = Annotated[str | None, typer.Option("--profile", help="AWS profile from ~/.aws/config.")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of the terminal.",
                              callback=output_path)
]


RulesOption = Annotated[
    list[str] | None,
    typer.Option("--rules", help="Rules to run, comma-separated [default: all]; `none` for the inventory only. "
                 "`sagetrim rules` lists them."),
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Settings file [default: ./sagetrim.yaml if present].")
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sagetrim {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Price, scan and trim Amazon SageMaker spend."""


# -- prices ----------------------------------------------------------------------------------------

@prices_app.command("list")
def prices_list(
    pattern: Annotated[str | None, typer.Argument(help="Instance type, substring (g5.) or glob (ml.g5.*).")] = None,
    region: RegionOption = None,
    usage: Annotated[str, typer.Option("--usage", "-u", help="notebook, studio, processing, training, "
                                       "spot-training, transform or hosting.")] = "hosting",
    gpu: Annotated[bool | None, typer.Option("--gpu/--no-gpu", help="Only GPU types, or only types without.")] = None,
    min_vcpu: Annotated[int | None, typer.Option("--min-vcpu", min=1, help="At least this many vCPUs.")] = None,
    min_memory: Annotated[
        float | None, typer.Option("--min-memory", min=0, callback=finite_option,
                                   help="At least this much memory, GiB.")
    ] = None,
    fmt: FormatOption = Format.TABLE,
    output: OutputOption = None,
) -> None:
    """List instance types with their prices, cheapest first, with each price's source and date."""
    from sagetrim.aws.session import default_region
    from sagetrim.catalog import load_catalog, parse_usage
    from sagetrim.report.prices import PRICE_COLUMNS, price_row, prices_table

    catalog = load_catalog()
    use = parse_usage(usage)
    region = catalog.check_region(region or default_region())
    types = catalog.match(pattern) if pattern else catalog.types()
    if pattern and len(types) == 1:
        catalog.check_usage(types[0], use)
    rows = []
    for inst in types:
        if use.value not in inst.usages:
            continue
        if gpu is not None and inst.has_gpu != gpu:
            continue
        if (min_vcpu and inst.vcpu < min_vcpu) or (min_memory and inst.memory_gib < min_memory):
            continue
        rows.append(price_row(inst, region, use, catalog.price(inst.name, region, use)))
    rows.sort(key=lambda r: (r["usd_per_hour"], r["instance_type"]))
    if not rows:
        raise UsageError("no instance type matches those filters; loosen --gpu, --min-vcpu or --min-memory.")
    emit(fmt, console, doc=rows, rows=rows, columns=PRICE_COLUMNS,
         table=lambda: prices_table(rows, catalog, region, use), output=output)


@prices_app.command("refresh")
def prices_refresh(
    region: Annotated[list[str] | None, typer.Option("--region", "-r", help="Region(s) to refresh; repeat or "
                                                     "comma-separate. [default: the current region]")] = None,
    profile: ProfileOption = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.TABLE,
) -> None:
    """Read exact prices from the AWS Price List API into the local cache that later lookups prefer."""
    from sagetrim.aws.session import client, default_region, make_session
    from sagetrim.catalog import load_catalog
    from sagetrim.catalog.cache import PriceCache
    from sagetrim.catalog.refresh import PRICE_LIST_API_REGION, refresh_region, summarize
    from sagetrim.report.output import to_json
    from sagetrim.report.prices import changes_table, refresh_table

    if fmt is Format.CSV:
        raise UsageError("prices refresh writes a table or JSON; use --format table or --format json.")
    session = make_session(profile)
    regions = split_csv(region) or [default_region(session)]
    catalog = load_catalog()
    for r in regions:
        catalog.check_region(r)
    pricing = client(session, "pricing", PRICE_LIST_API_REGION)
    summaries = []
    with console.status("Reading the AWS Price List API…", spinner="dots"):
        for r in regions:
            summaries.append(summarize(refresh_region(pricing, catalog, PriceCache(), r)))
    if fmt is Format.JSON:
        console.print(to_json(summaries), markup=False, highlight=False, soft_wrap=True)
        return
    console.print(refresh_table(summaries))
    for s in summaries:
        if s["changes"]:
            console.print(changes_table(s))


# -- estimate --------------------------------------------------------------------------------------

@app.command()
def estimate(
    plan: Annotated[Path, typer.Option("--plan", "-p", help="The plan file (YAML); see examples/plan.yaml.")],
    region: Annotated[str | None, typer.Option("--region", "-r", help="Price in this region [default: the "
                                               "plan's region, else the current one].")] = None,
    compare: Annotated[bool, typer.Option("--compare", help="Set the plan's alternatives side by side.")] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = Format.TABLE,
    output: OutputOption = None,
) -> None:
    """The monthly cost of a planned workload, by stage and component."""
    from sagetrim.aws.session import default_region
    from sagetrim.catalog import load_catalog
    from sagetrim.estimate import estimate_plan, load_plan
    from sagetrim.report.estimate import ITEM_COLUMNS, compare_table, estimate_doc, estimate_table, item_rows

    catalog = load_catalog()
    parsed = load_plan(plan, catalog)
    where = catalog.check_region(region or parsed.region or default_region())
    if compare and not parsed.alternatives:
        raise UsageError(
            f"{plan} has no alternatives to compare; add an `alternatives:` list (see examples/plan.yaml)."
        )
    estimates = estimate_plan(parsed, catalog, where, compare=compare)

    def tables() -> object:
        from rich.console import Group

        parts: list[object] = [estimate_table(estimates[0])]
        if compare:
            parts.append(compare_table(estimates))
        return Group(*parts)  # type: ignore[arg-type]

    emit(fmt, console, doc=estimate_doc(estimates), rows=item_rows(estimates), columns=ITEM_COLUMNS,
         table=tables, output=output)  # type: ignore[arg-type]


# -- scan ------------------------------------------------------------------------------------------

@app.command()
def scan(
    profile: ProfileOption = None,
    regions: Annotated[list[str] | None, typer.Option("--regions", "--region", "-r", help="Regions to scan, "
                       "comma-separated or repeated, or `all`. [default: the current region]")] = None,
    role_arn: Annotated[list[str] | None, typer.Option("--role-arn", help="Scan the account of this IAM role "
                        "(assumed with STS); repeat for several accounts.")] = None,
    fmt: FormatOption = Format.TABLE,
    output: OutputOption = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Describe everything again instead of reusing "
                        "describes of unchanged resources.")] = False,
    show: Annotated[int, typer.Option("--show", min=1, help="Resources shown in the table.")] = 25,
    rules: RulesOption = None,
    config: ConfigOption = None,
    fail_on: Annotated[str | None, typer.Option("--fail-on", help="Exit with status 3 when a finding is at least "
                       "this severe: low, medium or high (for pipelines).")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write a single-file HTML report (offline, "
                    "with charts) to this file.", callback=output_path)] = None,
) -> None:
    """Inventory every SageMaker resource that bills, with its cost, and the findings of the rules. Read-only.

    Exit status 0, or 3 with --fail-on and a finding that severe, or 4 when an account or region could not be
    scanned (the rest was)."""
    from sagetrim.aws.session import make_session
    from sagetrim.catalog import load_catalog
    from sagetrim.pipeline.scan import run_scan
    from sagetrim.pipeline.settings import load_settings
    from sagetrim.report.scan import RESOURCE_COLUMNS, resource_rows, scan_view
    from sagetrim.rules import select

    settings = load_settings(config)
    chosen = [] if split_csv(rules) == ["none"] else select(split_csv(rules))
    session = make_session(profile)
    with ProgressDisplay(err_console if fmt is Format.TABLE and output is None else None) as progress:
        result = run_scan(session, check_regions(split_csv(regions)) or settings.regions,
                          [check_role_arn(arn) for arn in split_csv(role_arn)] or settings.role_arns,
                          load_catalog(), use_cache=not no_cache, rules=chosen, settings=settings,
                          on_progress=progress)
    levels = ["low", "medium", "high"]
    if fail_on is not None and fail_on not in levels:
        raise UsageError(f"--fail-on takes low, medium or high, not {fail_on!r}.")
    emit(fmt, console, doc=result.to_json(), rows=resource_rows(result), columns=RESOURCE_COLUMNS,
         table=lambda: scan_view(result, show, console.width if output is None else 200), output=output)
    if output is not None:
        err_console.print(f"wrote {output}")
    if html is not None:
        from sagetrim.report.html import render_html
        from sagetrim.report.output import write_text

        write_text(render_html(result), html, console)
        err_console.print(f"wrote {html}")
    if fail_on is not None and any(levels.index(f.severity.value) >= levels.index(fail_on) for f in result.findings):
        raise typer.Exit(3)
    if result.errors:
        raise typer.Exit(4)


# -- acting on findings ----------------------------------------------------------------------------

@app.command()
def act(
    apply: Annotated[bool, typer.Option("--apply", help="Carry the actions out. Without it: plan only, change nothing.")
                     ] = False,
    rules: RulesOption = None,
    profile: ProfileOption = None,
    regions: Annotated[list[str] | None, typer.Option("--regions", "--region", "-r", help="Regions, comma-separated, "
                       "or `all`. [default: sagetrim.yaml's, else the current region]")] = None,
    role_arn: Annotated[list[str] | None, typer.Option("--role-arn", help="Act in the account of this role; "
                        "repeatable.")] = None,
    config: ConfigOption = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = Format.TABLE,
    output: OutputOption = None,
    time_budget: Annotated[str | None, typer.Option("--time-budget", help="Finish within this long (90s, 10m, "
                           "1h), scan included: no action starts that would not fit; the rest is left for the "
                           "next run and journaled as deferred.")] = None,
) -> None:
    """Carry out the findings' recommended actions: notify, stop notebooks, delete idle endpoints (after a
    backup that `restore` turns back into the endpoint), tag. Dry run unless --apply; every action is journaled.

    Exit status 0, or 1 when an action failed, or 4 when an account or region could not be scanned (the
    rest was, and was acted on), or 5 when --time-budget left actions for the next run."""
    from sagetrim.actions.budget import TimeBudget
    from sagetrim.aws.session import make_session
    from sagetrim.catalog import load_catalog
    from sagetrim.inputs import parse_duration
    from sagetrim.pipeline.act import run_act
    from sagetrim.pipeline.settings import load_settings
    from sagetrim.report.act import OUTCOME_COLUMNS, outcomes_view
    from sagetrim.rules import select

    budget = None
    if time_budget is not None:
        try:
            seconds = parse_duration(time_budget)
        except ValueError as exc:
            raise UsageError(f"--time-budget: {exc}") from None
        if seconds <= 0:
            raise UsageError("--time-budget must be longer than 0 s, e.g. 10m")
        budget = TimeBudget.seconds(seconds, describe=f"--time-budget {time_budget}")
    if regions is not None and not split_csv(regions):
        raise UsageError("--regions names no region; give one or more, comma-separated (us-east-1,eu-west-1), "
                         "or `all`, or leave the option out for sagetrim.yaml's regions. Nothing was done.")
    settings = load_settings(config)
    session = make_session(profile)
    with ProgressDisplay(err_console if fmt is Format.TABLE and output is None else None) as progress:
        run = run_act(session, split_csv(regions), split_csv(role_arn), load_catalog(), settings,
                      select(split_csv(rules)), apply=apply, budget=budget,
                      on_progress=progress)
    rows = [o.to_json() for o in run.report.outcomes]
    emit(fmt, console, doc=run.to_json(), rows=rows, columns=OUTCOME_COLUMNS, table=lambda: outcomes_view(run),
         output=output)
    if any(o.status == "failed" for o in run.report.outcomes):
        raise typer.Exit(1)
    if run.scan.errors:
        if fmt is not Format.TABLE or output is not None:
            for e in run.scan.errors:
                err_console.print(styled(("not scanned:", "yellow"), f" {e.account} {e.region} {e.kind}: {e.code}: "
                                         f"{e.message}"), highlight=False)
        raise typer.Exit(4)
    deferred = sum(o.status == "deferred" for o in run.report.outcomes)
    if deferred:
        if fmt is not Format.TABLE or output is not None:
            err_console.print(styled(("deferred:", "yellow"), f" {deferred} action(s) did not fit in the time "
                                     "budget; the next `sagetrim act --apply` carries them out"), highlight=False)
        raise typer.Exit(5)


@app.command()
def restore(
    endpoint: Annotated[str, typer.Argument(help="The name of the deleted endpoint.")],
    region: RegionOption = None,
    profile: ProfileOption = None,
    backup: Annotated[str | None, typer.Option("--backup", help="A backup key [default: the latest].")] = None,
    allow_unverified: Annotated[bool, typer.Option(
        "--allow-unverified", help="Restore a backup the journal recorded no digest for (one written by an older "
        "sagetrim); it is still checked against the settings' `restore` limits.")] = False,
    config: ConfigOption = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.TABLE,
) -> None:
    """Recreate an endpoint that `act` deleted, from its backup: models and configuration where they are
    gone, the endpoint with its tags, and its autoscaling."""
    from sagetrim.actions.journal import Journal
    from sagetrim.actions.restore import restore as restore_from_backup
    from sagetrim.actions.state import open_store
    from sagetrim.aws.session import default_region, make_session
    from sagetrim.pipeline.settings import load_settings
    from sagetrim.report.output import to_json

    settings = load_settings(config)
    session = make_session(profile)
    where = check_region(region, name="--region") if region else default_region(session)
    store = open_store(settings.state, session)
    with err_console.status(f"Restoring {endpoint} in {where}…"):
        result = restore_from_backup(session, where, endpoint, store=store, backup_key=backup,
                                     journal=Journal(store), limits=settings.restore,
                                     allow_unverified=allow_unverified)
    if fmt is Format.JSON:
        console.print(to_json(result.to_json()), markup=False, highlight=False, soft_wrap=True)
        return
    console.print(f"Restored {result.endpoint_name} ({result.status}) in {result.region} from {result.backup_location}")
    for line in result.created:
        console.print(f"  created {line}")
    for line in result.kept:
        console.print(f"  reused  {line}")
    for line in result.notes:
        console.print(styled("  ", ("note", "yellow"), f" {line}"))


@app.command()
def journal(
    since: Annotated[str | None, typer.Option("--since", help="Only entries from this time on (ISO date or time, "
                     "or a duration back like 7d, 12h).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Only entries about this resource.")] = None,
    config: ConfigOption = None,
    profile: ProfileOption = None,
    fmt: FormatOption = Format.TABLE,
    output: OutputOption = None,
) -> None:
    """What sagetrim did, when, by which rule, and what it saved."""
    from sagetrim.actions.journal import read_journal
    from sagetrim.actions.state import open_store
    from sagetrim.aws.session import make_session
    from sagetrim.pipeline.settings import load_settings
    from sagetrim.report.act import JOURNAL_COLUMNS, journal_table, unreadable_text

    settings = load_settings(config)
    store = open_store(settings.state, make_session(profile) if settings.state and settings.state.startswith("s3://")
                       else None)
    report = read_journal(store, _parse_since(since), name)
    rows = [e.to_json() for e in report.entries]
    emit(fmt, console, doc=report.to_json(), rows=rows, columns=JOURNAL_COLUMNS,
         table=lambda: journal_table(rows, report.monthly_savings_usd), output=output)
    if report.unreadable:
        err_console.print(styled(("warning:", "yellow"), f" {unreadable_text(report.location, report.unreadable)}"),
                          highlight=False)


def _parse_since(value: str | None) -> datetime | None:
    """An ISO date/time, or a duration back from now (7d, 12h, 30m)."""
    if value is None:
        return None
    from sagetrim.inputs import ago, parse_duration, parse_time

    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        if "longer than" in str(exc):
            raise UsageError(f"--since {exc}") from None
    else:
        return ago(seconds, datetime.now(UTC), name="--since")
    if not value.strip()[:1].isdigit():
        raise UsageError(f"--since {value[:60]!r} is neither a time (2026-11-30, 2026-11-30T08:00) nor a duration "
                         "(7d, 12h).")
    return parse_time(value, name="--since")


# -- right-sizing ----------------------------------------------------------------------------------

@app.command()
def rightsize(
    name: Annotated[str, typer.Argument(help="An endpoint, or a training or processing job.")],
    regions: Annotated[list[str] | None, typer.Option("--regions", "--region", "-r", help="Where to look "
                       "[default: sagetrim.yaml's regions, else the current region].")] = None,
    profile: ProfileOption = None,
    config: ConfigOption = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.TABLE,
) -> None:
    """Explain one resource's sizing: its utilization over 14 days, the candidates with their prices, and why
    the recommendation wins."""
    from sagetrim.aws.session import make_session
    from sagetrim.catalog import load_catalog
    from sagetrim.pipeline.rightsize import run_rightsize
    from sagetrim.pipeline.settings import load_settings
    from sagetrim.report.output import to_json
    from sagetrim.report.rightsize import explanation_view

    settings = load_settings(config)
    with err_console.status(f"Reading {name}'s utilization…"):
        explanation = run_rightsize(make_session(profile), name, check_regions(split_csv(regions)),
                                    load_catalog(), settings)
    if fmt is Format.JSON:
        console.print(to_json(explanation.to_json()), markup=False, highlight=False, soft_wrap=True)
        return
    if fmt is Format.CSV:
        raise UsageError("rightsize prints a table or JSON; use --format table or --format json.")
    console.print(explanation_view(explanation.to_json()))


# -- studio ----------------------------------------------------------------------------------------

studio_app = typer.Typer(help="Studio settings that cut its cost.")
app.add_typer(studio_app, name="studio")


@studio_app.command("idle-shutdown")
def studio_idle_shutdown(
    domain: Annotated[str, typer.Option("--domain", help="The Studio domain id (d-...).")],
    user_profile: Annotated[str | None, typer.Option("--user-profile", help="Set it for this user profile.")] = None,
    space: Annotated[str | None, typer.Option("--space", help="Set it for this space (its timeout only).")] = None,
    minutes: Annotated[int | None, typer.Option("--minutes", help="Shut apps down after this many idle minutes "
                                                "(60 to 525,600); turns idle shutdown on.")] = None,
    off: Annotated[bool, typer.Option("--off", help="Turn idle shutdown off.")] = False,
    undo: Annotated[bool, typer.Option("--undo", help="Put back the settings as they were before sagetrim's last "
                                       "change to this level (from the journal).")] = False,
    app_type: Annotated[list[str] | None, typer.Option("--app-type", help="JupyterLab, CodeEditor, or both "
                                                       "comma-separated [default: both].")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Make the change; without it, only show it.")] = False,
    region: RegionOption = None,
    profile: ProfileOption = None,
    config: ConfigOption = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.TABLE,
) -> None:
    """Show, and with --apply set, Studio's built-in idle shutdown for JupyterLab and Code Editor apps: on the
    domain's defaults (for user profiles and spaces), a user profile, or a space. Every change is journaled with
    the settings it replaced; --undo puts them back."""
    from sagetrim.actions.idle_shutdown import APP_TYPES, apply_plan, plan_idle_shutdown, undo_plan
    from sagetrim.actions.journal import Journal
    from sagetrim.actions.state import open_store
    from sagetrim.aws.session import caller_account, client, default_region, make_session
    from sagetrim.pipeline.settings import load_settings
    from sagetrim.report.idle_shutdown import idle_shutdown_table
    from sagetrim.report.output import to_json

    types = tuple(split_csv(app_type)) if app_type else APP_TYPES
    if undo and (minutes is not None or off):
        raise UsageError("--undo puts back the previous settings; give it without --minutes or --off")
    settings = load_settings(config)
    session = make_session(profile)
    where = check_region(region, name="--region") if region else default_region(session)
    sm = client(session, "sagemaker", where)
    store = open_store(settings.state, session)
    journal = Journal(store)
    if undo:
        plan = undo_plan(sm, journal, where, domain, user_profile=user_profile, space=space)
    else:
        plan = plan_idle_shutdown(sm, where, domain, user_profile=user_profile, space=space, minutes=minutes,
                                  off=off, app_types=types)
    outcome = apply_plan(sm, plan, journal, caller_account(session, where), datetime.now(UTC), apply=apply)
    if not apply and plan.changed:
        outcome += "; nothing was changed (add --apply to make the change)"
    doc = {**plan.to_json(), "applied": apply and plan.changed, "outcome": outcome}
    if fmt is Format.JSON:
        console.print(to_json(doc), markup=False, highlight=False, soft_wrap=True)
        return
    console.print(idle_shutdown_table(doc))
    console.print(outcome, highlight=False)
    for note in plan.notes:
        console.print(styled(("note:", "yellow"), f" {note}"), highlight=False)


# -- schedules -------------------------------------------------------------------------------------

schedule_app = typer.Typer(help="Start and stop notebook instances (and stop Studio apps) on EventBridge cron "
                           "schedules set in sagetrim.yaml.")
app.add_typer(schedule_app, name="schedule")


def _schedules(config: Path | None) -> tuple[Any, list[Any]]:
    from sagetrim.pipeline.settings import load_settings

    settings = load_settings(config)
    if not settings.schedules.root:
        raise UsageError("no schedules are set; add a `schedules:` list to sagetrim.yaml (`sagetrim config init` "
                         "writes an example) or name the file with --config.")
    return settings, settings.schedules.root


@schedule_app.command("next")
def schedule_next(
    config: ConfigOption = None,
    count: Annotated[int, typer.Option("--count", "-n", min=1, max=100, help="Transitions per schedule.")] = 5,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """List the coming starts and stops of every schedule, in its time zone and in UTC."""
    from sagetrim.report.output import new_table
    from sagetrim.schedules import next_transitions

    _, schedules = _schedules(config)
    rows = [t.to_json() for t in next_transitions(schedules, datetime.now(UTC), count)]

    def table() -> object:
        t = new_table("Coming transitions")
        for col in ("When (local)", "UTC", "Schedule", "Action", "Expression"):
            t.add_column(col)
        for r in rows:
            t.add_row(f"{r['at']} {r['timezone']}", r["at_utc"], r["schedule"], r["action"], r["expression"])
        return t

    emit(fmt, console, doc=rows, rows=rows, columns=["schedule", "action", "at", "at_utc", "timezone", "expression"],
         table=table)  # type: ignore[arg-type]


@schedule_app.command("run")
def schedule_run(
    config: ConfigOption = None,
    at: Annotated[str | None, typer.Option("--at", help="Evaluate at this moment (ISO time; naive = UTC) "
                  "[default: now].")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Start and stop for real. Without it: plan only.")] = False,
    regions: Annotated[list[str] | None, typer.Option("--regions", "--region", "-r", help="Regions [default: each "
                       "schedule's, else sagetrim.yaml's, else the current one].")] = None,
    profile: ProfileOption = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Start or stop what the schedules say should be running now: idempotent, and safe to run late."""
    from sagetrim.aws.session import default_region, make_session
    from sagetrim.report.output import new_table
    from sagetrim.schedules import parse_moment, run_schedules, session_clients

    settings, schedules = _schedules(config)
    session = make_session(profile)
    moment = parse_moment(at) if at else datetime.now(UTC)
    where = check_regions(split_csv(regions)) or settings.regions or [default_region(session)]
    from sagetrim.actions.journal import Journal
    from sagetrim.actions.state import open_store
    from sagetrim.aws.session import caller_account
    from sagetrim.schedules.journal import journal_recorder

    account = caller_account(session, where[0])
    journal = Journal(open_store(settings.state, session))
    report = run_schedules(schedules, session_clients(session), moment, apply=apply, regions=where,
                           max_actions=settings.actions.max_per_run,
                           on_action=journal_recorder(journal, account, dry_run=not apply))
    rows = [d.to_json() for d in report.decisions]

    def table() -> object:
        from rich.console import Group

        t = new_table(f"Schedules at {moment.isoformat()}" + ("" if apply else " (dry run: nothing was changed)"))
        for col in ("Outcome", "Resource", "Schedule", "Operation", "Why"):
            t.add_column(col, overflow="fold")
        for r in rows:
            t.add_row(r["outcome"], styled(r["name"], " ", (r["region"], "dim")), r["schedule"] or "",
                      r.get("operation") or "", r["reason"])
        notes = [*report.notes, *(f"{e.region}: {e.code} {e.message}" for e in report.errors)]
        return Group(t, *notes)

    emit(fmt, console, doc=report.to_json(), rows=rows,
         columns=["outcome", "region", "kind", "name", "schedule", "operation", "desired", "status", "reason"],
         table=table)  # type: ignore[arg-type]
    if report.errors:
        raise typer.Exit(4)


# -- deployment ------------------------------------------------------------------------------------

deploy_app = typer.Typer(help="Run sagetrim inside the account: Lambda functions on EventBridge schedules.")
app.add_typer(deploy_app, name="deploy")


@deploy_app.command("template")
def deploy_template(
    config: ConfigOption = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the template here.",
                                  callback=output_path)] = None,
) -> None:
    """The CloudFormation template (YAML): Lambda functions, EventBridge rules for the scan cycle and each
    schedule, an SNS topic, the state bucket and a least-privilege role; a StackSet-ready member role."""
    from sagetrim.deploy import render_template
    from sagetrim.pipeline.settings import load_settings
    from sagetrim.report.output import write_text

    write_text(render_template(load_settings(config)), out, console)
    if out is not None:
        err_console.print(f"wrote {out}")


@deploy_app.command("package")
def deploy_package(
    out: Annotated[Path, typer.Option("--out", "-o", help="The zip to write.",
                                  callback=output_path)] = Path("sagetrim-lambda.zip"),
    no_sdk: Annotated[bool, typer.Option("--no-sdk", help="Leave boto3 out and use the Lambda runtime's.")] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.TABLE,
) -> None:
    """Build the Lambda deployment zip (sagetrim and its runtime dependencies for Python 3.11 on x86_64; no
    test or simulation dependencies) and report its size."""
    from sagetrim.deploy import build_package
    from sagetrim.report.output import to_json

    with err_console.status("Building the Lambda package…"):
        report = build_package(out, include_sdk=not no_sdk)
    if fmt is Format.JSON:
        console.print(to_json(report.to_json()), markup=False)
        return
    doc = report.to_json()
    console.print(f"wrote {out}: {doc['zipped_mb']} MB zipped, {doc['unzipped_mb']} MB unzipped, "
                  f"{doc['files']} files (Lambda allows 50 and 250)")
    console.print("dependencies: " + ", ".join(f"{k} {v}" for k, v in sorted(doc["dependencies"].items())),
                  highlight=False)


# -- guardrails ------------------------------------------------------------------------------------

guardrails_app = typer.Typer(help="IAM policies that keep expensive instance types away from those who don't need "
                             "them.")
app.add_typer(guardrails_app, name="guardrails")


@guardrails_app.command("policy")
def guardrails_policy(
    allow: Annotated[list[str] | None, typer.Option("--allow", help="Allowed instance types: globs like ml.t3.* or "
                     "ml.m5.large; comma-separated or repeated. [default: every type]")] = None,
    deny_gpu: Annotated[bool, typer.Option("--deny-gpu", help="Deny every GPU instance type.")] = False,
    max_size: Annotated[str | None, typer.Option("--max-size", help="Deny sizes above this one, e.g. 4xlarge.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the policy here.",
                                  callback=output_path)] = None,
) -> None:
    """Write an IAM policy that denies launching SageMaker instances outside the allowed types
    (notebooks, Studio apps and spaces, training, tuning, processing, transform, endpoint configurations, ...)."""
    import json

    from sagetrim.guardrails import build_policy
    from sagetrim.report.output import write_text

    patterns = split_csv(allow)
    if not patterns and not deny_gpu and not max_size:
        raise UsageError("say what to allow: --allow PATTERNS, --deny-gpu and/or --max-size SIZE.")
    policy = build_policy(patterns or ["ml.*"], deny_gpu=deny_gpu, max_size=max_size)
    write_text(json.dumps(policy, indent=2), out, console)
    if out is not None:
        err_console.print(f"wrote {out}")


@guardrails_app.command("check")
def guardrails_check(
    policy: Annotated[Path, typer.Argument(help="The policy file (JSON).")],
    action: Annotated[str, typer.Option("--action", help="An API action, e.g. CreateTrainingJob.")],
    instance_type: Annotated[list[str] | None, typer.Option("--instance-type", help="Instance type(s) the request "
                             "names; repeat for several (endpoint variants). None: a request without types.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.TABLE,
) -> None:
    """Say whether the policy allows an action with these instance types (beside permissions that allow it).
    Exit status 0 allowed, 3 denied."""
    from dataclasses import asdict

    from sagetrim.catalog import load_catalog
    from sagetrim.guardrails import check, load_policy
    from sagetrim.guardrails.policy import SYSTEM_INSTANCE_TYPE, normalize_instance_type
    from sagetrim.inputs import check_instance_type
    from sagetrim.report.output import to_json

    types = [normalize_instance_type(t) for t in split_csv(instance_type)]
    types = [t if t == SYSTEM_INSTANCE_TYPE else check_instance_type(t, load_catalog(), option="--instance-type")
             for t in types]
    decision = check(load_policy(policy), action, types or None)
    if fmt is Format.JSON:
        console.print(to_json(asdict(decision)), markup=False)
    else:
        verdict = ("allowed", "green") if decision.allowed else ("denied", "red")
        statement = f" (statement {decision.sid})" if decision.sid else ""
        console.print(styled(verdict, f": {decision.reason}{statement}"))
    if not decision.allowed:
        raise typer.Exit(3)


# -- rules and settings ----------------------------------------------------------------------------

@app.command("rules")
def list_rules(fmt: FormatOption = Format.TABLE) -> None:
    """List the rules, what each finds, and its settings with their defaults."""
    import dataclasses

    from sagetrim.report.output import new_table
    from sagetrim.rules import RULES

    rows: list[dict[str, Any]] = [
        {"rule": rid, "title": r.meta.title, "kind": r.meta.kind, "action": r.meta.action.value,
         "settings": {f.name: f.default for f in dataclasses.fields(r.params)},
         "description": r.summary} for rid, r in RULES.items()]

    def table() -> object:
        t = new_table("Rules (settings go under `rules:` in sagetrim.yaml)")
        for col in ("Rule", "Finds", "Action", "Settings"):
            t.add_column(col)
        for r in rows:
            t.add_row(r["rule"], r["description"].split(": ", 1)[-1], r["action"],
                      ", ".join(f"{k}={v}" for k, v in r["settings"].items()))
        return t

    emit(fmt, console, doc=rows, rows=rows, columns=["rule", "title", "kind", "action", "description"],
         table=table)  # type: ignore[arg-type]


config_app = typer.Typer(help="The settings file, sagetrim.yaml.")
app.add_typer(config_app, name="config")


@config_app.command("init")
def config_init(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write it.",
                                  callback=output_path)] = Path("sagetrim.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example settings file with every key and its default."""
    from sagetrim.config import EXAMPLE
    from sagetrim.report.output import write_text

    if out.exists() and not force:
        raise UsageError(f"{out} exists; use --force to overwrite it or --out to write elsewhere.")
    write_text(EXAMPLE, out, console)
    console.print(f"wrote {out}")


@config_app.command("check")
def config_check(config: ConfigOption = None) -> None:
    """Validate a settings file and print the settings in effect."""
    from sagetrim.pipeline.settings import load_settings
    from sagetrim.report.output import to_json
    from sagetrim.urls import redact_url

    shown = load_settings(config).model_dump(by_alias=True, exclude_none=True)
    if shown.get("notify", {}).get("webhook_url"):
        shown["notify"]["webhook_url"] = redact_url(shown["notify"]["webhook_url"])
    console.print(to_json(shown), markup=False)


# -- the simulated account -------------------------------------------------------------------------

sim_app = typer.Typer(help="The simulated AWS account that `demo`, the tests and the benchmarks run on.")
app.add_typer(sim_app, name="sim")


@sim_app.command("serve")
def sim_serve(
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1; 0 picks a free one.")] = 0,
    scenario: Annotated[Path | None, typer.Option("--scenario", help="Fleet to generate, from a YAML file.")] = None,
    preset: Annotated[str | None, typer.Option("--preset", help="A built-in fleet: demo.")] = None,
    empty: Annotated[bool, typer.Option("--empty", help="Start with no resources at all.")] = False,
    latency_ms: Annotated[float, typer.Option("--latency-ms", min=0, help="Delay every answer this long.")] = 0.0,
    throttle_rate: Annotated[float, typer.Option(
        "--throttle-rate", min=0, max=1, help="Share of requests throttled (ThrottlingException, HTTP 400).")] = 0.0,
    error_rate: Annotated[float, typer.Option(
        "--error-rate", min=0, max=1, help="Share of requests failing with InternalFailure (HTTP 500).")] = 0.0,
    deny: Annotated[list[str] | None, typer.Option(
        "--deny", metavar="REGION[:SERVICE]",
        help="Deny every request to a region, or to one service there, as IAM does. Repeatable.")] = None,
) -> None:
    """Run the simulated account until interrupted, and print how to point any AWS client at it."""
    from sagetrim.sim.account import ServeFaults, apply_faults, scenario_from, start_account

    if empty and (scenario or preset):
        raise UsageError("--empty cannot be combined with --scenario or --preset.")
    faults = ServeFaults(latency_ms, throttle_rate, error_rate, tuple(deny or ()))
    chosen = None if empty else scenario_from(preset if (preset or scenario) else "demo", scenario)
    with console.status("Starting the simulated account…"):
        server, summary = start_account(chosen, port)
    try:
        _stop_on_signals()
        suffering = apply_faults(server, faults)
        made = ", ".join(f"{n} {k}s" for k, n in summary.counts.items()) or "no resources"
        console.print(f"Simulated AWS account {server.account_id} on {server.url} with {made}.", markup=False)
        for line in suffering:
            console.print(f"  {line}", markup=False, highlight=False)
        console.print("Point any AWS client at it (Ctrl-C stops it):\n")
        for key, value in server.env().items():
            console.print(f"export {key}={value}", markup=False, highlight=False)
        console.print("\nthen, for example: sagetrim scan --regions us-east-1,eu-west-1", markup=False)
        import threading

        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        server.stop()


def _stop_on_signals() -> None:
    """Make SIGINT (Ctrl-C) and SIGTERM stop the server. A process started in the background of a script
    inherits SIGINT ignored, and Python then raises nothing on it; SIGTERM would end it without a clean stop."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)


@app.command()
def demo(
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.TABLE,
) -> None:
    """Try sagetrim with no AWS account: scan a simulated team's SageMaker account and show the waste."""
    from sagetrim.pipeline.demo import run_demo
    from sagetrim.pipeline.progress import Step
    from sagetrim.report.demo import print_demo

    if fmt is Format.CSV:
        raise UsageError("demo prints a table or JSON; use --format table or --format json.")
    as_json = fmt is Format.JSON
    shown: tuple[Step, ...] = ("start",) if as_json else ()
    with ProgressDisplay(err_console, steps=shown) as progress:
        run = run_demo(progress)
    print_demo(run, console, as_json=as_json)


def main() -> None:
    """Entry point of the `sagetrim` console command.

    Exit statuses: 0 done, 1 an AWS or action error, 2 bad input (nothing changed), 130 interrupted.
    Typer itself reports malformed command lines (status 2); sagetrim's own errors are printed here,
    without a traceback.
    """
    try:
        app()
    except SagetrimError as exc:
        err_console.print(styled(("error:", "bold red"), f" {exc}"), highlight=False)
        sys.exit(exc.exit_code)
    except (BotoCoreError, ClientError) as exc:  # an AWS failure no layer below turned into a sagetrim error
        err_console.print(styled(("error:", "bold red"), f" AWS: {exc}"), highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
