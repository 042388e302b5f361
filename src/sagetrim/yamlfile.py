"""Load a YAML file into a pydantic model, with errors that name the file, the line and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sagetrim.errors import ConfigError
from sagetrim.inputs import load_yaml, read_text

M = TypeVar("M", bound=BaseModel)


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the YAML node at a pydantic error location (or of its nearest parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if child is None:
                break
            node = child
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_yaml_model(path: Path, model: type[M], *, context: dict[str, Any] | None = None, what: str = "file") -> M:
    """Read (see :func:`sagetrim.inputs.read_text`), parse and validate `path`; raise ConfigError naming the line
    and field of every problem."""
    text = read_text(path, what=what)
    data, root = load_yaml(text, source=str(path))
    if data is None:
        data = {}
    try:
        return model.model_validate(data, context=context)
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to validate.") from None
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            line = _line_of(root, loc)
            field = _field_path(loc)
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field (check its spelling)"
            where = f"line {line}" if line else "top level"
            problems.append(f"{path}, {where}: {field or '(document)'}: {msg}")
        more = f"\n(and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ConfigError(f"the {what} is not valid:\n" + "\n".join(problems[:5]) + more) from None
