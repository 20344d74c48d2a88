"""OpenSearch ML Commons (``_plugins/_ml``): model groups, models, tasks and predictions.

The paths and parameters are ML Commons' REST actions (``RestMLRegisterModelAction``,
``RestMLDeployModelAction``, ``RestMLPredictionAction`` ...); the work and the response bodies are
:class:`retrievo.opensearch.ml_models.MlModels`' (``catalog.ml_models``).
"""

from __future__ import annotations

from typing import Any

from retrievo.api import params as p
from retrievo.api.call import Call, body_object, reply
from retrievo.api.types import RestResponse
from retrievo.opensearch import ml_errors

#: Query parameters of the ML routes (ML Commons reads no others).
REGISTER_PARAMS = frozenset({"deploy"})
NO_PARAMS: frozenset[str] = frozenset()


def _body(call: Call) -> dict[str, Any]:
    return body_object(call.body, "body")


def _optional_body(call: Call) -> dict[str, Any]:
    return {} if call.body is None else body_object(call.body, "body")


def register_group(call: Call) -> dict[str, Any]:
    """``POST /_plugins/_ml/model_groups/_register``."""
    return call.catalog.ml_models.register_group(_body(call))


def get_group(call: Call) -> dict[str, Any]:
    """``GET /_plugins/_ml/model_groups/{model_group_id}``."""
    return call.catalog.ml_models.get_group(str(call.part("model_group_id")))


def delete_group(call: Call) -> RestResponse:
    """``DELETE /_plugins/_ml/model_groups/{model_group_id}``."""
    status, body = call.catalog.ml_models.delete_group(str(call.part("model_group_id")))
    return reply(status, body)


def register_model(call: Call) -> dict[str, Any]:
    """``POST /_plugins/_ml/models/_register[?deploy=true]``."""
    deploy = p.as_bool("deploy", call.param("deploy"))
    return call.catalog.ml_models.register(_body(call), deploy=deploy)


def get_model(call: Call) -> dict[str, Any]:
    """``GET /_plugins/_ml/models/{model_id}``."""
    return call.catalog.ml_models.get_model(str(call.part("model_id")))


def delete_model(call: Call) -> dict[str, Any]:
    """``DELETE /_plugins/_ml/models/{model_id}``."""
    return call.catalog.ml_models.delete_model(str(call.part("model_id")))


def deploy_model(call: Call) -> dict[str, Any]:
    """``POST /_plugins/_ml/models/{model_id}/_deploy`` (a body may name ``node_ids``: a custom deployment
    plan, which ML Commons refuses while ``allow_custom_deployment_plan`` is off, its default)."""
    body = _optional_body(call)
    if body.get("node_ids"):
        raise ml_errors.illegal_argument("Don't allow custom deployment plan")
    return call.catalog.ml_models.deploy(str(call.part("model_id")))


def undeploy_model(call: Call) -> dict[str, Any]:
    """``POST /_plugins/_ml/models/{model_id}/_undeploy`` and ``POST /_plugins/_ml/models/_undeploy``
    (``{"model_ids": [...]}``, or no body for every deployed model; ``node_ids`` may only name this node)."""
    body = _optional_body(call)
    models = call.catalog.ml_models
    nodes = body.get("node_ids")
    if nodes is not None and (not isinstance(nodes, list) or any(n != models.node_id for n in nodes)):
        raise ml_errors.illegal_argument(f"node_ids may only name this node [{models.node_id}]")
    model_id = call.part("model_id")
    ids = [str(model_id)] if model_id is not None else body.get("model_ids")
    if ids is None:
        ids = models.deployed_model_ids()  # no model named: every deployed model, as ML Commons does
    elif not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ml_errors.illegal_argument("model_ids must be a list of model ids")
    stats: dict[str, str] = {}
    for one in ids:
        stats.update(models.undeploy(one)[models.node_id]["stats"])
    # a node that undeployed nothing is left out of the response
    return {models.node_id: {"stats": stats}} if stats else {}


def predict(call: Call) -> dict[str, Any]:
    """``POST /_plugins/_ml/models/{model_id}/_predict`` and ``/_plugins/_ml/_predict/{algorithm}/{model_id}``."""
    algorithm = call.part("algorithm")
    return call.catalog.ml_models.predict(
        str(call.part("model_id")), _body(call), None if algorithm is None else str(algorithm)
    )


def get_task(call: Call) -> dict[str, Any]:
    """``GET /_plugins/_ml/tasks/{task_id}``."""
    return call.catalog.ml_models.get_task(str(call.part("task_id")))


def delete_task(call: Call) -> RestResponse:
    """``DELETE /_plugins/_ml/tasks/{task_id}``."""
    status, body = call.catalog.ml_models.delete_task(str(call.part("task_id")))
    return reply(status, body)
