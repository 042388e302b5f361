"""Build the bundled price and instance snapshot from the public data in ../shared/data/pricing.

Usage: python scripts/build_snapshot.py [DATA_DIR] [OUT_FILE]

The snapshot is committed at src/sagetrim/catalog/data/snapshot.json; rebuild it when the data or
scripts/instance_facts.py change. Exact prices come from the dated pricing-page file; every other
price is an estimate that names its basis.
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import instance_facts as facts

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "pricing"
DEFAULT_OUT = ROOT / "src" / "sagetrim" / "catalog" / "data" / "snapshot.json"
SNAPSHOT_DATE = "2025-06-16"
ENUM_USAGES = {
    "InstanceType": ["notebook"],
    "AppInstanceType": ["studio"],
    "TrainingInstanceType": ["training", "spot-training"],
    "ProcessingInstanceType": ["processing"],
    "TransformInstanceType": ["transform"],
    "ProductionVariantInstanceType": ["hosting"],
    "ClusterInstanceType": ["hyperpod"],
}


def installed_botocore_enums() -> dict[str, list[str]]:
    """The same enums from the botocore installed here, which may list newer types."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return {shape: [n for n in model.shape_for(shape).enum if n.startswith("ml.")] for shape in ENUM_USAGES}


def split_name(name: str) -> tuple[str, str]:
    _, family, size = name.split(".", 2)
    return family, size


def category(family: str) -> str:
    for prefix in sorted(facts.CATEGORY_OF_FAMILY_PREFIX, key=len, reverse=True):
        if family.startswith(prefix):
            return facts.CATEGORY_OF_FAMILY_PREFIX[prefix]
    raise SystemExit(f"no category for family {family}")


def shape(name: str, studio_specs: dict[str, tuple[int, float]]) -> tuple[int, float]:
    if name in facts.EXPLICIT_SHAPES:
        return facts.EXPLICIT_SHAPES[name]
    family, size = split_name(name)
    vcpu = facts.SIZE_VCPUS[size]
    if family in facts.REGULAR_FAMILIES:
        return vcpu, vcpu * facts.REGULAR_FAMILIES[family][1]
    if family in facts.GPU_FAMILY_SHAPE and facts.GPU_FAMILY_SHAPE[family][1] is not None:
        return vcpu, vcpu * float(facts.GPU_FAMILY_SHAPE[family][1])  # type: ignore[arg-type]
    if name in studio_specs:
        return studio_specs[name]
    raise SystemExit(f"no shape for {name}")


def arch(family: str) -> str:
    if family in facts.REGULAR_FAMILIES:
        return facts.REGULAR_FAMILIES[family][2]
    return "arm64" if family == "p6e-gb200" else "x86_64"


def botocore_version() -> str:
    import botocore

    return f"botocore {botocore.__version__}"


def build(data_dir: Path) -> dict[str, object]:
    enums = json.loads((data_dir / "botocore-1.43.11_sagemaker_instance_type_enums.json").read_text())["enums"]
    gpu_info = json.loads((data_dir / "sagemaker-python-sdk-2.257.7_instance_gpu_info.json").read_text())
    rows = list(csv.DictReader((data_dir / "studionotebook_prices_2025-06-16.csv").open()))

    usages: dict[str, set[str]] = defaultdict(set)
    for enum, names in [*enums.items(), *installed_botocore_enums().items()]:
        for name in names:
            usages[name].update(ENUM_USAGES.get(enum, []))
    for name, names_usages in usages.items():
        names_usages -= {u for u, families in facts.NOT_OFFERED.items() if split_name(name)[0] in families}
    usages = {n: u for n, u in usages.items() if u}

    exact: dict[str, dict[str, float]] = defaultdict(dict)
    studio_specs: dict[str, tuple[int, float]] = {}
    for row in rows:
        region = facts.LOCATIONS[row["location"]]
        exact[region][row["instance"]] = float(row["usd_per_hour"])
        studio_specs[row["instance"]] = (int(row["vcpu"]), float(row["memory_gib"]))

    sdk_gpus: dict[str, tuple[int, float]] = {}
    for per_region in gpu_info.values():
        for name, info in per_region.items():
            sdk_gpus[name] = (int(info["Count"]), info["TotalGpuMemoryInMiB"] / 1024)

    types: dict[str, dict[str, object]] = {}
    for name in sorted(usages):
        family, size = split_name(name)
        vcpu, memory = shape(name, studio_specs)
        if name in studio_specs and studio_specs[name] != (vcpu, memory):
            raise SystemExit(f"{name}: facts {vcpu, memory} disagree with pricing data {studio_specs[name]}")
        accelerator = None
        if family in facts.ACCELERATORS:
            kind, model, per_device, counts = facts.ACCELERATORS[family]
            count = counts[size]
            total = count * per_device
            if name in sdk_gpus:
                if sdk_gpus[name][0] != count:
                    raise SystemExit(f"{name}: GPU count {count} disagrees with the SDK's {sdk_gpus[name][0]}")
                total = sdk_gpus[name][1]
            accelerator = {"kind": kind, "model": model, "count": count, "memory_gib": round(total, 1)}
        types[name] = {
            "family": family, "size": size, "category": category(family), "vcpu": vcpu,
            "memory_gib": memory, "arch": arch(family), "accelerator": accelerator,
            "usages": sorted(usages[name]),
        }

    base = exact["us-east-1"]
    ratios = {}
    for region, prices in exact.items():
        shared = [prices[n] / base[n] for n in prices if n in base]
        ratios[region] = round(statistics.median(shared), 4)

    def family_per_vcpu(region: str, family: str) -> float | None:
        per = [p / types[n]["vcpu"] for n, p in exact[region].items()  # type: ignore[operator]
               if n in types and types[n]["family"] == family]
        return statistics.median(per) if per else None

    def price_of(region: str, name: str) -> tuple[float, str]:
        if name in exact[region]:
            return exact[region][name], f"{name} in {region}"
        if name in exact["us-east-1"]:
            return exact["us-east-1"][name] * ratios[region], f"{name} in us-east-1 x region ratio"
        usd, basis = estimate(region, name)
        return usd, f"{name} (estimated: {basis})"

    def estimate(region: str, name: str) -> tuple[float, str]:
        family, size = split_name(name)
        vcpu = types[name]["vcpu"]
        rule = facts.PRICE_ESTIMATES.get(family)
        if rule is None:
            per = family_per_vcpu(region, family)
            if per is not None:
                return per * vcpu, f"{family} median price per vCPU in {region}"  # type: ignore[operator]
            per = family_per_vcpu("us-east-1", family)
            if per is None:
                raise SystemExit(f"no price rule for {name}")
            return per * vcpu * ratios[region], f"{family} median price per vCPU in us-east-1 x region ratio"  # type: ignore[operator]
        kind = rule[0]
        if kind == "per-vcpu":
            ref, factor = str(rule[1]), float(rule[2])  # type: ignore[arg-type]
            per = family_per_vcpu(region, ref)
            basis = f"{ref} median price per vCPU in {region} x {factor}"
            if per is None:
                per = family_per_vcpu("us-east-1", ref) * ratios[region]  # type: ignore[operator]
                basis = f"{ref} median price per vCPU in us-east-1 x region ratio x {factor}"
            return per * vcpu * factor, basis  # type: ignore[operator]
        if kind == "same-size":
            ref, factor = str(rule[1]), float(rule[2])  # type: ignore[arg-type]
            ref_name = f"ml.{ref}.{size}"
            ref_usd, ref_basis = price_of(region, ref_name)
            return ref_usd * factor, f"{ref_basis} x {factor}"
        usd = rule[1][size]  # type: ignore[index]
        return float(usd) * ratios[region], f"public us-east-1 list price x region ratio {ratios[region]}"

    base_prices: dict[str, dict[str, list[object]]] = {}
    for region in sorted(ratios):
        per_region: dict[str, list[object]] = {}
        for name in types:
            if name in exact[region]:
                per_region[name] = [exact[region][name], "pricing-page"]
            else:
                usd, basis = estimate(region, name)
                per_region[name] = [round(usd, 4), "estimate", basis]
        base_prices[region] = per_region

    regions = {
        code: {"name": loc, "usage_type_prefix": facts.USAGE_TYPE_PREFIX[code], "price_ratio": ratios[code]}
        for loc, code in sorted(facts.LOCATIONS.items(), key=lambda kv: kv[1])
    }
    return {
        "format": 1,
        "snapshot_date": SNAPSHOT_DATE,
        "sources": {
            "pricing-page": {
                "title": "AWS pricing page data, SageMaker Studio notebook instances "
                         "(sagemaker-instances-studionotebook.json, mirrored by QuinnyPig/aws-price-watcher, MIT)",
                "date": SNAPSHOT_DATE,
            },
            "estimate": {
                "title": "sagetrim estimate from public EC2 family ratios and list prices",
                "date": SNAPSHOT_DATE,
            },
            "canvas-pricing-page": {
                "title": "Amazon SageMaker Canvas pricing page: workspace instance, per session-hour, US East "
                         "(N. Virginia)",
                "date": facts.CANVAS_PRICE_DATE,
            },
            "types": {
                "title": f"botocore 1.43.11 and {botocore_version()} SageMaker service models (Apache-2.0); "
                         "GPU counts and memory from "
                         "the sagemaker Python SDK 2.257.7 (Apache-2.0); shapes from AWS's published EC2 specs",
                "date": SNAPSHOT_DATE,
            },
        },
        "regions": regions,
        "types": types,
        "base_prices": base_prices,
        "storage_usd_per_gb_month": facts.STORAGE_USD_PER_GB_MONTH_US_EAST_1,
        "data_processed_usd_per_gb": facts.DATA_PROCESSED_USD_PER_GB_US_EAST_1,
        "serverless_usd_per_gb_second": facts.SERVERLESS_USD_PER_GB_SECOND_US_EAST_1,
        "canvas_workspace_usd_per_hour": facts.CANVAS_WORKSPACE_USD_PER_HOUR_US_EAST_1,
        "spot_training_discount": facts.SPOT_TRAINING_DISCOUNT,
    }


def main() -> None:
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_OUT
    snapshot = build(data_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(snapshot, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {out}: {len(snapshot['types'])} types, {len(snapshot['regions'])} regions")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
