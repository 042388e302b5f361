#!/usr/bin/env python3
"""sagetrim autostop: stop this SageMaker notebook instance once it has really been idle.

One self-contained file: the standard library, and boto3 only when a stop is due (Python 3.7+).
Run it every few minutes; each run prints one JSON line: idle, idle_for_s, action, reasons.

The instance is idle when all of these hold:
- no kernel is busy (a kernel busy longer than --busy-cap-minutes is stuck: it counts for nothing);
- no kernel or terminal activity, nor (unless --ignore-connections) Jupyter API activity such as an
  open browser tab polling, within --idle-minutes;
- no browser connection to a kernel, unless --ignore-connections;
- no process of the notebook's users (--users) above --cpu-threshold percent of one core, so that a
  `nohup python train.py &` is work; a busy kernel's own process is judged by the kernel rule instead;
- with no activity at all, the time since boot, since Jupyter started, or since the last activity
  that an earlier run saw (kept in --state-file) is beyond --idle-minutes.

Jupyter's REST API is read with `no_track_activity`, so reading it does not look like activity, and
no kernel websocket is opened. If Jupyter does not answer (down, 403...), the run does nothing and
says why. Timestamps are compared as UTC epoch seconds: the machine's time zone changes nothing.

CPU use of a process is its average since the previous run (its CPU ticks are kept in the state
file) or, for a process not seen before, since it started: an average over minutes, which a bursty
data loader cannot slip through the way it could a one-second sample.

The stop: the notebook name comes from --metadata-file; the instance status is read first, and only
an InService instance is stopped, once (the state file remembers the request until the next boot).
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import http.client
import ipaddress
import json
import os
import re
import ssl
import stat
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

STATE_VERSION = 1
HTTP_TIMEOUT_S = 10.0
_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s*(Z|[+-]\d\d:?\d\d)?$", re.IGNORECASE)


class JupyterError(Exception):
    """Jupyter did not answer, or not with what was asked."""


def parse_time(text: str) -> float:
    """Return the epoch seconds of an ISO-8601 timestamp; one without an offset is taken as UTC."""
    m = _TIME.match(text.strip())
    if not m:
        raise ValueError(f"not an ISO-8601 timestamp: {text!r}")
    y, mo, d, h, mi, s, frac, tz = m.groups()
    t = float(calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s), 0, 0, 0)))
    if frac:
        t += float("0." + frac)
    if tz and tz.upper() != "Z":
        digits = tz[1:].replace(":", "")
        offset = int(digits[:2]) * 3600 + int(digits[2:]) * 60
        t -= offset if tz[0] == "+" else -offset
    return t


def iso(t: float) -> str:
    """Format epoch seconds as UTC ISO-8601."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def span(seconds: float) -> str:
    """Say a duration the way a person reads it."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds // 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def is_loopback(host: str) -> bool:
    """Whether `host` is literally loopback: an IPv4 in 127.0.0.0/8, ::1, or exactly "localhost"."""
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name, such as 127.evil.example


class Jupyter:
    """A read-only client of Jupyter's REST API that does not count as activity."""

    def __init__(self, url: str, token: str) -> None:
        self.base = url.rstrip("/")
        self.token = token
        handlers: list[Any] = [urllib.request.ProxyHandler({})]  # loopback never goes through a proxy
        parts = urllib.parse.urlsplit(self.base)
        host = parts.hostname or ""
        if parts.scheme == "https" and is_loopback(host):
            context = ssl.create_default_context()  # the notebook's own self-signed certificate
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self.opener = urllib.request.build_opener(*handlers)

    def get(self, path: str, missing_ok: bool = False) -> Any:
        """GET an API path with `no_track_activity`; a 404 gives [] when `missing_ok`."""
        request = urllib.request.Request(self.base + path + "?no_track_activity=1")
        request.add_header("Accept", "application/json")
        if self.token:
            request.add_header("Authorization", "token " + self.token)
        try:
            with self.opener.open(request, timeout=HTTP_TIMEOUT_S) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and missing_ok:
                return []
            raise JupyterError(f"{path} answered {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            raise JupyterError(f"{path}: {exc.reason}") from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise JupyterError(f"{path}: {exc}") from None

    def read(self) -> dict[str, Any]:
        """Read status, kernels, sessions and terminals (a server without terminals has none)."""
        status = self.get("/api/status")
        kernels = self.get("/api/kernels")
        sessions = self.get("/api/sessions")
        terminals = self.get("/api/terminals", missing_ok=True)
        if not (isinstance(status, dict) and "started" in status):
            raise JupyterError("/api/status answered without a start time")
        if not all(isinstance(x, list) for x in (kernels, sessions, terminals)):
            raise JupyterError("/api/kernels, /api/sessions or /api/terminals answered with no list")
        return {"status": status, "kernels": kernels, "sessions": sessions, "terminals": terminals}


class Machine:
    """What /proc tells: boot, and the CPU time of the processes of some users."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)
        self.hz = float(os.sysconf("SC_CLK_TCK"))
        lines = (self.root / "stat").read_text().splitlines()
        self.boot_time = float(next(line.split()[1] for line in lines if line.startswith("btime ")))
        try:
            self.boot_id = (self.root / "sys" / "kernel" / "random" / "boot_id").read_text().strip()
        except OSError:
            self.boot_id = f"btime-{self.boot_time:.0f}"

    def processes(self, uids: set[int]) -> dict[str, list[float]]:
        """Map "pid:start-ticks" of each process owned by `uids` to [CPU ticks used, start time]."""
        found: dict[str, list[float]] = {}
        me = str(os.getpid())
        for path in self.root.iterdir():
            if not path.name.isdigit() or path.name == me:
                continue
            try:
                if path.stat().st_uid not in uids:
                    continue
                data = (path / "stat").read_text()
                fields = data[data.rindex(")") + 2 :].split()  # the command name may hold spaces
                ticks, start = float(fields[11]) + float(fields[12]), int(fields[19])
            except (OSError, ValueError, IndexError):
                continue  # gone, or unreadable
            found[f"{path.name}:{start}"] = [ticks, self.boot_time + start / self.hz]
        return found

    def command(self, pid: str) -> str:
        """The command line of a process, or "" when it is gone."""
        try:
            raw = (self.root / pid / "cmdline").read_bytes()
        except OSError:
            return ""
        return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()


def busy_processes(
    machine: Machine, now: dict[str, list[float]], state: dict[str, Any], at: float, threshold: float
) -> list[tuple[str, float, str]]:
    """Return (pid, CPU %, command) of each process above `threshold` since the last run or its start."""
    before, before_at = state.get("cpu", {}), float(state.get("cpu_at", 0.0))
    busy = []
    for key, (ticks, started) in now.items():
        if key in before and before_at < at:
            used, seconds = ticks - before[key][0], at - before_at
        else:
            used, seconds = ticks, at - started
        if seconds < 1.0:
            continue  # too young to judge: the next run will
        percent = 100.0 * used / machine.hz / seconds
        if percent > threshold:
            pid = key.split(":")[0]
            busy.append((pid, percent, machine.command(pid)))
    return busy


def assess(
    args: argparse.Namespace,
    jupyter: dict[str, Any],
    busy: list[tuple[str, float, str]],
    state: dict[str, Any],
    now: float,
    boot_time: float,
) -> tuple[bool, float, list[str]]:
    """Decide whether the instance is idle; update `state`; return (idle, idle for s, reasons)."""
    names = {}
    for s in jupyter["sessions"]:
        kernel = s.get("kernel") or {}
        names[kernel.get("id")] = s.get("path") or s.get("name")
    work: list[str] = []
    notes: list[str] = []
    seen = [(boot_time, "boot"), (parse_time(jupyter["status"]["started"]), "Jupyter start")]
    if state.get("last_active"):
        seen.append((float(state["last_active"]), str(state.get("last_source", "earlier activity"))))
    was_busy, busy_since = state.get("busy_since", {}), {}
    busy_kernels, stuck = set(), False
    for k in jupyter["kernels"]:
        kid = str(k.get("id"))
        label = "kernel " + (names.get(kid) or kid[:8])
        last = parse_time(k["last_activity"]) if k.get("last_activity") else now
        if k.get("execution_state") == "busy":
            since = busy_since[kid] = float(was_busy.get(kid, min(last, now)))
            busy_kernels.add(kid)
            if now - since > args.busy_cap_minutes * 60:
                stuck = True
                notes.append(f"{label} busy for {span(now - since)}, beyond the busy cap: counted as stuck")
            else:
                work.append(f"{label} busy for {span(now - since)}")
        else:
            seen.append((last, label))
        connections = int(k.get("connections") or 0)
        if connections and not args.ignore_connections:
            work.append(f"{connections} browser connection(s) to {label}")
    for t in jupyter["terminals"]:
        if t.get("last_activity"):
            seen.append((parse_time(t["last_activity"]), f"terminal {t.get('name')}"))
    if not args.ignore_connections and not stuck:  # Jupyter's own clock also counts a stuck kernel
        seen.append((parse_time(jupyter["status"]["last_activity"]), "Jupyter API (a browser?)"))
    for pid, percent, command in busy:
        if any(f"kernel-{kid}.json" in command for kid in busy_kernels):
            continue  # a busy kernel's own process: judged above, stuck or not
        work.append(f"process {pid} at {percent:.0f}% CPU: {command[:80] or '?'}")
    state["busy_since"] = busy_since
    threshold = args.idle_minutes * 60
    if work:
        state["last_active"], state["last_source"] = now, "work seen at " + iso(now)
        return False, 0.0, work + notes
    last, source = max(seen)
    if source != "boot":
        state["last_active"], state["last_source"] = last, source
    idle_for = max(0.0, now - last)
    idle = idle_for >= threshold
    verdict = "idle" if idle else "not idle yet"
    head = f"{verdict}: last activity {span(idle_for)} ago ({source}), threshold {span(threshold)}"
    return idle, idle_for, [head, *notes]


def stop_instance(args: argparse.Namespace, state: dict[str, Any], now: float) -> tuple[str, str, int]:
    """Stop the notebook instance once, if InService; return (action, reason, exit status)."""
    if state.get("stop_requested_at"):
        return "none", "stop already requested at " + iso(state["stop_requested_at"]), 0
    if args.dry_run:
        return "would-stop", "dry run: SageMaker not called", 0
    try:
        metadata = json.loads(Path(args.metadata_file).read_text())
        name = str(metadata["ResourceName"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return "none", f"no notebook name in {args.metadata_file}: {exc}", 1
    arn = str(metadata.get("ResourceArn") or "").split(":")
    region = arn[3] if len(arn) > 5 and arn[3] else None
    endpoint = os.environ.get("AWS_ENDPOINT_URL_SAGEMAKER") or os.environ.get("AWS_ENDPOINT_URL") or None
    try:
        import boto3

        client = boto3.client("sagemaker", region_name=region, endpoint_url=endpoint)
        status = client.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceStatus"]
        if status != "InService":
            return "none", f"notebook instance {name} is {status}: no stop requested", 0
        client.stop_notebook_instance(NotebookInstanceName=name)
    except Exception as exc:  # no boto3, no credentials, a denied or failed call: say it, try next run
        return "none", f"could not stop notebook instance {name}: {exc}", 1
    state["stop_requested_at"] = now
    return "stop", "stop requested for notebook instance " + name, 0


def private_dir(directory: Path, create: bool) -> None:
    """Check `directory` is ours, not a symlink, and mode 0700 (made so); raise OSError if not."""
    if create:
        directory.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)
    info = directory.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise OSError(f"{directory} is not a directory of this user (a symlink?); not used")
    if info.st_mode & 0o077:
        directory.chmod(0o700)


def load_state(path: str, boot_id: str) -> dict[str, Any]:
    """The state of earlier runs since this boot; empty if absent, unreadable, not private or older."""
    try:
        private_dir(Path(path).parent, create=False)
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as handle:
            info = os.fstat(handle.fileno())
            state = json.loads(handle.read()) if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid() else {}
    except (OSError, ValueError):
        return {}
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        return {}
    return state if state.get("boot_id") == boot_id else {}


def save_state(path: str, state: dict[str, Any]) -> None:
    """Write the state atomically, mode 0600, in a private directory, following no symlink."""
    target = Path(path)
    private_dir(target.parent, create=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()  # left by a run that died
    fd = os.open(str(temporary), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(state, separators=(",", ":")))
        temporary.replace(target)  # a symlink at `target` is replaced, not followed
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def default_state_file() -> str:
    """/var/lib/sagetrim-autostop/state.json for root, else under ~/.local/state."""
    if os.geteuid() == 0:
        return "/var/lib/sagetrim-autostop/state.json"
    return str(Path(os.environ.get("XDG_STATE_HOME") or Path("~/.local/state").expanduser()) / "sagetrim-autostop"
               / "state.json")


def user_ids(spec: str | None) -> set[int]:
    """Resolve "name,uid,..."; by default ec2-user when it exists, else the user running this."""
    import pwd

    if not spec:
        try:
            return {pwd.getpwnam("ec2-user").pw_uid}
        except KeyError:
            return {os.getuid()}
    uids = set()
    for item in spec.split(","):
        item = item.strip()
        if item:
            uids.add(int(item) if item.isdigit() else pwd.getpwnam(item).pw_uid)
    return uids


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number of minutes above 0, not {text!r}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse and check the flags; a bad flag exits with status 2 and says which."""
    p = argparse.ArgumentParser(
        prog="autostop.py", description="Stop this SageMaker notebook instance when it is really idle."
    )
    p.add_argument("--idle-minutes", type=_minutes, default=60.0, help="idle time before a stop (60)")
    p.add_argument("--jupyter-url", default="https://localhost:8443", help="default https://localhost:8443")
    p.add_argument("--token", default=os.environ.get("JUPYTER_TOKEN", ""), help="default $JUPYTER_TOKEN")
    p.add_argument("--ignore-connections", action="store_true", help="an open browser does not keep it up")
    p.add_argument("--cpu-threshold", type=float, default=10.0, help="%% of one core per process (10)")
    p.add_argument("--busy-cap-minutes", type=_minutes, default=1440.0, help="busy longer is stuck (1440)")
    p.add_argument("--state-file", default=default_state_file(),
                   help="in a private directory of its own (%(default)s)")
    p.add_argument("--metadata-file", default="/opt/ml/metadata/resource-metadata.json")
    p.add_argument("--users", help="whose processes count, names or uids (default ec2-user)")
    p.add_argument("--proc-root", default="/proc", help=argparse.SUPPRESS)
    p.add_argument("--now", type=float, help=argparse.SUPPRESS)  # epoch seconds, for tests and what-ifs
    p.add_argument("--dry-run", action="store_true", help="decide and say, never stop")
    args = p.parse_args(argv)
    vcpus = os.cpu_count() or 1
    if not 0.0 <= args.cpu_threshold <= 100.0 * vcpus:
        p.error(f"--cpu-threshold must be between 0 and {100 * vcpus} (100 x {vcpus} vCPUs)")
    if urllib.parse.urlsplit(args.jupyter_url).scheme not in ("http", "https"):
        p.error(f"--jupyter-url must start with http:// or https://, not {args.jupyter_url!r}")
    try:
        args.uids = user_ids(args.users)
    except (KeyError, ValueError):
        p.error(f"--users names a user that does not exist: {args.users!r}")
    return args


def run(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    """One check: read Jupyter and /proc, decide, stop if due; return the report and exit status."""
    now = args.now if args.now is not None else time.time()
    report: dict[str, Any] = {"checked_at": iso(now), "idle": False, "idle_for_s": None, "action": "none"}
    machine = Machine(args.proc_root)
    state = load_state(args.state_file, machine.boot_id)
    try:
        jupyter = Jupyter(args.jupyter_url, args.token).read()
    except JupyterError as exc:
        report["reasons"] = [f"Jupyter did not answer at {args.jupyter_url}: {exc}; nothing done this run"]
        return report, 0
    processes = machine.processes(args.uids)
    busy = busy_processes(machine, processes, state, now, args.cpu_threshold)
    try:
        idle, idle_for, reasons = assess(args, jupyter, busy, state, now, machine.boot_time)
    except (KeyError, TypeError, ValueError) as exc:  # a Jupyter whose answers differ from the documented API
        report["reasons"] = [f"Jupyter answered with what this agent cannot read ({exc!r}); nothing done this run"]
        return report, 0
    status = 0
    if idle:
        report["action"], reason, status = stop_instance(args, state, now)
        reasons.append(reason)
    state.update(version=STATE_VERSION, boot_id=machine.boot_id, cpu=processes, cpu_at=now)
    try:
        save_state(args.state_file, state)
    except OSError as exc:
        reasons.append(f"state not saved to {args.state_file}: {exc}")
    report.update(idle=idle, idle_for_s=round(idle_for, 1), reasons=reasons)
    return report, status


def main(argv: list[str] | None = None) -> int:
    """Run one check and print its JSON line."""
    report, status = run(parse_args(argv))
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
