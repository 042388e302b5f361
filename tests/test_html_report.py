"""`sagetrim scan --html FILE`: one offline file with the spend, the charts and every finding."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from sagetrim.sim.fleet import Scenario, build_fleet
from tests.conftest import run_cli


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.sources += [v for k, v in attrs if k in ("src", "href") and v]


def test_scan_writes_a_self_contained_html_report(sim, tmp_path):
    build_fleet(sim, Scenario.model_validate({"regions": {"us-east-1": {"endpoints": [
        {"name": "quiet-model", "instance_type": "ml.m5.xlarge", "traffic": "idle"},
        {"name": "busy", "instance_type": "ml.c5.xlarge", "traffic": "steady"}]}}}))
    report, scan = tmp_path / "report.html", tmp_path / "scan.json"
    result = run_cli("scan", "--regions", "us-east-1", "--html", str(report), "--format", "json", "--output",
                     str(scan), env=sim.env())
    assert result.code == 0, result.err
    html = report.read_text()
    page = Collect()
    page.feed(html)
    assert "script" not in page.tags and page.sources == []  # nothing to fetch: it works offline
    assert page.tags.count("svg") >= 2  # spend by stage and by region
    assert "quiet-model" in html
    doc = json.loads(scan.read_text())
    assert f"${doc['savings']['monthly_usd']:,.2f}" in html
    assert all(f["message"].split(";")[0][:30] in html.replace("&#39;", "'") for f in doc["findings"])


def test_chart_labels_are_escaped():
    from sagetrim.report.html import svg_bars

    svg = str(svg_bars([("<script>x</script>", 10.0), ("b", 5.0)], "caption & more"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "caption &amp; more" in svg
