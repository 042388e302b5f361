"""CloudFormation documents in Python: intrinsic functions in their long form, written as YAML short forms.

Templates are built as plain dicts with the long forms (``{"Ref": "X"}``, ``{"Fn::GetAtt": ["R", "Arn"]}``),
which compare and serialise as data; :func:`dump_yaml` writes them with PyYAML and a representer for the
short forms (``!Ref X``, ``!GetAtt R.Arn``, ``!Sub ...``) that people read and write by hand.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["NO_VALUE", "dump_yaml", "equals", "get_att", "if_", "not_", "ref", "sub"]

NO_VALUE = {"Ref": "AWS::NoValue"}


def ref(name: str) -> dict[str, Any]:
    """``!Ref name``."""
    return {"Ref": name}


def sub(text: str) -> dict[str, Any]:
    """``!Sub text``."""
    return {"Fn::Sub": text}


def get_att(resource: str, attribute: str) -> dict[str, Any]:
    """``!GetAtt resource.attribute``."""
    return {"Fn::GetAtt": [resource, attribute]}


def if_(condition: str, then: Any, otherwise: Any) -> dict[str, Any]:
    """``!If [condition, then, otherwise]``."""
    return {"Fn::If": [condition, then, otherwise]}


def equals(a: Any, b: Any) -> dict[str, Any]:
    """``!Equals [a, b]``."""
    return {"Fn::Equals": [a, b]}


def not_(condition: Any) -> dict[str, Any]:
    """``!Not [condition]``."""
    return {"Fn::Not": [condition]}


class _Tagged:
    """A value written with a short-form tag (``!Ref X``)."""

    def __init__(self, tag: str, value: Any) -> None:
        self.tag, self.value = tag, value


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, with CloudFormation's short forms and block-style multi-line strings."""


def _represent_tagged(dumper: yaml.SafeDumper, data: _Tagged) -> yaml.Node:
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    return dumper.represent_scalar(data.tag, str(data.value))


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_str(data)


_Dumper.add_representer(_Tagged, _represent_tagged)
_Dumper.add_representer(str, _represent_str)


def _short_forms(value: Any) -> Any:
    """Turn one-key ``{"Ref": x}`` and ``{"Fn::Name": ...}`` mappings into tagged values, everywhere."""
    if isinstance(value, list):
        return [_short_forms(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            (key, inner), = value.items()
            if key == "Ref":
                return _Tagged("!Ref", inner)
            if key == "Fn::GetAtt" and isinstance(inner, list) and all(isinstance(p, str) for p in inner):
                return _Tagged("!GetAtt", ".".join(inner))
            if key.startswith("Fn::"):
                return _Tagged("!" + key.removeprefix("Fn::"), _short_forms(inner))
        return {k: _short_forms(v) for k, v in value.items()}
    return value


def dump_yaml(document: dict[str, Any]) -> str:
    """A CloudFormation document (long forms) as YAML with short forms, keys in their order.

    Args:
        document: the template, or any part of it, as plain data with intrinsic functions in long form.

    Returns:
        YAML text; multi-line strings are written as ``|`` blocks.
    """
    text: str = yaml.dump(_short_forms(document), Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                          width=120, allow_unicode=True)
    return text
