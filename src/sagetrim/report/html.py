"""A single-file, offline HTML report of a scan, with bar charts drawn as inline SVG."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from sagetrim import __version__
from sagetrim.inventory.scan import ScanResult
from sagetrim.report.output import money

BAR_HEIGHT = 22
LABEL_WIDTH = 190
CHART_WIDTH = 760


def svg_bars(rows: Sequence[tuple[str, float]], caption: str, kind: str = "") -> Markup:
    """Horizontal bars, largest first, each labelled with its value."""
    rows = sorted((r for r in rows if r[1] > 0), key=lambda r: -r[1])
    if not rows:
        return Markup("")
    top = rows[0][1]
    span = CHART_WIDTH - LABEL_WIDTH - 110
    height = BAR_HEIGHT * len(rows) + 24
    parts = [f'<svg role="img" aria-label="{escape(caption)}" width="{CHART_WIDTH}" height="{height}" '
             f'viewBox="0 0 {CHART_WIDTH} {height}">']
    for i, (label, value) in enumerate(rows):
        y = i * BAR_HEIGHT
        width = max(1.0, span * value / top)
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
                     f'<rect class="bar {kind}" x="{LABEL_WIDTH}" y="{y + 3}" width="{width:.1f}" '
                     f'height="{BAR_HEIGHT - 6}" rx="3"></rect>'
                     f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + 15}">{escape(money(value))}</text>')
    parts.append(f'<text x="{LABEL_WIDTH}" y="{height - 4}" class="muted">{escape(caption)}</text></svg>')
    return Markup("".join(parts))


def render_html(result: ScanResult) -> str:
    """The whole report as one HTML document (no scripts, no external files)."""
    env = Environment(loader=PackageLoader("sagetrim.report", "templates"), autoescape=select_autoescape(["j2"]))
    doc: dict[str, Any] = result.to_json()
    totals = doc["totals"]
    context = {
        **doc,
        "version": __version__,
        "money": money,
        "bars": svg_bars,
        "stage_bars": [(k, v["projected_month_usd"]) for k, v in totals["by_stage"].items()],
        "region_bars": [(k, v["projected_month_usd"]) for k, v in totals["by_region"].items()],
        "rule_bars": list(doc["savings"]["by_rule"].items()),
    }
    return env.get_template("scan.html.j2").render(**context)
