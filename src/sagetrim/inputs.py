"""Everything a user hands sagetrim, checked in one place before it is used: files, YAML and JSON documents,
numbers, durations, times, regions, ARNs and instance types.

Each check either returns a clean value or raises a :class:`~sagetrim.errors.UsageError` (exit status 2)
whose message names what is wrong, where, and how to fix it. Each runs in time linear in its input, reads
no more of a file than its size limit, and never blocks on a FIFO or a device.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import sys
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sagetrim.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sagetrim.catalog import Catalog

__all__ = [
    "MAX_DURATION_S",
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "check_instance_type",
    "check_name",
    "check_region",
    "check_regions",
    "check_role_arn",
    "check_state_uri",
    "check_time",
    "finite",
    "known_regions",
    "load_json",
    "load_yaml",
    "parse_duration",
    "parse_time",
    "read_text",
]

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_NESTING = 64  # levels of mappings and lists in one document
MAX_NODES = 200_000  # values in one document, counting every use of a YAML alias
MAX_DURATION_S = 10 * 366 * 86400.0  # ten years
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)  # the last year an EventBridge cron expression names

_ROLE_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_NAME = re.compile(r"^[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62}$")


# --- files ------------------------------------------------------------------------------------------


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_text(path: Path, *, what: str = "file", max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of a regular UTF-8 file of at most ``max_bytes``.

    The file is opened without blocking and checked to be a regular file before a byte is read, so
    ``/dev/zero``, a FIFO or a directory is refused at once.

    Raises:
        UsageError: the file is missing, unreadable, not a regular file, too large, binary or not UTF-8.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ConfigError(f"cannot read the {what} {path}: {exc.strerror or exc}.") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"the {what} {path} is {_kind(info.st_mode)}; give a regular file.")
        if info.st_size > max_bytes:
            raise ConfigError(f"the {what} {path} has {info.st_size:,} bytes, more than the {max_bytes:,} sagetrim "
                              "reads; is it the right file?")
        chunks, size = [], 0
        while size <= max_bytes and (chunk := os.read(fd, max_bytes + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise ConfigError(f"cannot read the {what} {path}: {exc.strerror or exc}.") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ConfigError(f"the {what} {path} is larger than the {max_bytes:,} bytes sagetrim reads.")
    return decode_text(data, source=f"the {what} {path}")


def check_output_path(path: Path, *, option: str = "--output") -> Path:
    """A file a command may write its result to, checked before the command does anything: not a
    directory, not under a file, and not a block device or socket (a FIFO or a character device such as
    ``/dev/stdout`` is written to as a stream, as shells expect).

    Raises:
        UsageError: what is wrong with the path; nothing was done.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UsageError(f"{option} {path}: {exc.strerror or exc}; give a file path that can be written.") from None
    if info is not None and not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)
                                 or stat.S_ISCHR(info.st_mode)):
        raise UsageError(f"{option} {path} is {_kind(info.st_mode)}; give a file path (e.g. {path}/report.json).")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{option} {path}: {parent} is a file, not a directory; give a path in a "
                                 "directory.")
            break
    return path


def output_path(ctx: Any, param: Any, value: Path | None) -> Path | None:
    """A Click/Typer callback for an option naming a file to write: checked (see :func:`check_output_path`)
    while the command line is parsed, before the command does anything."""
    return None if value is None else check_output_path(value, option=param.opts[0])


def decode_text(data: bytes, *, source: str) -> str:
    """``data`` as UTF-8 text (a byte-order mark is dropped).

    Raises:
        UsageError: the bytes are UTF-16/32, binary or not UTF-8; the message says which and where.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{source} is UTF-16 (or UTF-32) text; save it as UTF-8.")
    if b"\x00" in data:
        raise ConfigError(f"{source} holds NUL bytes: it is a binary file, not text. Give a UTF-8 text file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{source} is not UTF-8 text (byte {exc.start}, line {line}); save it as UTF-8.") from None
    return text


# --- YAML and JSON documents ------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader; the checks below run on its node graph before anything is constructed."""


def _check_nodes(root: yaml.Node, source: str) -> None:
    """Refuse duplicate keys, deep nesting and alias bombs, walking the graph without recursion."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if done:
            children = _children(node)
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[id(node)] > MAX_NODES:
                raise ConfigError(f"{source}, line {node.start_mark.line + 1}: the document expands to more than "
                                  f"{MAX_NODES:,} values (through YAML aliases?); write it out plainly.")
            continue
        if id(node) in sizes:
            continue
        if depth > MAX_NESTING:
            raise ConfigError(f"{source}, line {node.start_mark.line + 1}: nested more than {MAX_NESTING} levels "
                              "deep; no sagetrim file needs that many.")
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    if key.value in seen:
                        raise ConfigError(f"{source}, line {line}: the key {key.value!r} is given twice (first on "
                                          f"line {seen[key.value]}); keep one.")
                    seen[key.value] = line
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(node) if id(child) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def load_yaml(text: str, *, source: str) -> tuple[Any, yaml.Node | None]:
    """Parse YAML safely: the data and the root node (for line numbers), or ``(None, None)`` when empty.

    Raises:
        ConfigError: not YAML, a key given twice, nesting deeper than :data:`MAX_NESTING`, or more than
            :data:`MAX_NODES` values once aliases are expanded.
    """
    if _flow_depth(text, yaml_syntax=True) > MAX_NESTING:
        raise ConfigError(f"{source}: lists and mappings nested more than {MAX_NESTING} levels deep; no sagetrim "
                          "file needs that many.")
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        root = loader.get_single_node()
        if root is None:
            return None, None
        _check_nodes(root, source)
        data = loader.construct_document(root)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{source}{where}: not valid YAML: {problem}.") from None
    except RecursionError:
        raise ConfigError(f"{source}: nested too deeply to read; no sagetrim file needs that many levels.") from None
    except ValueError:  # the one ValueError of construction: an integer too long to convert
        raise ConfigError(f"{source}: a number has more than {sys.get_int_max_str_digits():,} digits; no sagetrim "
                          "setting needs one that long.") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, root


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} is given twice")
        out[key] = value
    return out


def _flow_depth(text: str, *, yaml_syntax: bool = False) -> int:
    """The deepest nesting of ``[`` and ``{`` outside strings (and, for YAML, comments), in one pass."""
    depth = deepest = 0
    quote = ""
    escaped = comment = False
    previous = "\n"
    for char in text:
        if comment:
            comment = char != "\n"
        elif quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = ""
        elif char == '"' or (yaml_syntax and char == "'" and previous in " \t\n[{,:"):
            quote = char
        elif yaml_syntax and char == "#" and previous in " \t\n":
            comment = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
        previous = char
    return deepest


def load_json(text: str, *, source: str) -> Any:
    """Parse JSON strictly: no NaN or Infinity, no key given twice, at most :data:`MAX_NESTING` levels.

    Raises:
        UsageError: what is wrong, with the line and column where the parser can tell.
    """
    if _flow_depth(text) > MAX_NESTING:
        raise UsageError(f"{source} is nested more than {MAX_NESTING} levels deep; no sagetrim file needs that.")
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
    except ValueError as exc:  # from the hooks, or an integer too long to convert
        raise UsageError(f"{source} is not valid JSON: {exc}.") from None
    except RecursionError:
        raise UsageError(f"{source} is nested too deeply to read.") from None


# --- numbers, durations and times -------------------------------------------------------------------


def finite(value: float, *, name: str, low: float | None = None, high: float | None = None) -> float:
    """``value`` if it is a finite number within ``[low, high]``.

    Raises:
        UsageError: NaN, an infinity, or out of range; the message names ``name`` and the range.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"{name} must be a number, not {value!r}.")
    if isinstance(value, int) and abs(value) > 10**15:
        raise UsageError(f"{name} {value} is far too large.")
    if not math.isfinite(value):
        raise UsageError(f"{name} must be a finite number, not {value}.")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low:g} and {high:g}" if low is not None and high is not None else (
            f"at least {low:g}" if low is not None else f"at most {high:g}")
        raise UsageError(f"{name} must be {bounds}, not {value:g}.")
    return float(value)


_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_DURATION_HINT = "write hours (3) or 2h30m, 17m30s, 90s, 7d"


def parse_duration(value: str | float | int) -> float:
    """Seconds in a duration: a number of hours (3, 0.5) or a string like "2h30m", "17m30s", "90s", "7d".

    One pass over the text (no backtracking); at most :data:`MAX_DURATION_S`.

    Raises:
        ValueError: not a duration, negative, not finite, or longer than ten years. (A ValueError, so
            that pydantic validators report it against their field.)
    """
    if isinstance(value, bool):
        raise ValueError(f"a duration is a number of hours or a string like 2h30m, not {value!r}")
    if isinstance(value, int | float):
        if isinstance(value, int) and value > MAX_DURATION_S:
            raise ValueError(f"a duration of {value} hours is longer than ten years")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"a duration must be a finite number of hours, 0 or more, not {value}")
        seconds = float(value) * 3600
    else:
        seconds = _parse_duration_text(value)
    if seconds > MAX_DURATION_S:
        raise ValueError(f"{_shown(str(value))} is longer than ten years; {_DURATION_HINT}")
    return seconds


def _parse_duration_text(text: str) -> float:
    body = text.strip()
    if len(body) > 64:
        raise ValueError(f"{_shown(text)} is not a duration; {_DURATION_HINT}")
    i, total, order, seen = 0, 0.0, "dhms", -1
    while i < len(body):
        start = i
        while i < len(body) and (body[i].isascii() and (body[i].isdigit() or body[i] == ".")):
            i += 1
        number = body[start:i]
        while i < len(body) and body[i] == " ":
            i += 1
        unit = body[i:i + 1]
        if not number or number.count(".") > 1 or number.startswith(".") or number.endswith(".") \
                or unit not in _UNITS or order.index(unit) <= seen:
            raise ValueError(f"{_shown(text)} is not a duration; {_DURATION_HINT}")
        seen = order.index(unit)
        total += float(number) * _UNITS[unit]
        i += 1
        while i < len(body) and body[i] == " ":
            i += 1
    if seen < 0:
        raise ValueError(f"{_shown(text)} is not a duration; {_DURATION_HINT}")
    return total


def check_time(moment: datetime, *, name: str) -> datetime:
    """An aware ``moment`` (a naive one is read as UTC) between 1970 and 2199.

    Raises:
        UsageError: the moment is outside those years.
    """
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    try:
        inside = EARLIEST <= aware <= LATEST
    except OverflowError:
        inside = False
    if not inside:
        raise UsageError(f"{name} {moment.isoformat()} is outside 1970-2199; give a time in those years.")
    return aware


def parse_time(text: str, *, name: str) -> datetime:
    """An ISO date or time (naive = UTC) between 1970 and 2199.

    Raises:
        UsageError: not an ISO time, or outside those years.
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{name} {_shown(text)} is not a time; write 2026-11-30 or 2026-11-30T08:00 (UTC unless it "
                         "names an offset, e.g. +01:00).") from None
    return check_time(parsed, name=name)


def ago(seconds: float, now: datetime, *, name: str) -> datetime:
    """``now`` minus a checked duration."""
    try:
        return check_time(now - timedelta(seconds=seconds), name=name)
    except OverflowError:
        raise UsageError(f"{name} reaches before 1970; give a shorter duration.") from None


# --- AWS names --------------------------------------------------------------------------------------


@cache
def known_regions() -> frozenset[str]:
    """The regions of every AWS partition botocore knows (its ``partitions`` data), and the price catalog's."""
    import botocore.loaders

    from sagetrim.catalog import load_catalog

    data = botocore.loaders.create_loader().load_data("partitions")
    regions = {r for p in data.get("partitions", []) for r in p.get("regions", {}) if not r.endswith("-global")}
    regions.update(load_catalog(use_cache=False).regions())
    return frozenset(regions)


def _shown(value: str, limit: int = 60) -> str:
    """``value`` for a message: repr'd, and cut short when long."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + f"... ({len(value)} characters)"


def _suggest(value: str, candidates: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(value, sorted(candidates), n=3, cutoff=0.6)
    return f" Did you mean {', '.join(close)}?" if close else ""


def check_region(region: str, *, name: str = "region") -> str:
    """``region`` if SageMaker has it in some partition.

    Raises:
        UsageError: an unknown region, with the closest names.
    """
    value = region.strip()
    if value not in known_regions():
        raise UsageError(f"{name} {_shown(value)} is an unknown region.{_suggest(value[:40], known_regions())} "
                         "Regions look like us-east-1 or eu-west-1.")
    return value


def check_regions(regions: Iterable[str], *, name: str = "--regions", allow_all: bool = True) -> list[str]:
    """Each region checked (``all`` passes through where ``allow_all``)."""
    return [r if allow_all and r == "all" else check_region(r, name=name) for r in regions]


def check_role_arn(arn: str, *, name: str = "--role-arn") -> str:
    """``arn`` if it is an IAM role ARN.

    Raises:
        UsageError: it is not; the message shows the form.
    """
    if not _ROLE_ARN.match(arn.strip()):
        raise UsageError(f"{name} {_shown(arn)} is not an IAM role ARN; it looks like "
                         "arn:aws:iam::111122223333:role/sagetrim.")
    return arn.strip()


def check_name(name: str, *, what: str) -> str:
    """``name`` if SageMaker accepts it as the name of a notebook instance, endpoint, lifecycle configuration...
    (letters, digits and hyphens, at most 63, no wildcards).

    Raises:
        UsageError: it is not such a name.
    """
    if len(name) > 63 or not _NAME.match(name):
        raise UsageError(f"{what} {_shown(name)} is not a SageMaker name: 1 to 63 letters, digits and hyphens, "
                         "starting with a letter or digit, and no wildcards.")
    return name


def check_state_uri(uri: str) -> str:
    """A state location that :func:`sagetrim.actions.state.open_store` can open, checked without AWS.

    Raises:
        UsageError: another scheme than s3:// or file://, a malformed bucket, or a file where a directory belongs.
    """
    value = uri.strip()
    if value.startswith("s3://"):
        bucket = value[len("s3://"):].partition("/")[0]
        if not _BUCKET.match(bucket):
            raise UsageError(f"the state location {uri!r} does not name a valid S3 bucket; write it as "
                             "s3://BUCKET/PREFIX, e.g. s3://my-sagetrim-state/prod")
        return value
    if "://" in value and not value.startswith("file://"):
        raise UsageError(f"the state location {uri!r} uses {value.split('://', 1)[0]}://, which sagetrim cannot "
                         "store to; give a directory or s3://BUCKET/PREFIX")
    path = Path(value.removeprefix("file://")).expanduser()
    if "\x00" in value or (path.exists() and not path.is_dir()):
        raise UsageError(f"the state location {uri!r} is not a directory; give a directory or s3://BUCKET/PREFIX")
    return value


def check_instance_type(name: str, catalog: Catalog, *, option: str = "instance type") -> str:
    """The catalog's name for ``name`` (``m5.large`` -> ``ml.m5.large``).

    Raises:
        CatalogError: an unknown type, with the closest names.
    """
    from sagetrim.errors import CatalogError

    try:
        return catalog.instance(name.strip()).name
    except CatalogError as exc:
        raise CatalogError(f"{option}: {exc}") from None
