"""The OnStart lifecycle script that installs the autostop agent inline and runs it on a timer."""

from __future__ import annotations

import base64
import gzip
import math
import re
import textwrap
from dataclasses import dataclass
from importlib import resources

from sagetrim.errors import UsageError

CONTENT_LIMIT = 16_384
"""SageMaker's limit on the base64 `Content` of one lifecycle script."""

EVERY_MINUTES = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)
"""Check intervals that divide the hour, so that the checks are evenly spaced."""

PYTHON_CANDIDATES = (
    "/home/ec2-user/anaconda3/envs/JupyterSystemEnv/bin/python",  # the env Jupyter itself runs in
    "/home/ec2-user/anaconda3/bin/python",
    "/usr/bin/python3",
)
"""Interpreters tried in order on the instance; the first that imports boto3 runs the agent."""

_SAFE_URL = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+(/[A-Za-z0-9._\-/]*)?$")

_TEMPLATE = """\
#!/bin/bash
# sagetrim autostop, OnStart: installs the idle-stop agent carried below (nothing is downloaded,
# so it works without internet access, inside a VPC) and runs it as root every @EVERY@ minutes.
# One JSON line per check in /var/log/sagetrim-autostop.log. Agent: `sagetrim autostop agent-source`.
set -eu
R="${SAGETRIM_AUTOSTOP_ROOT:-}"  # empty on an instance
AGENT="$R/usr/local/bin/sagetrim-autostop.py"
LOG="$R/var/log/sagetrim-autostop.log"
mkdir -p "$(dirname "$AGENT")" "$(dirname "$LOG")"
base64 -d <<'AGENT_GZIP_BASE64' | gunzip > "$AGENT"
@AGENT@
AGENT_GZIP_BASE64
chmod 0755 "$AGENT"
PY=""
for p in @PYTHONS@ "$(command -v python3 || true)"; do
  if [ -n "$p" ] && [ -x "$p" ] && "$p" -c "import boto3" >/dev/null 2>&1; then PY="$p"; break; fi
done
if [ -z "$PY" ]; then
  echo "sagetrim autostop: no Python with boto3 on this instance; autostop NOT installed" >&2
  exit 0
fi
CMD="$PY $AGENT @ARGS@ >> $LOG 2>&1"
if [ -z "$R" ] && [ -d /run/systemd/system ]; then
  cat > /etc/systemd/system/sagetrim-autostop.service <<UNIT
[Unit]
Description=sagetrim autostop check
[Service]
Type=oneshot
ExecStart=/bin/sh -c '$CMD'
UNIT
  cat > /etc/systemd/system/sagetrim-autostop.timer <<UNIT
[Unit]
Description=sagetrim autostop check every @EVERY@ minutes
[Timer]
OnCalendar=*:0/@EVERY@
[Install]
WantedBy=timers.target
UNIT
  systemctl daemon-reload
  systemctl enable --now sagetrim-autostop.timer
  echo "sagetrim autostop: systemd timer, every @EVERY@ min: $CMD"
else
  mkdir -p "$R/etc/cron.d"
  echo "*/@EVERY@ * * * * root $CMD" > "$R/etc/cron.d/sagetrim-autostop"
  chmod 0644 "$R/etc/cron.d/sagetrim-autostop"
  echo "sagetrim autostop: cron job, every @EVERY@ min: $CMD"
fi
"""


@dataclass(frozen=True)
class AgentOptions:
    """The agent's flags as the lifecycle script passes them; checked on construction.

    Raises:
        UsageError: a value the agent would refuse, or one that cannot be put in a cron line.
    """

    idle_minutes: float = 60.0
    ignore_connections: bool = False
    cpu_threshold: float = 10.0
    busy_cap_minutes: float = 1440.0
    jupyter_url: str = "https://localhost:8443"
    dry_run: bool = False

    def __post_init__(self) -> None:
        for flag, value in (
            ("--idle-minutes", self.idle_minutes),
            ("--busy-cap-minutes", self.busy_cap_minutes),
        ):
            if not (math.isfinite(value) and value > 0):
                raise UsageError(f"{flag} must be a number of minutes above 0, not {value:g}")
        if not (math.isfinite(self.cpu_threshold) and self.cpu_threshold >= 0):
            raise UsageError(f"--cpu-threshold must be a percentage of one core, 0 or more, not {self.cpu_threshold}")
        if not _SAFE_URL.match(self.jupyter_url):
            raise UsageError(f"--jupyter-url must be a plain http(s)://host:port[/path] URL, not {self.jupyter_url!r}")

    def check_vcpus(self, vcpus: int, instance_type: str) -> None:
        """Refuse a CPU threshold above what the instance can reach (100 % per vCPU).

        Raises:
            UsageError: the threshold is above 100 × `vcpus`.
        """
        if self.cpu_threshold > 100 * vcpus:
            raise UsageError(
                f"--cpu-threshold {self.cpu_threshold:g} is above what {instance_type} can reach: "
                f"100 x {vcpus} vCPUs = {100 * vcpus}"
            )

    def argv(self) -> list[str]:
        """The agent's command-line flags."""
        args = [
            f"--idle-minutes {self.idle_minutes:g}",
            f"--cpu-threshold {self.cpu_threshold:g}",
            f"--busy-cap-minutes {self.busy_cap_minutes:g}",
            f"--jupyter-url {self.jupyter_url}",
        ]
        if self.ignore_connections:
            args.append("--ignore-connections")
        if self.dry_run:
            args.append("--dry-run")
        return args


def agent_source() -> str:
    """The agent, exactly as it runs on the instance."""
    return resources.files("sagetrim.agent").joinpath("autostop.py").read_text(encoding="utf-8")


def render_on_start(options: AgentOptions, every_minutes: int = 5) -> str:
    """Render the OnStart script: the agent embedded gzip+base64, and a timer that runs it.

    Raises:
        UsageError: `every_minutes` does not divide the hour, or the script would exceed SageMaker's limit.
    """
    if every_minutes not in EVERY_MINUTES:
        raise UsageError(
            f"--every-minutes must divide the hour: one of {', '.join(map(str, EVERY_MINUTES))}; not {every_minutes}"
        )
    packed = base64.b64encode(gzip.compress(agent_source().encode("utf-8"), compresslevel=9, mtime=0))
    script = (
        _TEMPLATE.replace("@AGENT@", "\n".join(textwrap.wrap(packed.decode("ascii"), 120)))
        .replace("@PYTHONS@", " ".join(PYTHON_CANDIDATES))
        .replace("@ARGS@", " ".join(options.argv()))
        .replace("@EVERY@", str(every_minutes))
    )
    size = len(encode_content(script))
    if size > CONTENT_LIMIT:
        raise UsageError(f"the lifecycle script is {size} base64 characters, above SageMaker's {CONTENT_LIMIT}")
    return script


def encode_content(script: str) -> str:
    """The script as SageMaker takes it: the base64 `Content` of an OnStart entry."""
    return base64.b64encode(script.encode("utf-8")).decode("ascii")
