"""Shadow variants and UpdateEndpoint, which moto lacks.

moto drops an endpoint configuration's ``ShadowProductionVariants`` and has no ``UpdateEndpoint``. Here:
- CreateEndpointConfig keeps the shadow variants (their instance types checked as production ones are) and
  DescribeEndpointConfig returns them; an endpoint created from it lists them in DescribeEndpoint as
  ``ShadowProductionVariants`` summaries (current and desired instance count and weight).
- UpdateEndpoint moves an endpoint to another configuration, as AWS does: the endpoint must be
  ``InService`` (AWS refuses an update in progress), the configuration must exist, and a variant that is a
  scalable target of Application Auto Scaling may be neither removed nor given another instance type (AWS
  fails the call: the target must be deregistered first). With ``RetainAllVariantProperties`` a variant kept
  under the same name keeps its current instance count and weight; without it, the new configuration's
  initial ones apply. The update is immediate (moto's endpoints have no Updating phase) and touches
  ``LastModifiedTime``.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from sagetrim.sim.moto_patch import existing, replace

__all__ = ["install"]

_lock = threading.Lock()
_installed = False
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def install() -> None:
    """Patch moto's SageMaker with shadow variants and UpdateEndpoint. Idempotent."""
    global _installed
    with _lock:
        if _installed:
            return
        _install_shadow_variants()
        _install_update_endpoint()
        _installed = True


def _install_shadow_variants() -> None:
    models: Any = importlib.import_module("moto.sagemaker.models")
    responses: Any = importlib.import_module("moto.sagemaker.responses")
    create_config = existing(responses.SageMakerResponse, "create_endpoint_config")

    def create_endpoint_config(self: Any) -> Any:
        shadows = self._get_param("ShadowProductionVariants") or []
        config_type = existing(models.FakeEndpointConfig, "validate_production_variants")
        # Checked before the configuration exists, so a bad shadow variant creates nothing.
        config_type(models.FakeEndpointConfig.__new__(models.FakeEndpointConfig), shadows)
        self.sagemaker_backend.validate_production_variants(shadows)
        result = create_config(self)
        if shadows:
            config = self.sagemaker_backend.endpoint_configs[self._get_param("EndpointConfigName")]
            config.shadow_production_variants = shadows
        return result

    create_endpoint_config.__name__ = "create_endpoint_config"
    replace(responses.SageMakerResponse, "create_endpoint_config", create_endpoint_config)

    backend = models.SageMakerModelBackend
    create_endpoint = existing(backend, "create_endpoint")

    def endpoint_with_shadows(self: Any, *args: Any, **kwargs: Any) -> Any:
        endpoint = create_endpoint(self, *args, **kwargs)
        config = self.endpoint_configs.get(endpoint.endpoint_config_name)
        shadows = getattr(config, "shadow_production_variants", None)
        if shadows:
            endpoint.shadow_production_variants = endpoint._process_production_variants(shadows)
        return endpoint

    replace(backend, "create_endpoint", endpoint_with_shadows)


def _registered_variants(account: str, region: str, endpoint: str) -> set[str]:
    """The variants of ``endpoint`` that are scalable targets of Application Auto Scaling."""
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    scaling = applicationautoscaling_backends[account][region]
    prefix = f"endpoint/{endpoint}/variant/"
    return {resource_id.removeprefix(prefix)
            for resource_id in existing(scaling, "targets").get(SCALABLE_DIMENSION, {})
            if resource_id.startswith(prefix)}


def _instance_types(config: Any) -> dict[str, str | None]:
    if config is None:
        return {}
    return {v["VariantName"]: v.get("InstanceType")
            for v in [*config.production_variants, *getattr(config, "shadow_production_variants", [])]}


def _update(backend: Any, params: dict[str, Any]) -> dict[str, str]:
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.utils import arn_formatter

    def arn(kind: str, resource: str) -> str:
        return str(arn_formatter(kind, resource, backend.account_id, backend.region_name))

    name, config_name = params["EndpointName"], params["EndpointConfigName"]
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        raise ValidationError(message=f"Could not find endpoint '{arn('endpoint', name)}'.")
    if endpoint.endpoint_status != "InService":
        raise ValidationError(message=f'Cannot update in-progress endpoint "{endpoint.arn}".')
    config = backend.endpoint_configs.get(config_name)
    if config is None:
        raise ValidationError(message=f"Could not find endpoint configuration '{arn('endpoint-config', config_name)}'.")
    before = _instance_types(backend.endpoint_configs.get(endpoint.endpoint_config_name))
    after = _instance_types(config)
    blocked = sorted(v for v in _registered_variants(backend.account_id, backend.region_name, name)
                     if v not in after or (v in before and before[v] != after[v]))
    if blocked:
        raise ValidationError(
            message=f"The variant(s) {blocked} of endpoint {arn('endpoint', name)} are registered as scalable "
                    "targets with Application Auto Scaling; deregister them before removing them or changing "
                    "their instance type.")
    variants = endpoint._process_production_variants(config.production_variants)
    shadows = endpoint._process_production_variants(getattr(config, "shadow_production_variants", []))
    if params.get("RetainAllVariantProperties"):
        current = {v["VariantName"]: v for v in [*endpoint.production_variants,
                                                  *getattr(endpoint, "shadow_production_variants", [])]}
        for variant in [*variants, *shadows]:
            kept = current.get(variant["VariantName"], {})
            for key in ("CurrentInstanceCount", "DesiredInstanceCount", "CurrentWeight", "DesiredWeight"):
                if key in kept:
                    variant[key] = kept[key]
    endpoint.endpoint_config_name = config_name
    endpoint.production_variants = variants
    if shadows:
        endpoint.shadow_production_variants = shadows
    else:
        endpoint.__dict__.pop("shadow_production_variants", None)
    if config.async_inference_config:
        endpoint.async_inference_config = config.async_inference_config
    else:
        endpoint.__dict__.pop("async_inference_config", None)
    endpoint.data_capture_config = config.data_capture_config
    endpoint.last_modified_time = importlib.import_module("moto.sagemaker.models").utcnow()  # the sim clock
    return {"EndpointArn": endpoint.arn}


def _install_update_endpoint() -> None:
    responses: Any = importlib.import_module("moto.sagemaker.responses")
    if getattr(responses.SageMakerResponse, "update_endpoint", None) is not None:
        return  # moto serves it itself

    def update_endpoint(self: Any) -> Any:
        from moto.core.responses import ActionResult

        return ActionResult(_update(self.sagemaker_backend, self.params))

    update_endpoint.__name__ = "update_endpoint"
    responses.SageMakerResponse.update_endpoint = update_endpoint
