"""The Elasticsearch exceptions the ``_inference`` API raises, built on :mod:`retrievo.errors`.

Each constructor is named after the Java exception whose JSON body it reproduces, so a reader can
match a message here to its origin in Elasticsearch's inference plugin:

* ``ElasticsearchStatusException``  -> ``status_exception`` (status chosen by the thrower)
* ``ResourceNotFoundException``     -> ``resource_not_found_exception`` (404)
* ``ResourceAlreadyExistsException``-> ``resource_already_exists_exception`` (400)
* ``ValidationException``           -> ``validation_exception`` (400), numbered messages
* ``ActionRequestValidationException`` -> :func:`retrievo.errors.validation_error`

Values inside messages are printed the way Java prints them (``true``, ``{a=1}``, ``[x, y]``)
because Elasticsearch builds these messages with ``String.format`` / ``toString``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from retrievo.errors import (
    ApiError,
    BadRequestError,
    NotFoundError,
    api_error,
    bad_request,
    not_found,
)
from retrievo.java_text import java_str


def java_double(value: int | float) -> str:
    """``String.valueOf(double)`` for the integral bounds Elasticsearch formats with ``%s``."""
    return repr(float(value))


def status_exception(reason: str, status: int = 400) -> ApiError:
    """``ElasticsearchStatusException``: the inference plugin's general-purpose error."""
    return api_error("status_exception", reason, status=status)


def endpoint_not_found(inference_id: str) -> NotFoundError:
    """``ModelRegistry.inferenceNotFoundException``."""
    return not_found("resource_not_found_exception", f"Inference endpoint not found [{inference_id}]")


def endpoint_already_exists(inference_id: str) -> BadRequestError:
    """``ResourceAlreadyExistsException`` from ``ModelRegistry.storeModel`` (a version conflict)."""
    return bad_request("resource_already_exists_exception", f"Inference endpoint [{inference_id}] already exists")


def validation_exception(messages: Sequence[str]) -> BadRequestError:
    """``org.elasticsearch.common.ValidationException`` thrown by settings parsers."""
    body = "".join(f"{i}: {m};" for i, m in enumerate(messages, 1))
    return bad_request("validation_exception", f"Validation Failed: {body}")


def unknown_settings(settings: Mapping[str, Any], service: str) -> ApiError:
    """``ServiceUtils.unknownSettingsError``: settings left over after a service parsed its config."""
    return status_exception(
        f"Configuration contains settings [{java_str(settings)}] unknown to the [{service}] service"
    )


def incompatible_task_type(requested: str, actual: str) -> ApiError:
    """What inference calls raise when the URL's task type differs from the endpoint's."""
    return status_exception(
        f"Incompatible task_type, the requested type [{requested}] does not match the model type [{actual}]"
    )


def mismatched_task_type(requested: str, actual: str) -> ApiError:
    """``InferenceExceptions.mismatchedTaskTypeException``: the GET and DELETE wording."""
    return status_exception(
        f"Requested task type [{requested}] does not match the inference endpoint's task type [{actual}]"
    )


def unsupported_task_type(service: str, task_type: str) -> ApiError:
    """``TaskType.unsupportedTaskTypeErrorMsg`` (``ServiceUtils.createInvalidTaskTypeException``)."""
    return status_exception(f"The [{service}] service does not support task type [{task_type}]")
