"""How `sagetrim rightsize` explains one resource."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType

from sagetrim.report.output import money, new_table
from sagetrim.report.terminal import styled


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def explanation_view(doc: dict[str, Any]) -> RenderableType:
    """The profile, the candidates and the verdict of each part (variant, or job hosts)."""
    parts: list[RenderableType] = [styled(
        (f"{doc['kind']} {doc['name']}", "bold"), f" ({doc['region']}): ", (str(doc["status"]), "bold"),
        (f", saves {money(doc['monthly_saving_usd'])} a month" if doc["monthly_saving_usd"] else "")
        + f" — peak = {doc['peak']} over {doc['window_days']} days, target ≤ {doc['target_peak_pct']:g}% of capacity",
    )]
    for part in doc["parts"]:
        parts.append(styled("\n", (str(part["part"]), "bold"), f": {part['status']} — {part['why']}"))
        profile = part.get("profile")
        if profile:
            parts.append(
                f"  now {profile['instance_count']} x {profile['instance_type']}; peaks: "
                f"{profile['peak_vcpus_busy']} vCPUs busy, {profile['peak_memory_gib']} GiB memory"
                + (f", {profile['peak_gpus_busy']} GPUs busy" if profile.get("peak_gpus_busy") is not None else "")
                + f" ({profile['hours_of_data']} h of data)")
        candidates = part.get("candidates") or []
        if candidates:
            table = new_table(None)
            for col in ("Candidate", "$/month", "CPU", "Memory", "GPU", "Fits", "Why not"):
                table.add_column(col, justify="right" if col in ("$/month", "CPU", "Memory", "GPU") else "left",
                                 overflow="fold")
            best = part.get("recommended") or {}
            for c in candidates:
                label = styled(f"{c['instance_count']} x {c['instance_type']}")
                if (c["instance_type"], c["instance_count"]) == (best.get("instance_type"), best.get("instance_count")):
                    label.stylize("bold green")
                peak = c["projected_peak_pct"]
                table.add_row(label, money(c["usd_per_month"]), _pct(peak["cpu"]), _pct(peak["memory"]),
                              _pct(peak["gpu"]), "yes" if c["fits"] else "no", "; ".join(c.get("why_not", [])))
            parts.append(table)
    if doc.get("assumptions"):
        parts.append(styled(("Assumptions: " + "; ".join(doc["assumptions"]) + ".", "dim")))
    return Group(*parts)
