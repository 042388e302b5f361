"""Properties of every input sagetrim reads: any settings file, plan, cron or rate expression, duration or command
line option gives either a result or a clean exit-2 error, in under a second, and never a traceback."""

from __future__ import annotations

import contextlib
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sagetrim.catalog import load_catalog
from sagetrim.errors import UsageError
from sagetrim.estimate import load_plan
from sagetrim.inputs import known_regions, parse_duration
from sagetrim.pipeline.settings import load_settings
from sagetrim.schedules import parse_expression
from tests.invoke import invoke

FAST = settings(max_examples=150, deadline=timedelta(seconds=1), suppress_health_check=[HealthCheck.too_slow])
# A command takes well under a second; the margin absorbs a test machine shared by parallel runs.
CLI = settings(max_examples=40, deadline=timedelta(seconds=3), suppress_health_check=[HealthCheck.too_slow])
NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)

# Values a hand-written or hostile file may hold.
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**18, max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["us-east-1", "us-esat-1", "all", "cron(0 7 ? * MON-FRI *)", "rate(999999999 days)",
                     "rate(1 hour)", "2h30m", " " * 50, "Europe/Paris", "Mars/Olympus", "ml.m5.large", "ml.zz.huge",
                     "s3://bucket/prefix", "ftp://x", "arn:aws:iam::111122223333:role/x", "arn:aws:iam::x",
                     "notebook-instance", "training", "hosting", "*"]),
)
KEYS = st.sampled_from([
    "regions", "role_arns", "state", "notify", "sns_topic_arn", "webhook_url", "rules", "idle-endpoint", "hours",
    "idle-notebook", "max_running_hours", "actions", "max_per_run", "enabled", "restore", "max_instances",
    "instance_types", "execution_roles", "images", "schedules", "name", "timezone", "start", "stop", "targets",
    "kinds", "name_prefix", "tag", "enforce", "region", "workloads", "stage", "instance_type", "count", "runs",
    "duration", "storage_gb", "hours_per_day", "days", "spot", "memory_gb", "requests", "ms_per_request",
    "alternatives", "changes", "unknown",
])
DOCUMENTS = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(KEYS, inner, max_size=6)), max_leaves=30)


def _file(text: str | bytes) -> Path:
    directory = Path(tempfile.mkdtemp(prefix="sagetrim-prop-"))
    path = directory / "input.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


def _yaml(doc: Any) -> str:
    return yaml.safe_dump(doc, allow_unicode=True)


def _loads_cleanly(load: Any, path: Path) -> None:
    with contextlib.suppress(UsageError):  # ConfigError, CatalogError, InvalidExpression: exit status 2
        load(path)


@FAST
@given(st.one_of(DOCUMENTS.map(_yaml), st.text(max_size=300), st.binary(max_size=300)))
def test_any_settings_file_loads_or_is_a_usage_error(text: str | bytes) -> None:
    try:
        path = _file(text)
    except UnicodeEncodeError:
        return
    _loads_cleanly(load_settings, path)


@FAST
@given(st.fixed_dictionaries({"workloads": st.lists(st.dictionaries(KEYS, DOCUMENTS, max_size=8), max_size=3)},
                             optional={"region": SCALARS, "alternatives": DOCUMENTS}).map(_yaml))
def test_any_plan_loads_or_is_a_usage_error(text: str) -> None:
    catalog = load_catalog()
    _loads_cleanly(lambda p: load_plan(p, catalog), _file(text))


CRON_FIELD = st.text(alphabet="0123456789*?,-/LW#MONTUEFRISATJANDEC", min_size=1, max_size=12)
EXPRESSIONS = st.one_of(
    st.builds(lambda f: f"cron({' '.join(f)})", st.lists(CRON_FIELD, min_size=5, max_size=7)),
    st.builds(lambda n, u: f"rate({n} {u})", st.one_of(st.integers(), st.text(max_size=12)),
              st.sampled_from(["minute", "minutes", "hour", "hours", "day", "days", "weeks", ""])),
    st.text(max_size=60),
)


@FAST
@given(EXPRESSIONS, st.sampled_from(["UTC", "Europe/Paris", "Australia/Lord_Howe", "America/St_Johns"]))
def test_any_schedule_expression_parses_and_finds_its_fires_or_is_a_usage_error(text: str, timezone: str) -> None:
    try:
        expression = parse_expression(text)
    except UsageError:
        return
    tz = ZoneInfo(timezone)
    fires = expression.fires_after(NOW, tz)
    following = next(fires, None)
    assert following is None or following > NOW
    last = expression.last_fire(NOW, tz, NOW - timedelta(days=400))
    assert last is None or last <= NOW


@FAST
@given(st.one_of(st.text(max_size=80), st.floats(allow_nan=True, allow_infinity=True), st.integers(),
                 st.from_regex(r"\A\s*(\d{1,12}(\.\d{1,4})?\s*[dhms]\s*){1,5}\Z")))
def test_any_duration_parses_to_finite_seconds_or_is_a_value_error(value: str | float) -> None:
    try:
        seconds = parse_duration(value)
    except ValueError:
        return
    assert 0 <= seconds <= 10 * 366 * 86400


OPTION_TEXT = st.one_of(st.text(max_size=40), st.sampled_from(["nan", "inf", "-1", "1e400", str(10**40), "*", ""]))


def _clean(args: list[str], tmp: str) -> None:
    result = invoke(*args, env={"SAGETRIM_STATE_DIR": tmp, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
                                "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert result.code in (0, 2), (args, result)
    assert "Traceback" not in result.err


@CLI
@given(OPTION_TEXT.filter(lambda v: "\x00" not in v))
def test_any_journal_since_is_a_time_a_duration_or_exit_2(value: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _clean(["journal", "--since", value, "--format", "json"], tmp)


@CLI
@given(OPTION_TEXT.filter(lambda v: "\x00" not in v), OPTION_TEXT.filter(lambda v: "\x00" not in v))
def test_any_prices_filter_is_a_listing_or_exit_2(memory: str, pattern: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _clean(["prices", pattern or "ml.m5.large", "--min-memory", memory, "--format", "json"], tmp)


@CLI
@given(OPTION_TEXT.filter(lambda v: "\x00" not in v and v.strip() not in known_regions() and v.strip() != "all"))
def test_any_unknown_region_is_exit_2_before_aws_is_called(region: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = invoke("scan", "--regions", region or " ", "--rules", "none",
                        env={"SAGETRIM_STATE_DIR": tmp, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert result.code == 2, result


@CLI
@given(OPTION_TEXT.filter(lambda v: "\x00" not in v), OPTION_TEXT.filter(lambda v: "\x00" not in v))
def test_any_autostop_policy_or_guardrail_check_option_is_an_answer_or_exit_2(name: str, instance: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _clean(["autostop", "policy", "--notebook", name], tmp)
        policy = Path(tmp) / "policy.json"
        policy.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sagemaker:*", '
                          '"Resource": "*", "Condition": {"ForAnyValue:StringNotLike": '
                          '{"sagemaker:InstanceTypes": ["ml.m5.*"]}}}]}')
        result = invoke("guardrails", "check", str(policy), "--action", "CreateTrainingJob", "--instance-type",
                        instance or "x")
        assert result.code in (0, 2, 3), result
