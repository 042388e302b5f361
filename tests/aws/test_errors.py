"""One classifier of "not found": what AWS answers about a missing resource is, and nothing else is."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from sagetrim.aws.errors import error_code, is_not_found


def _error(code: str, message: str, operation: str = "DescribeEndpoint") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


# What AWS answers when the resource asked about does not exist.
MISSING = [
    ("ValidationException", "RecordNotFound", "DescribeNotebookInstance"),
    ("ValidationException", 'Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/x".',
     "DescribeEndpoint"),
    ("ValidationException", "Could not find endpoint configuration 'arn:aws:sagemaker:us-east-1:1:endpoint-config/x'.",
     "DescribeEndpointConfig"),
    ("ValidationException", "Could not find model 'arn:aws:sagemaker:us-east-1:1:model/x'.", "DescribeModel"),
    ("ValidationException", "Requested resource not found.", "DescribeTrainingJob"),
    ("ValidationException", "Could not find processing job 'arn:aws:sagemaker:us-east-1:1:processing-job/x'.",
     "DescribeProcessingJob"),
    ("ResourceNotFound", "Amazon SageMaker can't find a tuning job called x. Type another name.",
     "DescribeHyperParameterTuningJob"),
    ("ResourceNotFound", "App [arn:aws:sagemaker:us-east-1:1:app/d-1/u/jupyterserver/default] does not exist.",
     "DescribeApp"),
    ("ValidationException", "Unable to describe Notebook Instance Lifecycle Config 'x'. (Details: Notebook Instance "
                            "Lifecycle Config does not exist.)", "DescribeNotebookInstanceLifecycleConfig"),
    ("ObjectNotFoundException", "No scalable target found", "DeregisterScalableTarget"),
]

# Errors that say something else: the resource may well exist.
OTHER = [
    ("AccessDeniedException", "User is not authorized to perform: sagemaker:DescribeEndpoint"),
    ("ThrottlingException", "Rate exceeded"),
    ("ValidationException", "1 validation error detected: Value 'a_b' at 'endpointName' failed to satisfy constraint: "
                            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"),
    ("ValidationException", "Cannot update in-progress endpoint"),
    ("InternalFailure", "The request processing has failed because of an unknown error."),
]


@pytest.mark.parametrize(("code", "message", "operation"), MISSING)
def test_what_aws_answers_for_a_missing_resource_is_not_found(code: str, message: str, operation: str) -> None:
    assert is_not_found(_error(code, message, operation))


@pytest.mark.parametrize(("code", "message"), OTHER)
def test_any_other_error_is_not_not_found(code: str, message: str) -> None:
    assert not is_not_found(_error(code, message))


def test_an_error_that_never_reached_aws_is_not_not_found() -> None:
    assert not is_not_found(EndpointConnectionError(endpoint_url="https://api.sagemaker.us-east-1.amazonaws.com"))
    assert not is_not_found(KeyError("x"))


def test_the_error_code_is_the_aws_code_or_the_exception_class() -> None:
    assert error_code(_error("ResourceNotFound", "gone")) == "ResourceNotFound"
    assert error_code(EndpointConnectionError(endpoint_url="https://x")) == "EndpointConnectionError"
