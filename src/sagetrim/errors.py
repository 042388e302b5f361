"""The exceptions sagetrim raises; the CLI turns them into messages and exit statuses."""

from __future__ import annotations


class SagetrimError(Exception):
    """Base class of every error sagetrim reports to a user."""

    exit_code = 1


class UsageError(SagetrimError):
    """Bad input from the user: a flag, a file, a name. Exit status 2, nothing changed."""

    exit_code = 2


class ConfigError(UsageError):
    """A settings or plan file that does not validate."""


class CatalogError(UsageError):
    """An unknown instance type, region or usage, or a type not valid for a usage."""


class CollectionError(SagetrimError):
    """AWS could not be read for one account, region or resource kind."""


class ActionError(SagetrimError):
    """An action could not be carried out."""


class GuardrailError(SagetrimError):
    """An action was refused by a safety guard."""
