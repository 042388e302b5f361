"""The input layer: every bad file, number, duration, time, region, ARN or name gets a clear exit-2 error, fast."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from sagetrim.errors import ConfigError, UsageError
from sagetrim.inputs import (
    check_name,
    check_region,
    check_role_arn,
    check_state_uri,
    finite,
    load_json,
    load_yaml,
    parse_duration,
    parse_time,
    read_text,
)
from sagetrim.schedules import parse_expression
from tests.invoke import invoke


def test_given_special_files_when_read_then_refused_before_a_byte_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # a reader that blocked on it would hang the test
    for path, kind in ((fifo, "a FIFO"), (tmp_path, "a directory")):
        with pytest.raises(ConfigError, match=f"is {kind}"):
            read_text(path, what="settings file")
    zero = Path("/dev/zero")
    if zero.exists():
        with pytest.raises(ConfigError, match="is a character device; give a regular file"):
            read_text(zero, what="settings file")


@pytest.mark.parametrize(("data", "message"), [
    ("regions: []\n".encode("utf-16"), "is UTF-16 .* save it as UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "binary file"),
    (b"regions: [\xe9u]\n", r"not UTF-8 text \(byte 10, line 1\)"),
])
def test_given_a_file_that_is_not_utf8_text_when_read_then_the_message_says_what_it_is(
    tmp_path: Path, data: bytes, message: str
) -> None:
    path = tmp_path / "sagetrim.yaml"
    path.write_bytes(data)
    with pytest.raises(ConfigError, match=message):
        read_text(path, what="settings file")


def test_given_a_file_over_the_limit_when_read_then_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * 2048)
    with pytest.raises(ConfigError, match="2,048 bytes, more than the 1,024"):
        read_text(path, what="plan", max_bytes=1024)
    assert read_text(path, max_bytes=4096) == "#" * 2048


@pytest.mark.parametrize(("text", "message"), [
    ("a: 1\nb: 2\na: 3\n", "line 3: the key 'a' is given twice \\(first on line 1\\)"),
    ("a: " + "[" * 5000 + "]" * 5000, "nested more than 64 levels"),
    ("a:\n" + "".join(" " * i + "- \n" for i in range(1, 200)), "nested more than 64 levels"),
    ("a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(f"{c}: &{c} [{','.join(['*' + p] * 10)}]\n"
                                                 for p, c in zip("abcdefg", "bcdefgh", strict=True)),
     "expands to more than 200,000 values"),
])
def test_given_hostile_yaml_when_loaded_then_a_clear_error_in_well_under_a_second(text: str, message: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ConfigError, match=message):
        load_yaml(text, source="sagetrim.yaml")
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(("text", "message"), [
    ("[" * 100_000 + "]" * 100_000, "nested more than 64 levels"),
    ('{"Version": NaN}', "NaN is not a number JSON allows"),
    ('{"a": 1, "a": 2}', "the key 'a' is given twice"),
    ("1" * 5000, "not valid JSON"),
])
def test_given_hostile_json_when_loaded_then_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_json(text, source="policy.json")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 10**400, True])
def test_given_a_number_that_is_not_finite_or_huge_when_checked_then_refused(value: float) -> None:
    with pytest.raises(UsageError, match="--min-memory"):
        finite(value, name="--min-memory", low=0)


@pytest.mark.parametrize(("text", "seconds"), [("2h30m", 9000), ("17m30s", 1050), ("90s", 90), ("7d", 604800),
                                               (" 1d 2h ", 93600), (3, 10800), (0.5, 1800)])
def test_given_a_duration_when_parsed_then_its_seconds(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", [" " * 200, " " * 200 + "x", "1" + " " * 200 + "h x", "1h" * 100, "9" * 5000 + "s",
                                  "1h1h", "2m3h", ".5h", "1.2.3h", "", "999999999d", float("nan"), -1, 10**400])
def test_given_a_bad_duration_when_parsed_then_value_error_at_once(text: str | float) -> None:
    started = time.perf_counter()
    with pytest.raises(ValueError, match="duration|ten years"):
        parse_duration(text)
    assert time.perf_counter() - started < 0.1  # the old parser took 45 s on 200 spaces


@pytest.mark.parametrize("text", ["rate(999999999 days)", "rate(" + "9" * 5000 + " minutes)",
                                  "cron(" + "9" * 5000 + " * * * ? *)", "cron(0/" + "9" * 5000 + " * * * ? *)"])
def test_given_a_rate_or_cron_with_huge_numbers_when_parsed_then_a_config_error_not_an_overflow(text: str) -> None:
    with pytest.raises(ConfigError, match="invalid schedule expression"):
        parse_expression(text)


def test_given_times_far_off_when_parsed_then_refused() -> None:
    for text in ("0001-01-01", "9999-12-31T23:59", "0001-01-01T00:00+01:00"):
        with pytest.raises(UsageError, match="outside 1970-2199|not a time"):
            parse_time(text, name="--at")


def test_given_aws_names_when_checked_then_typos_get_suggestions_and_forms() -> None:
    assert check_region("eu-west-1") == "eu-west-1"
    assert check_region("us-gov-west-1") == "us-gov-west-1"
    with pytest.raises(UsageError, match="Did you mean .*us-east-1"):
        check_region("us-esat-1")
    with pytest.raises(UsageError, match="looks like arn:aws:iam::111122223333:role/sagetrim"):
        check_role_arn("arn:aws:iam::1234:role/x")
    with pytest.raises(UsageError, match="uses ftp://"):
        check_state_uri("ftp://bucket/x")
    with pytest.raises(UsageError, match="not a SageMaker name"):
        check_name("*", what="--notebook")


# --- the commands, end to end (in this process: a traceback would fail the test) --------------------------


def test_given_an_unknown_instance_type_when_guardrails_check_then_exit_2_with_suggestions(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    assert invoke("guardrails", "policy", "--allow", "ml.m5.*", "--out", str(policy)).code == 0

    result = invoke("guardrails", "check", str(policy), "--action", "CreateTrainingJob", "--instance-type",
                    "ml.m5.larg")

    assert result.code == 2, result
    assert "Did you mean ml.m5.large" in result.err


def test_given_a_wildcard_notebook_when_autostop_policy_then_exit_2_and_no_policy_written() -> None:
    result = invoke("autostop", "policy", "--notebook", "*")
    assert result.code == 2 and result.out == ""
    assert "not a SageMaker name" in result.err


@pytest.mark.parametrize(("settings", "message"), [
    ("regions: [us-esat-1]\n", "line 1: regions\\[0\\]: region 'us-esat-1' is an unknown region"),
    ("role_arns: ['arn:aws:iam::12:role/x']\n", "is not an IAM role ARN"),
    ("state: ftp://example.com/state\n", "uses ftp://"),
    ("regions: []\nregions: [us-east-1]\n", "line 2: the key 'regions' is given twice"),
    ("actions:\n  max_per_run: true\n", "line 2: actions.max_per_run: Input should be a valid integer"),
    ("rules:\n  idle-endpoint:\n    hours: .nan\n", "rules.idle-endpoint.hours"),
    ("schedules:\n  - name: s\n    stop: rate(999999999 days)\n    targets: {tag: true}\n", "at most ten years"),
    ("schedules:\n  - name: s\n    stop: rate(1 day)\n    regions: [mars-north-1]\n    targets: {tag: true}\n",
     "'mars-north-1' is an unknown region"),
    ("restore:\n  max_instances: 1e400\n", "restore.max_instances"),
])
def test_given_a_settings_mistake_when_config_check_then_exit_2_naming_it(
    tmp_path: Path, settings: str, message: str
) -> None:
    path = tmp_path / "sagetrim.yaml"
    path.write_text(settings)

    result = invoke("config", "check", "--config", str(path))

    assert result.code == 2, result
    assert re.search(message, result.err), result.err


@pytest.mark.parametrize("args", [
    ("journal", "--since", " " * 200),
    ("journal", "--since", "999999999d"),
    ("journal", "--since", "0001-01-01"),
    ("scan", "--regions", "us-esat-1"),
    ("scan", "--role-arn", "arn:aws:iam::x"),
    ("prices", "--min-memory", "nan"),
    ("autostop", "lifecycle-config", "--idle-minutes", "30", "--instance-type", "ml.zz9.huge"),
    ("autostop", "install", "nb", "--idle-minutes", "30", "--timeout-minutes", str(10**30)),
    ("config", "check", "--config", "/dev/zero"),
    ("act", "--apply", "--output", "/"),
    ("scan", "--output", "/dev/null/report.json"),
    ("journal", "--output", "/tmp"),
])
def test_given_a_bad_option_when_run_then_exit_2_in_under_a_second_without_touching_aws(args: tuple[str, ...],
                                                                                        tmp_path: Path) -> None:
    started = time.perf_counter()
    result = invoke(*args, env={"SAGETRIM_STATE_DIR": str(tmp_path), "AWS_ACCESS_KEY_ID": "x",
                                "AWS_SECRET_ACCESS_KEY": "x", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert result.code == 2, result
    assert "Traceback" not in result.err
    assert time.perf_counter() - started < 5.0  # generous: the first call imports the catalog


# Every command that reads a file, with FILE where the file goes.
FILE_COMMANDS = [
    ("scan", "--config", "FILE"),
    ("act", "--apply", "--config", "FILE"),
    ("rightsize", "endpoint/x", "--config", "FILE"),
    ("schedule", "next", "--config", "FILE"),
    ("schedule", "run", "--config", "FILE"),
    ("deploy", "template", "--config", "FILE"),
    ("config", "check", "--config", "FILE"),
    ("estimate", "--plan", "FILE"),
    ("guardrails", "check", "FILE", "--action", "CreateTrainingJob", "--instance-type", "ml.m5.large"),
    ("sim", "serve", "--scenario", "FILE"),
]
BAD_FILES = {
    "utf-16": "regions: []\n".encode("utf-16"),
    "binary": b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)),
    "latin-1": "regions: [us-east-1]  # région\n".encode("latin-1"),
    "nested": b"a: " + b"[" * 50_000 + b"\n",
    "huge-integer": b"a: " + b"9" * 50_000 + b"\n",
    "directory": b"",
    "fifo": b"",
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
@pytest.mark.parametrize("args", FILE_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_given_any_command_that_reads_a_file_when_the_file_is_bad_then_exit_2_at_once_without_a_traceback(
    args: tuple[str, ...], kind: str, tmp_path: Path
) -> None:
    path = tmp_path / "input"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_bytes(BAD_FILES[kind])
    started = time.perf_counter()

    result = invoke(*[str(path) if a == "FILE" else a for a in args],
                    env={"SAGETRIM_STATE_DIR": str(tmp_path / "state"), "AWS_ACCESS_KEY_ID": "x",
                         "AWS_SECRET_ACCESS_KEY": "x", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})

    assert result.code == 2, result
    assert "Traceback" not in result.err and str(path) in result.err
    assert time.perf_counter() - started < 5.0  # generous: the first call imports the catalog
    assert not (tmp_path / "state").exists(), "nothing was done"
