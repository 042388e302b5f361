"""The simulated account answers a describe of a missing resource as SageMaker does, for every describe
sagetrim makes, and the one classifier recognises each answer."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from sagetrim.aws.errors import is_not_found

APP = {"DomainId": "d-abcdefghijkl", "UserProfileName": "alice", "AppType": "JupyterServer", "AppName": "default"}
ARN = "arn:aws:sagemaker:us-east-1:123456789012"

# (operation, parameters, the code SageMaker answers, words of its message)
ANSWERS = [
    ("describe_notebook_instance", {"NotebookInstanceName": "gone"}, "ValidationException", "RecordNotFound"),
    ("describe_endpoint", {"EndpointName": "gone"}, "ValidationException", "Could not find endpoint"),
    ("describe_endpoint_config", {"EndpointConfigName": "gone"}, "ValidationException",
     "Could not find endpoint configuration"),
    ("describe_model", {"ModelName": "gone"}, "ValidationException", "Could not find model"),
    ("describe_training_job", {"TrainingJobName": "gone"}, "ValidationException", "Requested resource not found."),
    ("describe_hyper_parameter_tuning_job", {"HyperParameterTuningJobName": "gone"}, "ResourceNotFound",
     "Amazon SageMaker can't find a tuning job called gone."),
    ("describe_processing_job", {"ProcessingJobName": "gone"}, "ValidationException", "Could not find processing job"),
    ("describe_transform_job", {"TransformJobName": "gone"}, "ValidationException", "Could not find transform job"),
    ("describe_notebook_instance_lifecycle_config", {"NotebookInstanceLifecycleConfigName": "gone"},
     "ValidationException", "Notebook Instance Lifecycle Config does not exist."),
    ("describe_app", APP, "ResourceNotFound", "does not exist"),
    ("stop_notebook_instance", {"NotebookInstanceName": "gone"}, "ValidationException", "RecordNotFound"),
    ("delete_endpoint", {"EndpointName": "gone"}, "ValidationException", "Could not find endpoint"),
    ("list_tags", {"ResourceArn": f"{ARN}:endpoint/gone"}, "ValidationException", "Could not find endpoint"),
]


@pytest.mark.parametrize(("operation", "params", "code", "words"), ANSWERS, ids=[a[0] for a in ANSWERS])
def test_a_missing_resource_is_answered_as_sagemaker_does(sim, operation, params, code, words) -> None:
    with pytest.raises(ClientError) as raised:
        getattr(sim.client("sagemaker"), operation)(**params)

    error = raised.value.response["Error"]
    assert (error["Code"], raised.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (code, 400)
    assert words in error["Message"]
    assert is_not_found(raised.value)
