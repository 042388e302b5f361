"""The sizing choice: which candidates are weighed, which wins a tie, and when there is nothing to choose."""

from __future__ import annotations

from sagetrim.catalog import Usage, load_catalog
from sagetrim.rules import sizing

CATALOG = load_catalog(use_cache=False)
PARAMS = sizing.SizingParams()
REGION = "us-east-1"


def _choose(instance_type: str, count: int, profile: sizing.Profile, *, low: int = 1,
            usage: Usage = Usage.HOSTING) -> sizing.Choice | None:
    instance = CATALOG.instance(instance_type)
    need = sizing.need_of(profile, instance, PARAMS)
    assert need is not None
    return sizing.choose(need, instance, count, CATALOG, REGION, usage, PARAMS, min_count=low, max_count=count)


def test_given_a_cpu_endpoint_on_more_instances_than_it_needs_when_sized_then_the_same_type_on_fewer_wins_a_tie():
    # ml.c6i.large and ml.c5.large both cost $0.102 an hour in us-east-1; one of either holds this load.
    assert CATALOG.price("ml.c5.large", REGION, Usage.HOSTING).usd == CATALOG.price("ml.c6i.large", REGION,
                                                                                    Usage.HOSTING).usd
    choice = _choose("ml.c6i.large", 3, sizing.Profile("ml.c6i.large", 3, 336, cpu_busy=0.1, memory_gib=1.0))

    assert choice is not None and choice.best is not None
    assert (choice.best.instance_type, choice.best.count) == ("ml.c6i.large", 1)
    assert [(o.instance_type, o.count) for o in choice.considered if o.fits][:2] == [("ml.c6i.large", 1),
                                                                                     ("ml.c5.large", 1)]


def test_given_an_unused_gpu_when_sized_then_its_gpu_type_is_not_offered_again_and_no_inferentia_unless_asked():
    profile = sizing.Profile("ml.g5.2xlarge", 2, 336, cpu_busy=0.5, memory_gib=6.0, gpu_busy=0.03, gpu_memory_gib=2.0)

    choice = _choose("ml.g5.2xlarge", 2, profile)

    assert choice is not None and choice.need.gpu == "unused"
    assert [(o.instance_type, o.count) for o in choice.considered if o.instance_type == "ml.g5.2xlarge"] == [
        ("ml.g5.2xlarge", 2)], "only what runs now: the advice is to leave GPUs"
    assert choice.alternatives == ()


def test_given_a_gpu_busier_than_its_capacity_when_sized_then_what_runs_now_does_not_fit_on_gpu_grounds():
    # A T4 holds half a V100; 0.9 of it busy needs 0.9 * 0.5 / 0.7 = 0.64 V100s, more than one T4 has.
    profile = sizing.Profile("ml.g4dn.xlarge", 1, 336, cpu_busy=0.5, memory_gib=4.0, gpu_busy=0.9, gpu_memory_gib=4.0)

    choice = _choose("ml.g4dn.xlarge", 1, profile)

    assert choice is not None and choice.need.gpu == "used"
    assert not choice.current.fits
    assert choice.current.why_not == ("needs 2 instances (GPU 2), more than 1",)
    assert choice.saving_per_hour == 0


def test_given_a_type_without_a_price_for_the_usage_when_sized_then_there_is_no_choice():
    assert sizing.hourly_price(CATALOG, "ml.c5.12xlarge", REGION, Usage.HOSTING) is None  # sold for training only

    assert _choose("ml.c5.12xlarge", 1, sizing.Profile("ml.c5.12xlarge", 1, 336, cpu_busy=1.0, memory_gib=4.0)) is None


def test_given_an_endpoint_scaled_in_to_zero_when_sized_then_there_is_no_choice():
    profile = sizing.Profile("ml.c6i.large", 1, 336, cpu_busy=0.1, memory_gib=1.0)

    assert _choose("ml.c6i.large", 0, profile, low=0) is None
    assert _choose("ml.c6i.large", 1, profile) is not None
