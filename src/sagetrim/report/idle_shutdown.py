"""The table of a Studio idle-shutdown plan: each settings level and app type, now and after."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from sagetrim.report.output import new_table
from sagetrim.report.terminal import styled

__all__ = ["IDLE_SHUTDOWN_COLUMNS", "describe_idle", "idle_shutdown_rows", "idle_shutdown_table"]

IDLE_SHUTDOWN_COLUMNS = ["name", "settings", "app_type", "now", "after", "changes"]


def describe_idle(idle: dict[str, Any]) -> str:
    """`on, 120 min`, `off`, `timeout 90 min` (a space's), or `not set`."""
    state, minutes = idle.get("LifecycleManagement"), idle.get("IdleTimeoutInMinutes")
    timeout = f"{minutes} min" if minutes else "default timeout"
    if state == "ENABLED":
        return f"on, {timeout}"
    if state == "DISABLED":
        return "off"
    return f"timeout {minutes} min" if minutes else "not set"


def idle_shutdown_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": plan["name"], "settings": c["settings"], "app_type": c["app_type"],
             "now": describe_idle(c["before"]), "after": describe_idle(c["after"]), "changes": c["changes"]}
            for c in plan["changes"]]


def idle_shutdown_table(plan: dict[str, Any]) -> Table:
    what = plan["kind"].removeprefix("studio-").replace("-", " ")
    table = new_table(f"Studio idle shutdown: {what} {plan['name']} ({plan['region']})")
    for column in ("Settings", "App", "Now", "After"):
        table.add_column(column)
    for row in idle_shutdown_rows(plan):
        table.add_row(row["settings"], row["app_type"], row["now"],
                      styled((row["after"], "bold")) if row["changes"] else row["after"])
    return table
