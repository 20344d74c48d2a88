"""The errors ML Commons answers with, in OpenSearch's (Elasticsearch-shaped) error body.

ML Commons throws Java exceptions and OpenSearch's REST layer turns each into ``{"error": {"root_cause":
[...], "type", "reason"}, "status"}``: ``OpenSearchStatusException`` is ``status_exception`` with the
status it was given, ``IllegalArgumentException`` is ``illegal_argument_exception`` (400) and
``CircuitBreakingException`` is ``circuit_breaking_exception`` (429, with its byte counts). The messages
are ML Commons' own (quoted from its transport actions; the source file is named beside each).
"""

from __future__ import annotations

from retrievo.errors import ApiError, api_error

#: ``MLExceptionUtils.LOCAL_MODEL_DISABLED_ERR_MSG``.
LOCAL_MODEL_DISABLED = (
    'Local Model is currently disabled. To enable it, update the setting "plugins.ml_commons.local_model.enabled" '
    "to true."
)
#: ``TransportRegisterModelAction``: a ``url`` while ``allow_registering_model_via_url`` is false.
URL_NOT_ALLOWED = (
    "To upload custom model user needs to enable allow_registering_model_via_url settings. Otherwise please use "
    "OpenSearch pre-trained models."
)
#: ``TransportRegisterModelAction``: a ``url`` that ``trusted_url_regex`` does not match.
URL_NOT_TRUSTED = "URL can't match trusted url regex"
#: ``MLPredictTaskRunner``: predicting with a local model that is not deployed.
MODEL_NOT_READY = "Model not ready yet. Please deploy the model first."
#: ``DeleteModelTransportAction``.
DELETE_DEPLOYED = "Model cannot be deleted in deploying or deployed state. Try undeploy model first then delete"
#: ``DeleteModelGroupTransportAction``.
GROUP_HAS_MODELS = "Cannot delete the model group when it has associated model versions"
#: ``MLModelGroupManager.validateSecurityDisabledOrModelAccessControlDisabled``.
ACCESS_CONTROL_DISABLED = (
    "You cannot specify model access control parameters because the Security plugin or model access control is "
    "disabled on your cluster."
)
#: ``NativeMemoryCircuitBreaker`` through ``MLNodeUtils.checkOpenCircuitBreaker``.
NATIVE_MEMORY_BREAKER_OPEN = "Native Memory Circuit Breaker is open, please check your resources!"


def status_exception(reason: str, status: int) -> ApiError:
    """``OpenSearchStatusException``."""
    return api_error("status_exception", reason, status=status)


def illegal_argument(reason: str) -> ApiError:
    """``IllegalArgumentException``."""
    return api_error("illegal_argument_exception", reason, status=400)


def circuit_breaking(reason: str) -> ApiError:
    """``CircuitBreakingException(message, TRANSIENT)``: no byte counts (0), ``TRANSIENT`` durability."""
    return api_error(
        "circuit_breaking_exception", reason, status=429, bytes_wanted=0, bytes_limit=0, durability="TRANSIENT"
    )


def model_not_found() -> ApiError:
    """``MLModelManager.getModel`` (predict, deploy) and ``DeleteModelTransportAction``."""
    return status_exception("Failed to find model", 404)


def model_not_found_by_id(model_id: str) -> ApiError:
    """``GetModelTransportAction``."""
    return status_exception(f"Failed to find model with the provided model id: {model_id}", 404)


def task_not_found() -> ApiError:
    """``GetTaskTransportAction`` / ``DeleteTaskTransportAction``."""
    return status_exception("Failed to find task", 404)
