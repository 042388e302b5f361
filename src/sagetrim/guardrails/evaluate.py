"""Evaluate IAM identity-policy documents for one request: explicit Deny, then Allow, else implicit deny.

Why not a library: the PyPI packages around IAM policies parse, lint or generate them without evaluating
conditions for a request (policyuniverse, parliament, policy_sentry), or are unmaintained (principalmapper's
local simulator, last released in 2022). The guardrail hinges on the exact semantics of `ForAnyValue:`,
`ForAllValues:` and missing keys, so this module implements the documented rules for the subset sagetrim
needs, and refuses (rather than guesses) anything outside it.

What is evaluated, following the IAM User Guide ("Policy evaluation logic", "Condition operators",
"Set operators for multivalued context keys"):

- `Effect`, `Action` / `NotAction` (wildcards `*` `?`, case-insensitive), `Resource` / `NotResource`
  (ARN wildcards per ARN part, case-sensitive), `Condition` blocks: operators AND, keys AND, values OR
  (NOR for negated operators); condition keys are case-insensitive.
- Operators: `String[Not]Equals[IgnoreCase]`, `String[Not]Like`, `Arn[Not]Equals`, `Arn[Not]Like`,
  `Numeric*`, `Bool`, `Null`, each (but `Null`) with an `IfExists` suffix and a `ForAnyValue:` or
  `ForAllValues:` prefix.
- A key missing from the request: a plain operator is false, a negated one (`StringNotLike`, ...) true;
  `...IfExists` is true; `ForAnyValue:` is false and `ForAllValues:` true for a missing or empty key;
  `Null` is true when the key is missing or empty.

Not evaluated, and refused with a UsageError: date, IP-address and binary operators, policy variables
(`${aws:username}`), `Principal` (resource-based policies), permissions boundaries, SCPs and sessions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from sagetrim.errors import UsageError
from sagetrim.inputs import load_json, read_text

ContextValue = str | bool | int | float | Sequence[str] | None
Outcome = Literal["explicit-deny", "allow", "implicit-deny"]

#: A policy that allows every action on every resource: the permissions a guardrail is attached beside.
ALLOW_ALL: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "AllowEverything", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}

_MAX_POLICY_FILE = 1024 * 1024  # IAM's own limits are a few kilobytes; this only keeps a wrong file out
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
_STRING_OPS = {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
               "StringLike", "StringNotLike"}
_ARN_OPS = {"ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"}
_NUMERIC_OPS = {"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
                "NumericGreaterThan", "NumericGreaterThanEquals"}
_OPERATORS = _STRING_OPS | _ARN_OPS | _NUMERIC_OPS | {"Bool", "Null"}
_NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike",
            "NumericNotEquals"}


@dataclass(frozen=True, slots=True)
class Request:
    """What IAM sees of one API call: the action, the resource ARN and the request context keys."""

    action: str
    resource: str = "*"
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for a request, and the statement that decided it (None for an implicit deny)."""

    allowed: bool
    outcome: Outcome
    reason: str
    sid: str | None = None
    policy: str | None = None


# -- reading policy documents -----------------------------------------------------------------------


def load_policy(path: Path) -> dict[str, Any]:
    """Read and validate a JSON policy document from a file.

    Raises:
        UsageError: the file cannot be read, is not JSON (the message gives line and column), or is
            not a valid identity-policy document (the message names the element).
    """
    return parse_policy(read_text(path, what="policy file", max_bytes=_MAX_POLICY_FILE), source=str(path))


def parse_policy(text: str, source: str = "policy") -> dict[str, Any]:
    """Parse JSON text into a validated policy document; see `load_policy` for the errors."""
    doc = load_json(text, source=source)
    validate_policy(doc, source)
    result: dict[str, Any] = doc
    return result


def validate_policy(doc: Any, source: str = "policy") -> None:
    """Raise a UsageError naming the element unless `doc` is an identity policy this module can evaluate."""
    if not isinstance(doc, dict):
        raise UsageError(f"{source}: a policy document is a JSON object with a Statement element.")
    unknown = set(doc) - {"Version", "Id", "Statement"}
    if unknown:
        raise UsageError(f"{source}: unknown top-level element(s) {', '.join(sorted(unknown))}.")
    version = doc.get("Version", "2008-10-17")
    if version not in ("2012-10-17", "2008-10-17"):
        raise UsageError(f"{source}: Version must be \"2012-10-17\", not {version!r}.")
    if "Statement" not in doc:
        raise UsageError(f"{source}: the policy has no Statement element.")
    for index, stmt in enumerate(_statements(doc)):
        _validate_statement(stmt, f"{source}: Statement[{index}]", variables=version == "2012-10-17")


def _statements(doc: Mapping[str, Any]) -> list[Any]:
    stmts = doc["Statement"]
    return list(stmts) if isinstance(stmts, list) else [stmts]


def _validate_statement(stmt: Any, where: str, *, variables: bool) -> None:
    if not isinstance(stmt, dict):
        raise UsageError(f"{where} is not a JSON object.")
    if "Principal" in stmt or "NotPrincipal" in stmt:
        raise UsageError(f"{where} has a Principal: that is a resource-based policy; only identity "
                         "policies can be checked.")
    unknown = set(stmt) - _STATEMENT_KEYS
    if unknown:
        raise UsageError(f"{where}: unknown element(s) {', '.join(sorted(unknown))}.")
    if stmt.get("Effect") not in ("Allow", "Deny"):
        raise UsageError(f"{where}.Effect must be \"Allow\" or \"Deny\", not {stmt.get('Effect')!r}.")
    for a, b in (("Action", "NotAction"), ("Resource", "NotResource")):
        if (a in stmt) == (b in stmt):
            raise UsageError(f"{where} needs exactly one of {a} and {b}.")
        name = a if a in stmt else b
        for value in _strings(stmt[name], f"{where}.{name}"):
            if variables and "${" in value:
                raise UsageError(f"{where}.{name}: policy variables ({value}) are not supported.")
    condition = stmt.get("Condition", {})
    if not isinstance(condition, dict):
        raise UsageError(f"{where}.Condition must be a JSON object.")
    for op_name, block in condition.items():
        operator = _operator(op_name, f"{where}.Condition")
        if not isinstance(block, dict) or not block:
            raise UsageError(f"{where}.Condition.{op_name} must map condition keys to values.")
        for key, values in block.items():
            for value in _condition_values(values, f"{where}.Condition.{op_name}.{key}"):
                _check_value(operator, value, f"{where}.Condition.{op_name}.{key}", variables=variables)


def _strings(value: Any, where: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) for v in items):
        raise UsageError(f"{where} must be a string or a non-empty list of strings.")
    return items


def _condition_values(value: Any, where: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for v in items:
        if isinstance(v, bool):
            out.append("true" if v else "false")
        elif isinstance(v, str | int | float):
            out.append(str(v))
        else:
            raise UsageError(f"{where}: condition values are strings, numbers or booleans.")
    if not out:
        raise UsageError(f"{where}: a condition needs at least one value.")
    return out


def _check_value(operator: _Operator, value: str, where: str, *, variables: bool) -> None:
    if variables and "${" in value:
        raise UsageError(f"{where}: policy variables ({value}) are not supported.")
    if operator.base in ("Bool", "Null") and value.lower() not in ("true", "false"):
        raise UsageError(f"{where}: {operator.base} takes \"true\" or \"false\", not {value!r}.")
    if operator.base in _NUMERIC_OPS:
        try:
            float(value)
        except ValueError:
            raise UsageError(f"{where}: {operator.base} takes numbers, not {value!r}.") from None


# -- condition operators ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Operator:
    qualifier: Literal["ForAnyValue", "ForAllValues"] | None
    base: str
    if_exists: bool

    @property
    def negated(self) -> bool:
        return self.base in _NEGATED


def _operator(name: str, where: str = "Condition") -> _Operator:
    """The parsed operator name, or a UsageError that says where it was found."""
    try:
        return _parse_operator(name)
    except UsageError as exc:
        raise UsageError(f"{where}: {exc}") from None


@cache
def _parse_operator(name: str) -> _Operator:
    qualifier: Literal["ForAnyValue", "ForAllValues"] | None = None
    rest = name
    for q in ("ForAnyValue", "ForAllValues"):
        if name.startswith(q + ":"):
            qualifier, rest = q, name[len(q) + 1:]
    if_exists = rest.endswith("IfExists") and rest != "IfExists"
    base = rest[: -len("IfExists")] if if_exists else rest
    if base not in _OPERATORS:
        raise UsageError(
            f"condition operator {name!r} is not supported; sagetrim evaluates String, Arn, Numeric, Bool "
            "and Null operators, with IfExists and ForAnyValue:/ForAllValues:."
        )
    if base == "Null" and (if_exists or qualifier):
        raise UsageError(f"{name!r}: Null takes neither IfExists nor a set operator.")
    return _Operator(qualifier, base, if_exists)


@cache
def _glob(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """IAM wildcards: `*` any run of characters, `?` one character; everything else is literal."""
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """Whether `value` matches an IAM wildcard pattern (`*`, `?`; no character classes)."""
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def arn_match(pattern: str, arn: str) -> bool:
    """ArnLike: each of the six colon-separated ARN parts matched on its own, `*` alone matches all."""
    if pattern == "*":
        return True
    p_parts, a_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(p_parts) != 6 or len(a_parts) != 6:
        return glob_match(pattern, arn)
    return all(glob_match(p, a) for p, a in zip(p_parts, a_parts, strict=True))


def _matches(base: str, policy_value: str, request_value: str) -> bool:
    """The positive form of an operator for one policy value and one request value."""
    if base in ("StringEquals", "StringNotEquals"):
        return request_value == policy_value
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return request_value.casefold() == policy_value.casefold()
    if base in ("StringLike", "StringNotLike"):
        return glob_match(policy_value, request_value)
    if base in ("ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"):
        return arn_match(policy_value, request_value)
    if base == "Bool":
        return request_value.lower() == policy_value.lower()
    try:
        req, pol = float(request_value), float(policy_value)
    except ValueError:
        return False
    return {
        "NumericEquals": req == pol, "NumericNotEquals": req == pol, "NumericLessThan": req < pol,
        "NumericLessThanEquals": req <= pol, "NumericGreaterThan": req > pol,
        "NumericGreaterThanEquals": req >= pol,
    }[base]


def _request_values(value: ContextValue) -> list[str] | None:
    """The request's values for a key as strings; None when the key is missing or empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, str | int | float):
        return [str(value)]
    values = [str(v) for v in value]
    return values or None


def condition_holds(op_name: str, policy_values: Sequence[str], request_value: ContextValue) -> bool:
    """Evaluate one operator and key: the policy's values against the request's value(s).

    Args:
        op_name: the operator as written, e.g. `ForAnyValue:StringNotLike` or `BoolIfExists`.
        policy_values: the condition's values (OR-ed; NOR-ed for a negated operator).
        request_value: the request's value for the key: a string, bool or number, a list for a
            multivalued key, or None when the request does not carry the key.
    """
    op = _operator(op_name)
    values = _request_values(request_value)
    if op.base == "Null":  # values OR-ed like any operator's: ["true", "false"] holds whatever the request
        return any((values is None) == (p.lower() == "true") for p in policy_values)
    if values is None and op.if_exists:
        return True

    def one(value: str) -> bool:
        hit = any(_matches(op.base, p, value) for p in policy_values)
        return not hit if op.negated else hit

    if op.qualifier == "ForAnyValue":
        return values is not None and any(one(v) for v in values)
    if op.qualifier == "ForAllValues":
        return values is None or all(one(v) for v in values)
    if values is None:
        return op.negated
    hit = any(_matches(op.base, p, v) for p in policy_values for v in values)
    return not hit if op.negated else hit


# -- statements and policies ------------------------------------------------------------------------


def _lookup(context: Mapping[str, ContextValue], key: str) -> ContextValue:
    folded = key.casefold()
    for k, v in context.items():
        if k.casefold() == folded:
            return v
    return None


def statement_applies(stmt: Mapping[str, Any], request: Request) -> bool:
    """Whether a (validated) statement's action, resource and condition all match the request."""
    if "Action" in stmt:
        if not any(glob_match(p, request.action, ignore_case=True) for p in _strings(stmt["Action"], "Action")):
            return False
    elif any(glob_match(p, request.action, ignore_case=True) for p in _strings(stmt["NotAction"], "NotAction")):
        return False
    if "Resource" in stmt:
        if not any(arn_match(p, request.resource) for p in _strings(stmt["Resource"], "Resource")):
            return False
    elif any(arn_match(p, request.resource) for p in _strings(stmt["NotResource"], "NotResource")):
        return False
    for op_name, block in stmt.get("Condition", {}).items():
        for key, values in block.items():
            if not condition_holds(op_name, _condition_values(values, key), _lookup(request.context, key)):
                return False
    return True


def evaluate(request: Request, policies: Mapping[str, Mapping[str, Any]], *, subject: str | None = None) -> Decision:
    """Evaluate identity policies (name -> document) for one request.

    An applicable Deny statement in any policy wins; else an applicable Allow allows; else the request is
    implicitly denied. The decision names the first deciding statement, in policy and statement order.

    Args:
        request: the action, resource and context keys.
        policies: the documents by a name used in the decision's reason.
        subject: how the reason names the request; the action when None.

    Raises:
        UsageError: a policy is not a valid identity-policy document.
    """
    what = subject or request.action
    allow: tuple[str, str | None, int] | None = None
    for name, doc in policies.items():
        validate_policy(doc, name)
        for index, stmt in enumerate(_statements(doc)):
            if not statement_applies(stmt, request):
                continue
            sid = stmt.get("Sid")
            if stmt["Effect"] == "Deny":
                return Decision(False, "explicit-deny",
                                f"{what} is denied by {_label(name, sid, index)}.", sid, name)
            if allow is None:
                allow = (name, sid, index)
    if allow is not None:
        name, sid, index = allow
        return Decision(True, "allow", f"{what} is allowed by {_label(name, sid, index)} "
                        "and no statement denies it.", sid, name)
    return Decision(False, "implicit-deny",
                    f"{what} is denied implicitly: no statement allows it.")


def _label(policy: str, sid: str | None, index: int) -> str:
    return f"statement {sid!r} of {policy}" if sid else f"Statement[{index}] of {policy}"

