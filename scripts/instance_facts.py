"""Public facts about the instance families behind SageMaker's `ml.*` types.

Hardware shapes are those AWS publishes for the EC2 instance of the same name. Estimated prices are
used only for types absent from the dated price snapshot; each is marked as an estimate and
names what it was scaled from.
"""

from __future__ import annotations

# vCPUs by size name, for families that follow the common shape.
SIZE_VCPUS: dict[str, int] = {
    "micro": 2, "small": 2, "medium": 1, "large": 2, "xlarge": 4, "2xlarge": 8, "3xlarge": 12,
    "4xlarge": 16, "6xlarge": 24, "8xlarge": 32, "9xlarge": 36, "10xlarge": 40, "12xlarge": 48,
    "16xlarge": 64, "18xlarge": 72, "24xlarge": 96, "32xlarge": 128, "36xlarge": 144, "48xlarge": 192, "96xlarge": 384,
}

# family -> (category, GiB of memory per vCPU, processor architecture)
REGULAR_FAMILIES: dict[str, tuple[str, float, str]] = {
    "m5": ("M", 4, "x86_64"), "m5d": ("M", 4, "x86_64"), "m6i": ("M", 4, "x86_64"),
    "m6id": ("M", 4, "x86_64"), "m7i": ("M", 4, "x86_64"), "m6g": ("M", 4, "arm64"),
    "m6gd": ("M", 4, "arm64"), "m8g": ("M", 4, "arm64"),
    "c5": ("C", 2, "x86_64"), "c5d": ("C", 2, "x86_64"), "c6i": ("C", 2, "x86_64"),
    "c6id": ("C", 2, "x86_64"), "c6in": ("C", 2, "x86_64"), "c7i": ("C", 2, "x86_64"),
    "c6g": ("C", 2, "arm64"), "c6gd": ("C", 2, "arm64"), "c6gn": ("C", 2, "arm64"),
    "c7g": ("C", 2, "arm64"), "c8g": ("C", 2, "arm64"),
    "r5": ("R", 8, "x86_64"), "r5d": ("R", 8, "x86_64"), "r6i": ("R", 8, "x86_64"),
    "r6id": ("R", 8, "x86_64"), "r7i": ("R", 8, "x86_64"), "r6g": ("R", 8, "arm64"),
    "r6gd": ("R", 8, "arm64"), "r7gd": ("R", 8, "arm64"), "r8g": ("R", 8, "arm64"),
    "i3en": ("I", 8, "x86_64"),
    "m6a": ("M", 4, "x86_64"), "m7i-flex": ("M", 4, "x86_64"), "m8i": ("M", 4, "x86_64"),
    "m8i-flex": ("M", 4, "x86_64"), "m8a": ("M", 4, "x86_64"), "m7g": ("M", 4, "arm64"),
    "c6a": ("C", 2, "x86_64"), "c7i-flex": ("C", 2, "x86_64"), "c8i": ("C", 2, "x86_64"),
    "c8i-flex": ("C", 2, "x86_64"), "c8a": ("C", 2, "x86_64"),
    "r8i": ("R", 8, "x86_64"), "r8i-flex": ("R", 8, "x86_64"),
}

# Types whose shape does not follow the rule above: name -> (vCPU, memory GiB).
EXPLICIT_SHAPES: dict[str, tuple[int, float]] = {
    "ml.t2.medium": (2, 4), "ml.t2.large": (2, 8), "ml.t2.xlarge": (4, 16), "ml.t2.2xlarge": (8, 32),
    "ml.t3.micro": (2, 1), "ml.t3.small": (2, 2), "ml.t3.medium": (2, 4), "ml.t3.large": (2, 8),
    "ml.t3.xlarge": (4, 16), "ml.t3.2xlarge": (8, 32),
    "ml.m4.xlarge": (4, 16), "ml.m4.2xlarge": (8, 32), "ml.m4.4xlarge": (16, 64),
    "ml.m4.10xlarge": (40, 160), "ml.m4.16xlarge": (64, 256),
    "ml.c4.large": (2, 3.75), "ml.c4.xlarge": (4, 7.5), "ml.c4.2xlarge": (8, 15),
    "ml.c4.4xlarge": (16, 30), "ml.c4.8xlarge": (36, 60),
    "ml.c5.large": (2, 4), "ml.c5d.large": (2, 4),
    "ml.c5n.large": (2, 5.25), "ml.c5n.xlarge": (4, 10.5), "ml.c5n.2xlarge": (8, 21),
    "ml.c5n.4xlarge": (16, 42), "ml.c5n.9xlarge": (36, 96), "ml.c5n.18xlarge": (72, 192),
    "ml.p2.xlarge": (4, 61), "ml.p2.8xlarge": (32, 488), "ml.p2.16xlarge": (64, 732),
    "ml.p3.2xlarge": (8, 61), "ml.p3.8xlarge": (32, 244), "ml.p3.16xlarge": (64, 488),
    "ml.p3dn.24xlarge": (96, 768), "ml.p4d.24xlarge": (96, 1152), "ml.p4de.24xlarge": (96, 1152),
    "ml.p5.4xlarge": (16, 256), "ml.p5.48xlarge": (192, 2048), "ml.p5e.48xlarge": (192, 2048),
    "ml.p5en.48xlarge": (192, 2048), "ml.p6-b200.48xlarge": (192, 2048),
    "ml.p6-b300.48xlarge": (192, 4096), "ml.p6e-gb200.36xlarge": (144, 960),
    "ml.g6e.xlarge": (4, 32), "ml.g6e.2xlarge": (8, 64), "ml.g6e.4xlarge": (16, 128),
    "ml.g6e.8xlarge": (32, 256), "ml.g6e.12xlarge": (48, 384), "ml.g6e.16xlarge": (64, 512),
    "ml.g6e.24xlarge": (96, 768), "ml.g6e.48xlarge": (192, 1536),
    "ml.g7e.2xlarge": (8, 64), "ml.g7e.4xlarge": (16, 128), "ml.g7e.8xlarge": (32, 256),
    "ml.g7e.12xlarge": (48, 512), "ml.g7e.24xlarge": (96, 1024), "ml.g7e.48xlarge": (192, 2048),
    "ml.gr6.4xlarge": (16, 128), "ml.gr6.8xlarge": (32, 256),
    "ml.inf1.xlarge": (4, 8), "ml.inf1.2xlarge": (8, 16), "ml.inf1.6xlarge": (24, 48),
    "ml.inf1.24xlarge": (96, 192),
    "ml.inf2.xlarge": (4, 16), "ml.inf2.8xlarge": (32, 128), "ml.inf2.24xlarge": (96, 384),
    "ml.inf2.48xlarge": (192, 768),
    "ml.trn1.2xlarge": (8, 32), "ml.trn1.32xlarge": (128, 512), "ml.trn1n.32xlarge": (128, 512),
    "ml.trn2.3xlarge": (12, 128), "ml.trn2.48xlarge": (192, 2048),
    "ml.dl1.24xlarge": (96, 768),
    "ml.geospatial.interactive": (16, 64),
}

# Families with a general-purpose GPU shape: family -> (category, memory GiB per vCPU or None).
GPU_FAMILY_SHAPE: dict[str, tuple[str, float | None]] = {
    "g4dn": ("G", 4), "g5": ("G", 4), "g6": ("G", 4), "g7": ("G", 4), "g6e": ("G", None), "g7e": ("G", None),
    "gr6": ("G", None), "p2": ("P", None), "p3": ("P", None), "p3dn": ("P", None), "p4d": ("P", None),
    "p4de": ("P", None), "p5": ("P", None), "p5e": ("P", None), "p5en": ("P", None),
    "p6-b200": ("P", None), "p6-b300": ("P", None), "p6e-gb200": ("P", None),
}

# Accelerators: family -> (kind, model, memory GiB per device, {size: device count}).
ACCELERATORS: dict[str, tuple[str, str, float, dict[str, int]]] = {
    "p2": ("gpu", "NVIDIA K80", 12, {"xlarge": 1, "8xlarge": 8, "16xlarge": 16}),
    "p3": ("gpu", "NVIDIA V100", 16, {"2xlarge": 1, "8xlarge": 4, "16xlarge": 8}),
    "p3dn": ("gpu", "NVIDIA V100", 32, {"24xlarge": 8}),
    "p4d": ("gpu", "NVIDIA A100", 40, {"24xlarge": 8}),
    "p4de": ("gpu", "NVIDIA A100", 80, {"24xlarge": 8}),
    "p5": ("gpu", "NVIDIA H100", 80, {"4xlarge": 1, "48xlarge": 8}),
    "p5e": ("gpu", "NVIDIA H200", 141, {"48xlarge": 8}),
    "p5en": ("gpu", "NVIDIA H200", 141, {"48xlarge": 8}),
    "p6-b200": ("gpu", "NVIDIA B200", 179, {"48xlarge": 8}),
    "p6-b300": ("gpu", "NVIDIA B300", 268, {"48xlarge": 8}),
    "p6e-gb200": ("gpu", "NVIDIA GB200", 185, {"36xlarge": 4}),
    "g4dn": ("gpu", "NVIDIA T4", 16, {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1,
                                     "12xlarge": 4, "16xlarge": 1}),
    "g5": ("gpu", "NVIDIA A10G", 24, {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1,
                                     "12xlarge": 4, "16xlarge": 1, "24xlarge": 4, "48xlarge": 8}),
    "g6": ("gpu", "NVIDIA L4", 24, {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1,
                                   "12xlarge": 4, "16xlarge": 1, "24xlarge": 4, "48xlarge": 8}),
    "g6e": ("gpu", "NVIDIA L40S", 48, {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1,
                                      "12xlarge": 4, "16xlarge": 1, "24xlarge": 4, "48xlarge": 8}),
    "g7e": ("gpu", "NVIDIA RTX PRO 6000 Blackwell", 96, {"2xlarge": 1, "4xlarge": 1, "8xlarge": 1,
                                                        "12xlarge": 2, "24xlarge": 4, "48xlarge": 8}),
    "gr6": ("gpu", "NVIDIA L4", 24, {"4xlarge": 1, "8xlarge": 1}),
    # g7 shapes are assumed to follow g6 until AWS's published specs are added here.
    "g7": ("gpu", "NVIDIA (g7)", 24, {"2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "12xlarge": 4, "24xlarge": 4,
                                     "48xlarge": 8}),
    "inf1": ("inferentia", "AWS Inferentia", 8, {"xlarge": 1, "2xlarge": 1, "6xlarge": 4, "24xlarge": 16}),
    "inf2": ("inferentia", "AWS Inferentia2", 32, {"xlarge": 1, "8xlarge": 1, "24xlarge": 6, "48xlarge": 12}),
    "trn1": ("trainium", "AWS Trainium", 32, {"2xlarge": 1, "32xlarge": 16}),
    "trn1n": ("trainium", "AWS Trainium", 32, {"32xlarge": 16}),
    "trn2": ("trainium", "AWS Trainium2", 96, {"3xlarge": 1, "48xlarge": 16}),
    "dl1": ("gaudi", "Habana Gaudi", 32, {"24xlarge": 8}),
}

CATEGORY_OF_FAMILY_PREFIX: dict[str, str] = {
    "t": "T", "m": "M", "c": "C", "r": "R", "p": "P", "g": "G", "inf": "Inf", "trn": "Trn", "dl": "DL",
    "i": "I", "geospatial": "Geospatial",
}

# How to estimate a price for a family absent from the snapshot:
#   ("per-vcpu", reference family, factor): reference family's median price per vCPU x factor
#   ("same-size", reference family, factor): the reference family's type of the same size x factor
#   ("us-east-1", {size: USD per hour}): a public us-east-1 list price, scaled to other regions
# Factors follow the published on-demand EC2 ratios between the families.
PRICE_ESTIMATES: dict[str, tuple[object, ...]] = {
    "t2": ("same-size", "t3", 1.11),
    "m4": ("per-vcpu", "m5", 1.04),
    "m6i": ("per-vcpu", "m5", 1.0), "m6id": ("per-vcpu", "m5d", 1.05), "m7i": ("per-vcpu", "m5", 1.05),
    "m6g": ("per-vcpu", "m5", 0.80), "m6gd": ("per-vcpu", "m5", 0.94), "m8g": ("per-vcpu", "m5", 0.94),
    "c4": ("per-vcpu", "c5", 1.17), "c5d": ("per-vcpu", "c5", 1.13), "c5n": ("per-vcpu", "c5", 1.27),
    "c6i": ("per-vcpu", "c5", 1.0), "c6id": ("per-vcpu", "c5", 1.18), "c6in": ("per-vcpu", "c5", 1.33),
    "c7i": ("per-vcpu", "c5", 1.05), "c6g": ("per-vcpu", "c5", 0.80), "c6gd": ("per-vcpu", "c5", 0.90),
    "c6gn": ("per-vcpu", "c5", 1.01), "c7g": ("per-vcpu", "c5", 0.85), "c8g": ("per-vcpu", "c5", 0.94),
    "r5d": ("per-vcpu", "r5", 1.14), "r6i": ("per-vcpu", "r5", 1.0), "r6id": ("per-vcpu", "r5", 1.20),
    "r7i": ("per-vcpu", "r5", 1.05), "r6g": ("per-vcpu", "r5", 0.80), "r6gd": ("per-vcpu", "r5", 0.91),
    "r7gd": ("per-vcpu", "r5", 1.0), "r8g": ("per-vcpu", "r5", 0.94),
    "i3en": ("per-vcpu", "r5", 1.80),
    "m6a": ("per-vcpu", "m5", 0.90), "m7i-flex": ("per-vcpu", "m5", 1.00), "m8i": ("per-vcpu", "m5", 1.10),
    "m8i-flex": ("per-vcpu", "m5", 1.05), "m8a": ("per-vcpu", "m5", 1.08), "m7g": ("per-vcpu", "m5", 0.85),
    "c6a": ("per-vcpu", "c5", 0.90), "c7i-flex": ("per-vcpu", "c5", 1.00), "c8i": ("per-vcpu", "c5", 1.10),
    "c8i-flex": ("per-vcpu", "c5", 1.05), "c8a": ("per-vcpu", "c5", 1.08),
    "r8i": ("per-vcpu", "r5", 1.10), "r8i-flex": ("per-vcpu", "r5", 1.05),
    "g7": ("same-size", "g6", 1.20),
    "g6": ("same-size", "g5", 0.80), "g6e": ("same-size", "g5", 1.85), "gr6": ("same-size", "g5", 0.95),
    "g7e": ("same-size", "g5", 2.90),
    "p2": ("us-east-1", {"xlarge": 1.125, "8xlarge": 9.0, "16xlarge": 18.0}),
    "p5": ("us-east-1", {"4xlarge": 8.1122, "48xlarge": 113.0688}),
    "p5e": ("us-east-1", {"48xlarge": 124.3757}), "p5en": ("us-east-1", {"48xlarge": 126.7300}),
    "p6-b200": ("us-east-1", {"48xlarge": 131.0023}), "p6-b300": ("us-east-1", {"48xlarge": 163.7529}),
    "p6e-gb200": ("us-east-1", {"36xlarge": 88.4625}),
    "inf1": ("us-east-1", {"xlarge": 0.297, "2xlarge": 0.470, "6xlarge": 1.530, "24xlarge": 6.123}),
    "inf2": ("us-east-1", {"xlarge": 0.99, "8xlarge": 2.36, "24xlarge": 7.79, "48xlarge": 15.58}),
    "trn2": ("us-east-1", {"3xlarge": 3.6338, "48xlarge": 58.1400}),
    "dl1": ("us-east-1", {"24xlarge": 16.3933}),
    "geospatial": ("us-east-1", {"interactive": 1.15}),
}

# ML storage (gp2) in USD per GB-month and endpoint data processed in USD per GB, us-east-1 list
# prices; other regions are scaled by the region's instance price ratio.
STORAGE_USD_PER_GB_MONTH_US_EAST_1: dict[str, float] = {
    "notebook": 0.14, "studio": 0.14, "training": 0.14, "processing": 0.14, "hosting": 0.14,
    "transform": 0.14,
}
DATA_PROCESSED_USD_PER_GB_US_EAST_1: dict[str, float] = {"in": 0.016, "out": 0.016}
# Serverless inference: USD per GB of configured memory per second, us-east-1.
SERVERLESS_USD_PER_GB_SECOND_US_EAST_1 = 0.00002
# SageMaker Canvas workspace instance: USD per session-hour (logged in), us-east-1, from the Canvas pricing
# page, read on CANVAS_PRICE_DATE; other regions are scaled by the region's instance price ratio.
CANVAS_WORKSPACE_USD_PER_HOUR_US_EAST_1 = 1.90
CANVAS_PRICE_DATE = "2026-12-02"
# Typical saving of managed spot training over on-demand, used until real spot billing is read.
SPOT_TRAINING_DISCOUNT = 0.70

# AWS location names as the pricing data spells them -> region codes.
LOCATIONS: dict[str, str] = {
    "US East (N. Virginia)": "us-east-1", "US East (Ohio)": "us-east-2",
    "US West (N. California)": "us-west-1", "US West (Oregon)": "us-west-2",
    "Africa (Cape Town)": "af-south-1", "Asia Pacific (Hong Kong)": "ap-east-1",
    "Asia Pacific (Jakarta)": "ap-southeast-3", "Asia Pacific (Mumbai)": "ap-south-1",
    "Asia Pacific (Osaka)": "ap-northeast-3", "Asia Pacific (Seoul)": "ap-northeast-2",
    "Asia Pacific (Singapore)": "ap-southeast-1", "Asia Pacific (Sydney)": "ap-southeast-2",
    "Asia Pacific (Tokyo)": "ap-northeast-1", "Canada (Central)": "ca-central-1",
    "EU (Frankfurt)": "eu-central-1", "EU (Ireland)": "eu-west-1", "EU (London)": "eu-west-2",
    "EU (Milan)": "eu-south-1", "EU (Paris)": "eu-west-3", "EU (Spain)": "eu-south-2",
    "EU (Stockholm)": "eu-north-1", "Israel (Tel Aviv)": "il-central-1",
    "Middle East (Bahrain)": "me-south-1", "Middle East (UAE)": "me-central-1",
    "South America (Sao Paulo)": "sa-east-1", "AWS GovCloud (US)": "us-gov-west-1",
    "AWS GovCloud (US-East)": "us-gov-east-1",
}
# Region code -> the prefix of Price List usage types (USE1-Host:ml.m5.xlarge).
USAGE_TYPE_PREFIX: dict[str, str] = {
    "us-east-1": "USE1", "us-east-2": "USE2", "us-west-1": "USW1", "us-west-2": "USW2",
    "af-south-1": "AFS1", "ap-east-1": "APE1", "ap-southeast-3": "APS4", "ap-south-1": "APS3",
    "ap-northeast-3": "APN3", "ap-northeast-2": "APN2", "ap-southeast-1": "APS1",
    "ap-southeast-2": "APS2", "ap-northeast-1": "APN1", "ca-central-1": "CAN1",
    "eu-central-1": "EUC1", "eu-west-1": "EU", "eu-west-2": "EUW2", "eu-south-1": "EUS1",
    "eu-west-3": "EUW3", "eu-south-2": "EUS2", "eu-north-1": "EUN1", "il-central-1": "ILC1",
    "me-south-1": "MES1", "me-central-1": "MEC1", "sa-east-1": "SAE1", "us-gov-west-1": "UGW1",
    "us-gov-east-1": "UGE1",
}

# Families the API schema lists for a usage but that AWS does not offer there: the Price List
# publishes no price for them (its `instanceType` values have no ml.t3.*-Training).
NOT_OFFERED: dict[str, set[str]] = {"training": {"t2", "t3"}, "spot-training": {"t2", "t3"}}
