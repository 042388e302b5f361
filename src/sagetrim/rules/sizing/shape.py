"""An instance type's shape by name, when the catalog knows it."""

from __future__ import annotations

from sagetrim.catalog import Catalog, InstanceType
from sagetrim.errors import CatalogError


def shape(name: str | None, catalog: Catalog) -> InstanceType | None:
    """The instance type called `name` in `catalog`, or None when unknown."""
    if not name:
        return None
    try:
        return catalog.instance(name)
    except CatalogError:
        return None
