"""What an AWS error means, decided in one place: is the resource not there (any more)?

SageMaker says so in several ways. Its describes of notebook instances, endpoints, endpoint configurations,
models, training, processing and transform jobs answer ``ValidationException`` with a message that says it
("RecordNotFound", "Could not find endpoint ...", "Requested resource not found.", "... does not exist");
tuning jobs, Studio apps and spaces answer ``ResourceNotFound``. Other services the actions call use
dedicated codes (Application Auto Scaling ``ObjectNotFoundException``, IAM ``NoSuchEntity``).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

__all__ = ["error_code", "is_not_found"]

NOT_FOUND_CODES = frozenset({"ResourceNotFound", "ResourceNotFoundException", "NoSuchEntity",
                             "ObjectNotFoundException", "NotFoundException"})
# What SageMaker's ValidationException says when the resource is missing (compared in lower case).
NOT_FOUND_WORDS = ("could not find", "can't find", "recordnotfound", "does not exist", "not found")


def error_code(exc: BaseException) -> str:
    """The AWS error code of a boto error, or the exception's class name."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "")) or type(exc).__name__
    return type(exc).__name__


def is_not_found(exc: BaseException) -> bool:
    """Whether a boto error means that the resource asked about does not exist (any more)."""
    if not isinstance(exc, ClientError):
        return False
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    if code in NOT_FOUND_CODES:
        return True
    message = str(error.get("Message", "")).lower()
    return code == "ValidationException" and any(words in message for words in NOT_FOUND_WORDS)
