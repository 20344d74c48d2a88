"""Reading ``service_settings`` / ``task_settings`` / ``chunking_settings`` maps the way
Elasticsearch's ``ServiceUtils`` and ``InferenceUtils`` do.

Elasticsearch parses these maps by *removing* each known key, collecting every problem into one
``ValidationException``, and finally rejecting whatever keys are left over. :class:`SettingsReader`
keeps that shape so that:

* error messages are Elasticsearch's, word for word (they name the scope and the field);
* several problems are reported together, numbered, as Elasticsearch reports them;
* unknown keys are never silently ignored: :meth:`SettingsReader.leftovers` returns them so the
  caller raises ``Configuration contains settings [...] unknown to the [...] service``.

Java types matter in the messages: JSON ``20`` is an ``Integer`` but ``20.0`` is a ``Double`` and
``3000000000`` a ``Long``, so only Python ints that fit in 32 bits (and are not bools) count as
integers here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import java_double, java_str, validation_exception

JAVA_INT_MIN = -(2**31)
JAVA_INT_MAX = 2**31 - 1


def is_java_int(value: Any) -> bool:
    """Whether a parsed JSON value would be a ``java.lang.Integer``."""
    return type(value) is int and JAVA_INT_MIN <= value <= JAVA_INT_MAX


def _java_type_name(expected: type) -> str:
    return {int: "Integer", str: "String", bool: "Boolean", dict: "Map", float: "Double"}[expected]


def _is_instance(value: Any, expected: type) -> bool:
    if expected is int:
        return is_java_int(value)
    if expected is bool:
        return isinstance(value, bool)
    if expected is float:
        return isinstance(value, float)
    if expected is dict:
        return isinstance(value, Mapping)
    return isinstance(value, expected)


def invalid_type_message(name: str, value: Any, expected: type) -> str:
    return (
        f"field [{name}] is not of the expected type. The value [{java_str(value)}] cannot be "
        f"converted to a [{_java_type_name(expected)}]"
    )


def missing_setting_message(name: str, scope: str) -> str:
    return f"[{scope}] does not contain the required setting [{name}]"


def missing_one_of_message(names: Iterable[str], scope: str) -> str:
    return f"[{scope}] does not contain one of the required settings [{', '.join(names)}]"


def invalid_value_message(name: str, scope: str, value: str, allowed: Iterable[str]) -> str:
    return f"[{scope}] Invalid value [{value}] received. [{name}] must be one of [{', '.join(sorted(allowed))}]"


class SettingsReader:
    """Consumes one settings map (a copy), collecting Elasticsearch-worded validation errors.

    ``scope`` is the name Elasticsearch puts in brackets at the start of messages
    (``service_settings``, ``task_settings``, ``chunking_settings``).
    """

    def __init__(self, settings: Mapping[str, Any] | None, scope: str, errors: list[str] | None = None) -> None:
        self.scope = scope
        self.remaining: dict[str, Any] = dict(settings or {})
        self.errors: list[str] = errors if errors is not None else []

    # -- raw access ------------------------------------------------------------------------------

    def remove(self, name: str, expected: type) -> Any:
        """``removeAsType``: the value if present and of the right Java type, else ``None``."""
        value = self.remaining.pop(name, None)
        if value is None:
            return None
        if not _is_instance(value, expected):
            self.errors.append(invalid_type_message(name, value, expected))
            return None
        return value

    def has(self, name: str) -> bool:
        return name in self.remaining

    # -- typed extractors (one per ServiceUtils helper the services use) ------------------------

    def required_string(self, name: str) -> str | None:
        before = len(self.errors)
        value = self.remove(name, str)
        if len(self.errors) > before:
            return None
        if value is None:
            self.errors.append(missing_setting_message(name, self.scope))
            return None
        if value == "":
            self.errors.append(f"[{self.scope}] Invalid value empty string. [{name}] must be a non-empty string")
            return None
        return value

    def optional_string(self, name: str) -> str | None:
        before = len(self.errors)
        value = self.remove(name, str)
        if len(self.errors) > before or value is None:
            return None
        if value == "":
            self.errors.append(f"[{self.scope}] Invalid value empty string. [{name}] must be a non-empty string")
            return None
        return value

    def optional_bool(self, name: str) -> bool | None:
        return self.remove(name, bool)

    def optional_map(self, name: str) -> dict[str, Any] | None:
        value = self.remove(name, dict)
        return dict(value) if value is not None else None

    def required_positive_int(self, name: str) -> int | None:
        before = len(self.errors)
        value = self.remove(name, int)
        if len(self.errors) > before:
            return None
        if value is None:
            self.errors.append(missing_setting_message(name, self.scope))
            return None
        if value <= 0:
            self.errors.append(f"[{self.scope}] Invalid value [{value}]. [{name}] must be a positive integer")
            return None
        return value

    def optional_positive_int(self, name: str) -> int | None:
        before = len(self.errors)
        value = self.remove(name, int)
        if len(self.errors) > before or value is None:
            return None
        if value <= 0:
            self.errors.append(f"[{self.scope}] Invalid value [{value}]. [{name}] must be a positive integer")
            return None
        return value

    def required_positive_int_at_least(self, name: str, minimum: int) -> int | None:
        """``extractRequiredPositiveIntegerGreaterThanOrEqualToMin`` (bounds printed as doubles)."""
        value = self.required_positive_int(name)
        if value is not None and value < minimum:
            self.errors.append(
                f"[{self.scope}] Invalid value [{java_double(value)}]. [{name}] must be "
                f"greater than or equal to [{java_double(minimum)}]"
            )
            return None
        return value

    def required_positive_int_at_most(self, name: str, maximum: int) -> int | None:
        """``extractRequiredPositiveIntegerLessThanOrEqualToMax`` (bounds printed as doubles)."""
        value = self.required_positive_int(name)
        if value is not None and value > maximum:
            self.errors.append(
                f"[{self.scope}] Invalid value [{java_double(value)}]. [{name}] must be "
                f"less than or equal to [{java_double(maximum)}]"
            )
        return value

    def optional_enum(self, name: str, allowed: Iterable[str]) -> str | None:
        """``extractOptionalEnum``: case-insensitive like ``Enum.valueOf(upper(value))``."""
        allowed = list(allowed)
        value = self.optional_string(name)
        if value is None:
            return None
        lowered = value.strip().lower()
        if lowered not in allowed:
            self.errors.append(invalid_value_message(name, self.scope, value, allowed))
            return None
        return lowered

    # -- finishing -------------------------------------------------------------------------------

    def raise_if_errors(self) -> None:
        if self.errors:
            raise validation_exception(self.errors)

    def leftovers(self) -> dict[str, Any]:
        return self.remaining
