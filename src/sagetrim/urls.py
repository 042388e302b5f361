"""Outbound URLs: which hosts are loopback, which webhook URLs are acceptable, and credentials kept out of text.

A webhook receives the findings of an account, so it is reached over https only; plain http is accepted
for a loopback address alone (a local test receiver). Credentials written into a URL (``user:pass@host``)
are taken out of it before it is used, printed or journaled.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from dataclasses import dataclass

__all__ = ["WebhookTarget", "is_loopback_host", "redact_url", "webhook_target"]


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` is literally a loopback address: an IPv4 address in 127.0.0.0/8, ``::1``, or the
    name ``localhost`` exactly. A name that merely starts with ``127.`` (``127.evil.example``) is not."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return address in ipaddress.IPv4Network("127.0.0.0/8")
    return address == ipaddress.IPv6Address("::1")


def _host_port(parts: urllib.parse.SplitResult) -> str:
    """``host[:port]`` of a URL, without any credentials."""
    return parts.netloc.rpartition("@")[2]


def redact_url(url: str) -> str:
    """The URL with any ``user:password@`` taken out, for messages and listings."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=_host_port(parts)))


@dataclass(frozen=True)
class WebhookTarget:
    """A webhook URL split into what is sent where.

    Attributes:
        url: the URL to request, without credentials.
        origin: ``scheme://host[:port]``, the only part of the URL that messages name (the path of a
            Slack webhook is its secret).
        username: the user name written into the URL, if any (sent as HTTP Basic authentication).
        password: the password written into the URL, if any.
    """

    url: str
    origin: str
    username: str | None = None
    password: str | None = None


def webhook_target(url: str) -> WebhookTarget:
    """Check a webhook URL and take any credentials out of it.

    Raises:
        ValueError: not https (or http to a loopback address), or no host; the message names neither the
            path nor the credentials.
    """
    try:
        parts = urllib.parse.urlsplit(url.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        raise ValueError("the webhook URL is malformed; it looks like https://HOST/PATH") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host:
        raise ValueError("a webhook URL starts with https:// and names a host")
    if scheme == "http" and not is_loopback_host(host):
        raise ValueError("a webhook URL starts with https:// (http:// is accepted only for a loopback address "
                         "such as 127.0.0.1)")
    clean = parts._replace(scheme=scheme, netloc=_host_port(parts))
    username = urllib.parse.unquote(parts.username) if parts.username is not None else None
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    return WebhookTarget(
        url=urllib.parse.urlunsplit(clean),
        origin=f"{scheme}://{clean.netloc}",
        username=username,
        password=password,
    )
