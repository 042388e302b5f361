"""Checked patches of moto's internals: a moto that no longer has what the sim replaces fails at start-up.

The simulated account replaces private methods and module attributes of moto (validation, paging, the
clock, CloudWatch's metric operations, Studio's tagging). They are not moto's API and may move in any
release, and a patch that silently adds an attribute nobody calls would leave the sim quietly wrong. So
every patch goes through :func:`replace`, which first checks that the attribute exists and otherwise
raises :class:`MotoMismatch` naming the moto versions the sim is written for.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final

__all__ = ["MOTO_TESTED", "MotoMismatch", "existing", "replace"]

# The moto releases the sim is tested with; pyproject.toml pins the same range (a test checks they agree).
MOTO_TESTED: Final = ">=5.2,<6"


class MotoMismatch(RuntimeError):
    """The installed moto lacks something the simulated account patches or calls."""


def _installed() -> str:
    try:
        return version("moto")
    except PackageNotFoundError:
        return "(not installed)"


def _name(owner: Any) -> str:
    module = getattr(owner, "__module__", None)
    qualname = getattr(owner, "__qualname__", None) or getattr(owner, "__name__", None) or type(owner).__name__
    return f"{module}.{qualname}" if module and module != qualname else str(qualname)


def existing(owner: Any, name: str) -> Any:
    """The attribute ``name`` of a moto class or module, which the sim is about to wrap or call.

    Raises:
        MotoMismatch: moto has no such attribute (another moto than the sim is written for).
    """
    try:
        return getattr(owner, name)
    except AttributeError:
        raise MotoMismatch(
            f"the simulated account patches {_name(owner)}.{name}, which moto {_installed()} does not have; "
            f"it is written for moto {MOTO_TESTED}: pip install 'moto[server]{MOTO_TESTED}'"
        ) from None


def replace(owner: Any, name: str, value: Any) -> Any:
    """Replace an existing attribute of a moto class or module with ``value``; returns the one replaced.

    Raises:
        MotoMismatch: moto has no such attribute, so the patch would change nothing moto calls.
    """
    original = existing(owner, name)
    setattr(owner, name, value)
    return original
