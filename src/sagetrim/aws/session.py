"""boto3 sessions and clients configured the way every sagetrim call wants them."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ProfileNotFound
from botocore.parsers import DEFAULT_TIMESTAMP_PARSER

from sagetrim.errors import UsageError

FALLBACK_REGION = "us-east-1"
# Adaptive retries absorb throttling; a pool large enough for the concurrent calls of a scan.
CLIENT_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 8}, max_pool_connections=32,
                       connect_timeout=10, read_timeout=60)


def make_session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A boto3 session from the standard credential chain (profile, AWS_* variables, roles)."""
    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound:
        raise UsageError(
            f"the AWS profile {profile!r} is not configured; `aws configure list-profiles` lists them."
        ) from None


def default_region(session: boto3.Session | None = None) -> str:
    """The region the user's configuration names, else us-east-1."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region and session is not None:
        region = session.region_name
    return region or FALLBACK_REGION


def _epoch_or_default(value: Any) -> datetime:
    """botocore's timestamp parsing, minus its time-zone probing for the epoch numbers CloudWatch returns
    by the hundred thousand (the default parser spends most of a large GetMetricData answer there)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    parsed: datetime = DEFAULT_TIMESTAMP_PARSER(value)
    return parsed


def fast_timestamps(session: boto3.Session) -> None:
    """Make the session's clients created from now on parse epoch timestamps directly (same instants)."""
    factory = session._session.get_component("response_parser_factory")
    factory.set_parser_defaults(timestamp_parser=_epoch_or_default)


def caller_account(session: boto3.Session, region: str | None = None) -> str:
    """The account the session's credentials belong to, with an error that says what to do when none do."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    from sagetrim.errors import CollectionError

    try:
        return str(client(session, "sts", region or default_region(session)).get_caller_identity()["Account"])
    except NoCredentialsError:
        raise UsageError(
            "no AWS credentials found. Configure them (`aws configure`, AWS_PROFILE, or --profile), "
            "or try `sagetrim demo`, which needs none."
        ) from None
    except ClientError as exc:
        raise UsageError(f"these AWS credentials are not accepted: {exc}") from None
    except BotoCoreError as exc:
        raise CollectionError(f"cannot reach AWS STS to tell which account this is: {exc}") from None


def client(session: boto3.Session, service: str, region: str, config: Config | None = None) -> Any:
    """A client with sagetrim's retry and pool settings (honours AWS_ENDPOINT_URL like any boto3 client)."""
    if service == "cloudwatch":
        fast_timestamps(session)
    merged = CLIENT_CONFIG.merge(config) if config else CLIENT_CONFIG
    return session.client(service, region_name=region, config=merged)  # type: ignore[call-overload]
