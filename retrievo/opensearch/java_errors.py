"""The errors OpenSearch's search pipelines answer with, built the way OpenSearch renders them.

Pipeline code in OpenSearch fails with plain Java exceptions (``IllegalArgumentException``,
``IllegalStateException``, a ``ClassCastException`` where a configuration value has the wrong type)
as well as OpenSearch's own. Where that surfaces depends on when it happens:

- while a pipeline is put, the exception is the response: ``ConfigurationUtils`` errors are
  ``parse_exception`` with the processor's type, tag and property as extra keys;
- while a search runs, ``Pipeline`` wraps a processor's failure in
  ``SearchPipelineProcessingException`` (an ``OpenSearchWrapperException``): the body's type is
  ``search_pipeline_processing_exception``, its reason the cause's ``toString()``, its ``caused_by`` the
  cause, its ``root_cause`` the cause's root causes, and its status the cause's
  (``ExceptionsHelper.status``: 400 for ``IllegalArgumentException``, 500 for other Java exceptions).

:class:`JavaFailure` stands for a Java exception thrown by processor code; :func:`processing_failure`
wraps it (or an ``ApiError`` from the model layer) as OpenSearch wraps a failed processor.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import ApiError, error_body, error_cause, error_from_body

#: Java exception classes by OpenSearch's error type, and the status ``ExceptionsHelper.status`` gives.
_JAVA_CLASSES: dict[str, tuple[str, int]] = {
    "illegal_argument_exception": ("java.lang.IllegalArgumentException", 400),
    "illegal_state_exception": ("java.lang.IllegalStateException", 500),
    "null_pointer_exception": ("java.lang.NullPointerException", 500),
    "class_cast_exception": ("java.lang.ClassCastException", 500),
    "array_index_out_of_bounds_exception": ("java.lang.ArrayIndexOutOfBoundsException", 500),
    "index_out_of_bounds_exception": ("java.lang.IndexOutOfBoundsException", 500),
    "number_format_exception": ("java.lang.NumberFormatException", 400),
}


class JavaFailure(Exception):
    """A Java exception thrown by OpenSearch's processor code (not an ``OpenSearchException``)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.java_class, self.status = _JAVA_CLASSES[error_type]

    @property
    def status_code(self) -> int:
        return self.status

    @property
    def body(self) -> dict[str, Any]:
        """The error body were it to reach the REST layer unwrapped (the router reads ``body`` and
        ``status_code``)."""
        return error_body(self.error_type, self.message, self.status)

    def to_string(self) -> str:
        """``Throwable.toString()``: the class name, then ``": message"``."""
        return f"{self.java_class}: {self.message}"

    def as_api_error(self) -> ApiError:
        """The response when the exception reaches the REST layer unwrapped (while a pipeline is put)."""
        return error_from_body(self.status, self.body)


def illegal_argument(message: str) -> JavaFailure:
    return JavaFailure("illegal_argument_exception", message)


def illegal_state(message: str) -> JavaFailure:
    return JavaFailure("illegal_state_exception", message)


def java_class_name(value: Any) -> str:
    """``value.getClass().getName()`` of a JSON value as OpenSearch's parser builds it (``map()``:
    ``HashMap``; arrays ``ArrayList``; integers ``Integer``, ``Long`` or ``BigInteger`` by size)."""
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return "java.lang.Integer"
        return "java.lang.Long" if -(2**63) <= value < 2**63 else "java.math.BigInteger"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, list):
        return "java.util.ArrayList"
    if isinstance(value, dict):
        return "java.util.HashMap"
    return "java.lang.Object"


def class_cast(value: Any, target: str) -> JavaFailure:
    """The JDK's ``ClassCastException`` for casting ``value`` to ``target`` (a ``java.*`` class, so
    both sit in module ``java.base``)."""
    source = java_class_name(value)
    return JavaFailure(
        "class_cast_exception",
        f"class {source} cannot be cast to class {target} ({source} and {target} are in module java.base of "
        "loader 'bootstrap')",
    )


def configuration_error(processor_type: str | None, tag: str | None, prop: str | None, reason: str) -> ApiError:
    """``ConfigurationUtils.newConfigurationException``: ``parse_exception`` "[prop] reason", with the
    metadata keys in the order OpenSearch's ``HashMap`` of them yields (type, tag, property)."""
    message = reason if prop is None else f"[{prop}] {reason}"
    extra: dict[str, Any] = {}
    if processor_type is not None:
        extra["processor_type"] = processor_type
    if tag is not None:
        extra["processor_tag"] = tag
    if prop is not None:
        extra["property_name"] = prop
    return error_from_body(400, error_body("parse_exception", message, 400, **extra))


def parse_exception(message: str) -> ApiError:
    """A plain ``OpenSearchParseException``."""
    return error_from_body(400, error_body("parse_exception", message, 400))


def _simple_class_name(error_type: str) -> str:
    """The Java simple class name behind an OpenSearch error type (``status_exception`` →
    ``OpenSearchStatusException``: ``getExceptionName`` strips the ``OpenSearch`` prefix)."""
    camel = "".join(part.capitalize() for part in error_type.split("_"))
    if error_type in ("status_exception", "parse_exception", "exception", "security_exception"):
        return "OpenSearch" + camel
    return camel


def _to_string(cause: dict[str, Any]) -> str:
    """``toString()`` of the exception ``cause`` describes: ``Throwable``'s ``class: message`` for a
    Java exception; ``ExceptionsHelper.detailedMessage`` (``Name[message]``, ``; nested: ...``) for
    OpenSearch's."""
    error_type = str(cause.get("type", "exception"))
    reason = cause.get("reason")
    if error_type in _JAVA_CLASSES:
        java_class = _JAVA_CLASSES[error_type][0]
        return java_class if reason is None else f"{java_class}: {reason}"
    parts: list[str] = []
    current: dict[str, Any] | None = cause
    while current is not None:
        name = _simple_class_name(str(current.get("type", "exception")))
        text = current.get("reason")
        parts.append(name + ("" if text is None else f"[{text}]"))
        nested = current.get("caused_by")
        current = nested if isinstance(nested, dict) else None
    if len(parts) == 1:
        return parts[0]
    return "; nested: ".join(parts) + ";"


def processing_failure(err: BaseException) -> ApiError:
    """A processor's failure as OpenSearch answers it: wrapped in ``SearchPipelineProcessingException``."""
    if isinstance(err, JavaFailure):
        cause = error_cause(err.error_type, err.message)
        roots = [dict(cause)]
        status = err.status
    else:
        body = getattr(err, "body", None)
        error = body.get("error") if isinstance(body, dict) else None
        status_value = getattr(getattr(err, "meta", None), "status", None)
        status = status_value if isinstance(status_value, int) else 500
        if isinstance(error, dict):
            cause = {k: v for k, v in error.items() if k != "root_cause"}
            roots = list(error.get("root_cause") or [dict(cause)])
        else:
            cause = error_cause("exception", str(error if error is not None else err))
            roots = [dict(cause)]
    reason = _to_string(cause)
    return error_from_body(
        status,
        error_body("search_pipeline_processing_exception", reason, status, caused_by=cause, root_cause=roots),
    )
