"""Instance types and prices: the bundled snapshot, the user's cache and its refresh."""

from sagetrim.catalog.catalog import Catalog, load_catalog, parse_usage
from sagetrim.catalog.model import Accelerator, InstanceType, Price, Usage

__all__ = ["Accelerator", "Catalog", "InstanceType", "Price", "Usage", "load_catalog", "parse_usage"]
