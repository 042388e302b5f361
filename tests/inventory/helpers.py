"""Resources made in the simulated account with plain boto3 calls, for the collectors' tests."""

from __future__ import annotations

from typing import Any

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3-cpu-py311"


def make_notebook(sim: Any, name: str) -> None:
    sim.client("sagemaker", REGION).create_notebook_instance(NotebookInstanceName=name, InstanceType="ml.t3.medium",
                                                             RoleArn=ROLE, VolumeSizeInGB=50)


def make_endpoint(sim: Any, name: str) -> None:
    sm = sim.client("sagemaker", REGION)
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": name, "InstanceType": "ml.m5.large", "InitialInstanceCount": 2}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)


def make_training(sim: Any, name: str, status: str = "InProgress") -> None:
    sim.client("sagemaker", REGION).create_training_job(
        TrainingJobName=name, RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        OutputDataConfig={"S3OutputPath": "s3://bucket/out"},
        ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 30},
        StoppingCondition={"MaxRuntimeInSeconds": 86400})
    sim.set_status(sim.account_id, REGION, "training-job", name, status)


def make_tuning(sim: Any, name: str) -> None:
    sim.client("sagemaker", REGION).create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig={"Strategy": "Bayesian", "ResourceLimits": {
            "MaxNumberOfTrainingJobs": 10, "MaxParallelTrainingJobs": 2}},
        TrainingJobDefinition={
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"}, "RoleArn": ROLE,
            "OutputDataConfig": {"S3OutputPath": "s3://models/tuning"},
            "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600}})
    sim.set_status(sim.account_id, REGION, "hyper-parameter-tuning-job", name, "InProgress")


def make_processing(sim: Any, name: str, status: str = "InProgress") -> None:
    sim.client("sagemaker", REGION).create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE, AppSpecification={"ImageUri": IMAGE},
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                               "VolumeSizeInGB": 30}},
        StoppingCondition={"MaxRuntimeInSeconds": 3600})
    sim.set_status(sim.account_id, REGION, "processing-job", name, status)


def make_transform(sim: Any, name: str) -> None:
    sm = sim.client("sagemaker", REGION)
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    sm.create_transform_job(
        TransformJobName=name, ModelName=name,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://batch/in"}}},
        TransformOutput={"S3OutputPath": "s3://batch/out"},
        TransformResources={"InstanceType": "ml.c5.xlarge", "InstanceCount": 3})
    sim.set_status(sim.account_id, REGION, "transform-job", name, "InProgress")
