"""What the sim reads off an AWS request, and how it writes an AWS error back in the request's protocol.

A request names its service and region in the SigV4 credential scope of its ``Authorization`` header
(``Credential=AKID/DATE/REGION/SERVICE/aws4_request``), its account through the access key (the way moto
resolves it, so assumed-role keys map to the role's account), and its operation in ``X-Amz-Target`` (JSON
protocols), the ``Action`` form field (query protocol) or the URL path (``/service/S/operation/OP`` for
Smithy RPC v2 CBOR).
"""

from __future__ import annotations

import io
import json
import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "Protocol",
    "RequestInfo",
    "SimServiceError",
    "WireResponse",
    "cbor_encode_text_map",
    "identify",
    "read_body",
    "render_error",
    "render_json",
]

Protocol = Literal["json", "query", "rpc-v2-cbor", "rest-json", "rest-xml"]

# SigV4 signing names that differ from the boto3 client name.
SIGNING_NAME_TO_SERVICE = {"monitoring": "cloudwatch", "email": "ses", "states": "stepfunctions",
                           "tagging": "resourcegroupstaggingapi"}

DEFAULT_ACCOUNT_ID = "123456789012"

_CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_CBOR_PATH_RE = re.compile(r"^/service/([^/]+)/operation/([^/]+)$")
_RUNTIME_PATH_RE = re.compile(
    r"^/(?:inference-components|endpoints)/[^/]+/(invocations|async-invocations|invocations-response-stream)$"
)
_RUNTIME_OPERATIONS = {
    "invocations": "InvokeEndpoint",
    "async-invocations": "InvokeEndpointAsync",
    "invocations-response-stream": "InvokeEndpointWithResponseStream",
}


class SimServiceError(Exception):
    """An AWS error raised by a sim handler, rendered in the protocol of the request.

    Args:
        code: the AWS error code, e.g. ``ValidationException``.
        message: the error message.
        status: the HTTP status.
    """

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class RequestInfo:
    """One AWS API request as the sim sees it."""

    service: str
    operation: str
    region: str
    account: str
    access_key: str
    protocol: Protocol
    content_type: str

    @property
    def key(self) -> str:
        """``service:Operation``, the key of the request log."""
        return f"{self.service}:{self.operation}"


@dataclass(frozen=True)
class WireResponse:
    """A rendered HTTP response: status, headers and body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back so that the next WSGI app can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    body: bytes = stream.read(length) if stream is not None and length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _header(environ: Mapping[str, Any], name: str) -> str:
    return str(environ.get("HTTP_" + name.upper().replace("-", "_"), ""))


def _account_for(access_key: str, environ: Mapping[str, Any]) -> str:
    """Resolve the account the way moto does: env override, header override, then the access key."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    header = _header(environ, "x-moto-account-id")
    if header:
        return header
    if not access_key:
        return DEFAULT_ACCOUNT_ID
    from moto.iam.models import get_account_id_from

    return str(get_account_id_from(access_key))


def identify(environ: Mapping[str, Any], body: bytes) -> RequestInfo | None:
    """Name the service, operation, region, account and protocol of a signed AWS request.

    Returns:
        ``None`` for a request without a SigV4 credential scope (moto's own API, health checks).
    """
    match = _CREDENTIAL_RE.search(_header(environ, "authorization"))
    if match is None:
        return None
    access_key, region, signing_name = match.groups()
    service = SIGNING_NAME_TO_SERVICE.get(signing_name, signing_name)
    path = str(environ.get("PATH_INFO", ""))
    content_type = str(environ.get("CONTENT_TYPE", ""))
    target = _header(environ, "x-amz-target")
    operation = ""
    protocol: Protocol
    cbor_path = _CBOR_PATH_RE.match(path)
    runtime_path = _RUNTIME_PATH_RE.match(path) if signing_name == "sagemaker" else None
    if _header(environ, "smithy-protocol") == "rpc-v2-cbor" or cbor_path:
        protocol = "rpc-v2-cbor"
        operation = cbor_path.group(2) if cbor_path else ""
    elif target:
        protocol = "json"
        operation = target.rsplit(".", 1)[-1]
    elif runtime_path:
        protocol = "rest-json"
        service = "sagemaker-runtime"
        operation = _RUNTIME_OPERATIONS[runtime_path.group(1)]
    elif content_type.startswith("application/x-www-form-urlencoded") or "Action=" in str(
        environ.get("QUERY_STRING", "")
    ):
        protocol = "query"
        form = parse_qs(body.decode("utf-8", "replace")) if body else {}
        if not form:
            form = parse_qs(str(environ.get("QUERY_STRING", "")))
        operation = form.get("Action", [""])[0]
    elif content_type.startswith("application/json"):
        protocol = "rest-json"
    else:
        protocol = "rest-xml"
    return RequestInfo(
        service=service,
        operation=operation,
        region=region,
        account=_account_for(access_key, environ),
        access_key=access_key,
        protocol=protocol,
        content_type=content_type,
    )


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if length < 1 << (8 * size):
            return bytes([major << 5 | extra]) + length.to_bytes(size, "big")
    raise ValueError("CBOR item too long")


def cbor_encode_text_map(items: Mapping[str, str]) -> bytes:
    """Encode a map of text strings to text strings as CBOR (RFC 8949 major types 3 and 5)."""
    out = bytearray(_cbor_head(5, len(items)))
    for key, value in items.items():
        for text in (key, value):
            data = text.encode("utf-8")
            out += _cbor_head(3, len(data))
            out += data
    return bytes(out)


def _json_content_type(info: RequestInfo) -> str:
    if info.content_type.startswith("application/x-amz-json-"):
        return info.content_type
    return "application/x-amz-json-1.1"


def render_error(info: RequestInfo, code: str, message: str, status: int) -> WireResponse:
    """Write an AWS error the way the service would for the protocol the request used.

    botocore reads ``x-amzn-ErrorType`` / ``__type`` for JSON protocols, ``<Error><Code>`` for query and
    REST-XML, and the ``__type`` entry of a CBOR map for Smithy RPC v2 CBOR.
    """
    request_id = str(uuid.uuid4())
    headers: list[tuple[str, str]] = [("x-amzn-RequestId", request_id)]
    body: bytes
    if info.protocol == "rpc-v2-cbor":
        headers += [("smithy-protocol", "rpc-v2-cbor"), ("Content-Type", "application/cbor")]
        body = cbor_encode_text_map({"__type": code, "message": message})
    elif info.protocol in ("json", "rest-json"):
        content_type = _json_content_type(info) if info.protocol == "json" else "application/json"
        headers += [("Content-Type", content_type), ("x-amzn-ErrorType", code)]
        body = json.dumps({"__type": code, "message": message}).encode()
    elif info.protocol == "query":
        fault = "Sender" if status < 500 else "Receiver"
        headers.append(("Content-Type", "text/xml"))
        body = (
            "<ErrorResponse><Error>"
            f"<Type>{fault}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
    else:
        headers.append(("Content-Type", "application/xml"))
        body = (
            f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
    headers.append(("Content-Length", str(len(body))))
    return WireResponse(status=status, headers=headers, body=body)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def render_json(info: RequestInfo, payload: Mapping[str, Any]) -> WireResponse:
    """Write a successful JSON-protocol response; datetimes become epoch seconds as AWS sends them."""
    body = json.dumps(payload, default=_json_default).encode()
    headers = [
        ("x-amzn-RequestId", str(uuid.uuid4())),
        ("Content-Type", _json_content_type(info)),
        ("Content-Length", str(len(body))),
    ]
    return WireResponse(status=200, headers=headers, body=body)
