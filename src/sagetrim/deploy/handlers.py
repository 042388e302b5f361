"""AWS Lambda handlers: the scan-and-act cycle, the schedules, and restoring a deleted endpoint.

Each handler makes the library calls the CLI makes (`sagetrim act`, the schedule runner, `sagetrim restore`),
returns a JSON-able summary and writes one JSON line to the log. They import neither Typer nor Rich.

Where the settings come from, the first found:

1. the event's ``config``: inline YAML, an ``s3://`` URI of a YAML file, or a JSON object;
2. ``sagetrim.yaml`` under the state prefix in the state bucket (so settings change without a redeploy);
3. ``$SAGETRIM_CONFIG``: inline YAML or an ``s3://`` URI (the template writes the settings it was made from);
4. the defaults.

The template's environment then sets what the stack's parameters decide: ``SAGETRIM_REGIONS`` and
``SAGETRIM_ROLE_ARNS`` (comma-separated; empty falls back to the settings, like the CLI's flags),
``SAGETRIM_STATE`` (the state bucket) and ``SAGETRIM_SNS_TOPIC_ARN`` (the stack's topic). Actions are
carried out only when ``SAGETRIM_APPLY`` is ``true``; otherwise every run is a dry run, and an event with
``"dry_run": true`` makes it one in any case.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import yaml
from botocore.exceptions import BotoCoreError, ClientError

from sagetrim.errors import ConfigError, UsageError
from sagetrim.inputs import MAX_FILE_BYTES, decode_text

if TYPE_CHECKING:
    from sagetrim.config import Settings

__all__ = [
    "CONFIG_KEY",
    "ENV_APPLY",
    "ENV_CONFIG",
    "ENV_REGIONS",
    "ENV_ROLE_ARNS",
    "ENV_STATE",
    "ENV_TOPIC",
    "Invocation",
    "resolve_invocation",
    "restore_endpoint",
    "run_schedules",
    "scan_and_act",
]

ENV_CONFIG = "SAGETRIM_CONFIG"
ENV_REGIONS = "SAGETRIM_REGIONS"
ENV_ROLE_ARNS = "SAGETRIM_ROLE_ARNS"
ENV_STATE = "SAGETRIM_STATE"
ENV_TOPIC = "SAGETRIM_SNS_TOPIC_ARN"
ENV_APPLY = "SAGETRIM_APPLY"
CONFIG_KEY = "sagetrim.yaml"  # the settings object, under the state prefix
RESTORE_WAIT_S = 600.0  # at most this long for a restored endpoint to be InService before its autoscaling
_MARGIN_S = 60.0  # of the Lambda's remaining time, kept for writing the journal and the summary (and a restore's)


@dataclass(frozen=True)
class Invocation:
    """What one invocation runs with: settings, where they came from, and the stack's overrides."""

    settings: Settings
    config_source: str
    regions: list[str]  # as the CLI's --regions: empty falls back to the settings
    role_arns: list[str]  # as the CLI's --role-arn
    rules: list[str]  # as the CLI's --rules: empty is every rule
    apply: bool
    session: boto3.Session


def _csv(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return [str(i).strip() for i in items if str(i).strip()]


def _settings_from_yaml(text: str, source: str) -> Settings:
    """Validate settings given as YAML text; errors name ``source`` instead of a temporary file."""
    from sagetrim.pipeline.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="sagetrim-") as tmp:
        path = Path(tmp) / CONFIG_KEY
        path.write_text(text, encoding="utf-8")
        try:
            return load_settings(path)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace(str(path), source)) from None


def _read_s3(session: boto3.Session, uri: str, *, missing_ok: bool) -> str | None:
    from sagetrim.aws.session import client, default_region

    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise ConfigError(f"{uri!r} does not name an S3 object; write s3://BUCKET/KEY")
    try:
        # At most one byte more than the input layer reads: a huge object is refused without reading it all.
        body = client(session, "s3", default_region(session)).get_object(Bucket=bucket, Key=key)["Body"].read(
            MAX_FILE_BYTES + 1)
    except ClientError as exc:
        if missing_ok and exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise ConfigError(f"cannot read the settings at {uri}: {exc}") from None
    except BotoCoreError as exc:
        raise ConfigError(f"cannot read the settings at {uri}: {exc}") from None
    if len(body) > MAX_FILE_BYTES:
        raise ConfigError(f"the settings at {uri} are larger than the {MAX_FILE_BYTES:,} bytes sagetrim reads; "
                          "is it the right object?")
    return decode_text(body, source=f"the settings at {uri}")


def _settings_from(value: Any, source: str, session: boto3.Session) -> Settings:
    if isinstance(value, Mapping):  # a JSON object in the event: validated like a file
        try:
            text = yaml.safe_dump(dict(value))
        except RecursionError:
            raise ConfigError(f"{source} is nested too deeply to read; no sagetrim setting needs that many "
                              "levels.") from None
        return _settings_from_yaml(text, source)
    text = str(value)
    if text.strip().startswith("s3://"):
        uri = text.strip()
        return _settings_from_yaml(_read_s3(session, uri, missing_ok=False) or "", uri)
    return _settings_from_yaml(text, source)


def _load_settings(event: Mapping[str, Any], environ: Mapping[str, str],
                   session: boto3.Session) -> tuple[Settings, str]:
    from sagetrim.config import Settings

    if event.get("config") not in (None, ""):
        return _settings_from(event["config"], "the event's config", session), "event"
    state = environ.get(ENV_STATE, "").strip()
    if state.startswith("s3://"):
        uri = f"{state.rstrip('/')}/{CONFIG_KEY}"
        text = _read_s3(session, uri, missing_ok=True)
        if text is not None:
            return _settings_from_yaml(text, uri), uri
    if environ.get(ENV_CONFIG, "").strip():
        return _settings_from(environ[ENV_CONFIG], f"${ENV_CONFIG}", session), f"${ENV_CONFIG}"
    return Settings(), "defaults"


def resolve_invocation(event: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None,
                       session: boto3.Session | None = None) -> Invocation:
    """Settings, regions, roles, rules and apply for one invocation.

    Args:
        event: the Lambda event (an EventBridge event, or a JSON object given to ``aws lambda invoke``).
        environ: the environment; ``os.environ`` by default.
        session: the boto3 session; one from the standard credential chain by default.

    Raises:
        ConfigError: the settings are not valid or cannot be read.
    """
    event = event if isinstance(event, Mapping) else {}
    environ = os.environ if environ is None else environ
    session = session or boto3.Session()
    settings, source = _load_settings(event, environ, session)
    updates: dict[str, Any] = {}
    if environ.get(ENV_STATE, "").strip():
        updates["state"] = environ[ENV_STATE].strip()
    if environ.get(ENV_TOPIC, "").strip():
        updates["notify"] = settings.notify.model_copy(update={"sns_topic_arn": environ[ENV_TOPIC].strip()})
    if updates:
        settings = settings.model_copy(update=updates)
    apply = environ.get(ENV_APPLY, "").strip().lower() == "true" and event.get("dry_run") is not True
    return Invocation(settings=settings, config_source=source, regions=_csv(environ.get(ENV_REGIONS)),
                      role_arns=_csv(environ.get(ENV_ROLE_ARNS)), rules=_csv(event.get("rules")), apply=apply,
                      session=session)


def _log(line: dict[str, Any]) -> None:
    """One JSON line on stdout, which Lambda sends to the function's log group."""
    sys.stdout.write(json.dumps(line, default=str, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _request_id(context: Any) -> str | None:
    return getattr(context, "aws_request_id", None)


def _event_time(event: Mapping[str, Any]) -> datetime | None:
    """The ``time`` of an EventBridge event (the scheduled time of a Scheduled Event)."""
    value = event.get("time")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"the event's time {value!r} is not an ISO 8601 timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _handle(name: str, event: Any, context: Any, body: Callable[[Mapping[str, Any]], dict[str, Any]],
            brief: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """Run a handler's body, log one line about it (or about its error), and return its summary."""
    started = time.monotonic()
    event = event if isinstance(event, Mapping) else {}
    try:
        summary = body(event)
    except Exception as exc:
        _log({"sagetrim": name, "status": "error", "error": type(exc).__name__, "message": str(exc),
              "request_id": _request_id(context), "duration_s": round(time.monotonic() - started, 3)})
        raise
    summary = {"handler": name, **summary, "duration_s": round(time.monotonic() - started, 3)}
    _log({"sagetrim": name, **brief(summary), "request_id": _request_id(context),
          "duration_s": summary["duration_s"]})
    return summary


# --- the scan-and-act cycle ------------------------------------------------------------------------------


def _scan_and_act(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    from sagetrim.actions.budget import TimeBudget
    from sagetrim.catalog import load_catalog
    from sagetrim.pipeline.act import run_act
    from sagetrim.rules import select

    inv = resolve_invocation(event)
    run = run_act(inv.session, inv.regions, inv.role_arns, load_catalog(), inv.settings, select(inv.rules),
                  apply=inv.apply, budget=TimeBudget.from_lambda(context, _MARGIN_S))
    doc = run.to_json()
    failed = any(o.status in ("failed", "deferred") for o in run.report.outcomes)
    return {
        "status": "partial" if failed or run.scan.errors else "ok",
        "config": inv.config_source,
        "accounts": run.scan.accounts,
        "regions": run.scan.regions,
        "resources": len(run.scan.resources),
        "totals": run.scan.totals(),
        "savings": run.scan.savings(),
        **doc,
        "findings": [{k: v for k, v in f.to_json().items() if k not in ("evidence", "details")}
                     for f in run.scan.findings],
        "excluded": len(run.scan.excluded),
        "api_calls": {"total": sum(run.scan.api_calls.values()), **run.scan.api_calls},
    }


def _scan_brief(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("status", "dry_run", "config", "accounts", "regions", "resources", "counts", "monthly_savings_usd",
            "planned_savings_usd", "state_store", "excluded")
    return {**{k: summary.get(k) for k in keys}, "findings": len(summary["findings"]),
            "errors": len(summary["errors"]), "api_calls": summary["api_calls"]["total"]}


def scan_and_act(event: Any, context: Any) -> dict[str, Any]:
    """Scan, find and act (a dry run unless ``SAGETRIM_APPLY`` is ``true``): `sagetrim act` in Lambda.

    Args:
        event: an EventBridge Scheduled Event, or an object with any of ``config`` (see the module),
            ``rules`` (a list of rule ids, or a comma-separated string; all rules by default) and
            ``dry_run`` (true: plan only, whatever the stack's setting).
        context: the Lambda context.

    Returns:
        The run: ``status`` (``ok``, or ``partial`` when a region, account or action failed, or actions were
        deferred to the next run because the function's remaining time would not fit them), ``dry_run``,
        ``counts`` and ``outcomes`` of the actions, ``findings``, savings, totals, errors and API calls.

    Raises:
        SagetrimError: bad settings, an unknown rule, or the guard on the number of actions; nothing was done.
    """
    return _handle("scan_and_act", event, context, lambda e: _scan_and_act(e, context), _scan_brief)


# --- the schedules -------------------------------------------------------------------------------------


def _run_schedules(event: Mapping[str, Any]) -> dict[str, Any]:
    from sagetrim.actions.journal import Journal
    from sagetrim.actions.state import open_store
    from sagetrim.aws.calls import CallCounter
    from sagetrim.inventory.model import ScanError
    from sagetrim.inventory.scan import resolve_accounts, resolve_regions
    from sagetrim.schedules import run_schedules as run
    from sagetrim.schedules import session_clients
    from sagetrim.schedules.journal import journal_recorder

    inv = resolve_invocation(event)
    settings = inv.settings
    schedules = list(settings.schedules.root)
    wanted = event.get("schedule")
    if wanted:
        names = [s.name for s in schedules]
        if wanted not in names:
            raise UsageError(f"no schedule is named {wanted!r}; the schedules are: {', '.join(names) or 'none'}")
        schedules = [s for s in schedules if s.name == wanted]
    at = _event_time(event) or datetime.now(UTC)
    regions = resolve_regions(inv.session, inv.regions or settings.regions)
    errors: list[ScanError] = []
    accounts = resolve_accounts(inv.session, inv.role_arns or settings.role_arns, CallCounter(), errors)
    journal = Journal(open_store(settings.state, inv.session))
    reports: list[dict[str, Any]] = []
    for account in accounts:
        ran = run(schedules, session_clients(account.session), at, apply=inv.apply, regions=regions,
                  max_actions=settings.actions.max_per_run,
                  on_action=journal_recorder(journal, account.account_id, not inv.apply))
        reports.append({"account": account.account_id, **ran.to_json()})
    counts: dict[str, int] = {}
    for report in reports:
        for outcome, n in report["counts"].items():
            counts[outcome] = counts.get(outcome, 0) + n
    failed = counts.get("failed", 0) or errors or any(r["errors"] for r in reports)
    return {
        "status": "partial" if failed else "ok",
        "dry_run": not inv.apply,
        "config": inv.config_source,
        "at": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "schedules": [s.name for s in schedules],
        "counts": counts,
        "accounts": reports,
        "errors": [e.to_json() for e in errors],
    }


def _schedules_brief(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("status", "dry_run", "config", "at", "schedules", "counts")
    return {**{k: summary.get(k) for k in keys}, "accounts": [a["account"] for a in summary["accounts"]],
            "errors": len(summary["errors"]) + sum(len(a["errors"]) for a in summary["accounts"])}


def run_schedules(event: Any, context: Any) -> dict[str, Any]:
    """Start and stop what the schedules want at the event's time (now by default), in every account.

    Args:
        event: an EventBridge Scheduled Event (its ``time`` is the moment evaluated), or an object with any of
            ``schedule`` (run only the schedule of this name; the template's rules set it), ``time``,
            ``config`` and ``dry_run``.
        context: the Lambda context.

    Returns:
        Per account the decisions of the schedule runner; ``counts`` of the outcomes over all accounts.

    Raises:
        SagetrimError: bad settings, an unknown schedule, or more starts and stops than
            ``actions.max_per_run``; nothing was changed.
    """
    return _handle("run_schedules", event, context, _run_schedules, _schedules_brief)


# --- restore -------------------------------------------------------------------------------------------


def _restore(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    from sagetrim.actions.journal import Journal
    from sagetrim.actions.restore import restore
    from sagetrim.actions.state import open_store
    from sagetrim.aws.calls import CallCounter
    from sagetrim.aws.session import default_region
    from sagetrim.inventory.model import ScanError
    from sagetrim.inventory.scan import resolve_accounts

    endpoint = event.get("endpoint")
    if not endpoint or not isinstance(endpoint, str):
        raise UsageError('give the endpoint to restore: {"endpoint": "NAME", "region": "REGION"}')
    inv = resolve_invocation(event)
    settings = inv.settings
    region = str(event.get("region") or default_region(inv.session))
    account = str(event["account"]) if event.get("account") else None
    session = inv.session
    if account is not None:
        roles = [arn for arn in inv.role_arns or settings.role_arns if arn.split(":")[4:5] == [account]]
        if roles:
            errors: list[ScanError] = []
            reached = resolve_accounts(inv.session, roles[:1], CallCounter(), errors)
            if not reached:
                raise UsageError(f"cannot assume {roles[0]}: {errors[0].code}: {errors[0].message}")
            session = reached[0].session
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    wait = RESTORE_WAIT_S
    if callable(remaining):
        wait = max(0.0, min(wait, remaining() / 1000 - _MARGIN_S))
    store = open_store(settings.state, inv.session)
    result = restore(session, region, endpoint, store=store, backup_key=event.get("backup"),
                     journal=Journal(store), account=account, limits=settings.restore, wait_timeout_s=wait)
    return {**result.to_json(), "endpoint_status": result.status, "status": "ok", "config": inv.config_source}


def restore_endpoint(event: Any, context: Any) -> dict[str, Any]:
    """Recreate an endpoint the scan-and-act cycle deleted, from its backup: `sagetrim restore` in Lambda.

    Args:
        event: ``{"endpoint": NAME, "region": REGION, "account": ID, "backup": KEY}``; the region defaults
            to the function's, the account to the function's own (a member account is reached through its
            role in ``SAGETRIM_ROLE_ARNS``), the backup to the latest.
        context: the Lambda context.

    Returns:
        What was created and what was reused.

    Raises:
        SagetrimError: no such backup, the endpoint exists, or a call failed part-way.
    """
    return _handle("restore_endpoint", event, context, lambda e: _restore(e, context),
                   lambda s: {k: s.get(k) for k in ("status", "account", "region", "endpoint_name", "endpoint_status",
                                                    "created", "backup_location")})
