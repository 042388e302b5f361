"""The shipped example plan, priced by hand: the estimate must equal this arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.errors import ConfigError
from sagetrim.estimate import estimate_plan, load_plan

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "plan.yaml"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(use_cache=False)


def test_the_example_plan_equals_the_hand_computation(catalog):
    [est] = estimate_plan(load_plan(EXAMPLE, catalog), catalog, "us-east-1")
    by = {(i.workload, i.component): i.usd for i in est.items}

    # Two ml.t3.medium notebooks, 8 h a day for 22 days, at $0.05/h.
    assert by[("notebooks", "ml.t3.medium")] == pytest.approx(2 * 8 * 22 * 0.05)  # 17.60
    # Their 5 GB volumes are billed all month, running or stopped: 2 x 5 GB x $0.14.
    assert by[("notebooks", "ML storage")] == pytest.approx(2 * 5 * 0.14)  # 1.40
    # 30 processing runs of 17 min 30 s on ml.m5.xlarge, billed per second at $0.23/h.
    assert by[("feature processing", "ml.m5.xlarge")] == pytest.approx(30 * 1050 * 0.23 / 3600)  # 2.0125
    # Four 3 h ml.p3.2xlarge spot runs at $3.825/h less the 70% spot saving.
    assert by[("model training", "ml.p3.2xlarge spot")] == pytest.approx(4 * 3 * 3.825 * 0.3)  # 13.77
    # 50 GB of training storage for the 12 hours the jobs run, prorated over a 730-hour month.
    assert by[("model training", "ML storage")] == pytest.approx(50 * 0.14 * 12 / 730)
    # Two ml.m5.large endpoint instances around the clock at $0.115/h.
    assert by[("recommendations endpoint", "ml.m5.large")] == pytest.approx(2 * 730 * 0.115)  # 167.90
    # 50 GB in and 50 GB out at $0.016 per GB.
    assert by[("recommendations endpoint", "data processed in")] == pytest.approx(0.80)
    assert by[("recommendations endpoint", "data processed out")] == pytest.approx(0.80)

    hand = 17.60 + 1.40 + 2.0125 + 13.77 + 50 * 0.14 * 12 / 730 + 167.90 + 0.80 + 0.80
    assert est.total_usd == pytest.approx(hand)
    assert est.by_stage()["hosting"] == pytest.approx(169.50)


def test_alternatives_change_only_what_they_name(catalog):
    plan = load_plan(EXAMPLE, catalog)
    base, on_demand, c5, t3large = estimate_plan(plan, catalog, "us-east-1", compare=True)
    assert on_demand.by_workload()["model training"] == pytest.approx(4 * 3 * 3.825 + 50 * 0.14 * 12 / 730)
    assert c5.by_workload()["recommendations endpoint"] == pytest.approx(730 * 0.204 + 1.60)
    assert t3large.by_workload()["notebooks"] == pytest.approx(2 * 8 * 22 * 0.10 + 1.40)
    assert on_demand.by_workload()["notebooks"] == base.by_workload()["notebooks"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("workloads:\n  - name: a\n    stage: training\n    instance_type: ml.t3.medium\n    runs: 1\n"
         "    duration: 1h\n",
         r"line 4: workloads\[0\]\.instance_type: ml.t3.medium cannot be used for training"),
        ("workloads:\n  - name: a\n    stage: hosting\n    instance_type: ml.m5.xlargee\n",
         r"line 4: .*Did you mean ml.m5.xlarge"),
        ("workloads:\n  - name: a\n    stage: training\n    instance_type: ml.m5.large\n    runs: 2\n",
         r"line 2: workloads\[0\]: a training workload needs runs and duration"),
        ("workloads:\n  - name: a\n    stage: hosting\n    instance_type: ml.m5.large\n    cuont: 2\n",
         r"line 5: workloads\[0\]\.cuont: unknown field"),
        ("workloads:\n  - name: a\n    stage: training\n    instance_type: ml.m5.large\n    runs: 1\n"
         "    duration: three hours\n", r"line 6: workloads\[0\]\.duration: 'three hours' is not a duration"),
        ("workloads: [\n", r"line 2: not valid YAML"),
        ("workloads:\n  - name: a\n    stage: hosting\n    instance_type: ml.m5.large\nalternatives:\n"
         "  - name: x\n    changes:\n      b: {count: 2}\n", r"changes unknown workload\(s\) b"),
    ],
)
def test_a_malformed_plan_is_refused_naming_line_and_field(catalog, tmp_path, body, expected):
    plan = tmp_path / "plan.yaml"
    plan.write_text(body)
    with pytest.raises(ConfigError, match=expected):
        load_plan(plan, catalog)
