"""OpenSearch's ``ConfigurationUtils``: how a processor's configuration map is read.

Each read *removes* its key from the map, so whatever is left once a processor is built is an error
naming the keys. Leftover keys are listed in the order Java's ``HashMap`` yields them, since OpenSearch
parses the body into one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from retrievo.java_order import hashmap_order
from retrievo.java_text import java_str
from retrievo.opensearch.java_errors import configuration_error, java_class_name
from retrievo.opensearch.source_paths import parse_java_double


class Config:
    """One configuration map: reads remove keys, as ``ConfigurationUtils`` does on OpenSearch's map."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)
        self._order = list(values)
        #: The map as it was given (before any read).
        self.original: Mapping[str, Any] = values

    def remove(self, key: str) -> Any:
        """The value (``None`` when absent or JSON ``null``, as Java's ``Map.remove`` gives)."""
        return self._values.pop(key, None)

    def __contains__(self, key: str) -> bool:
        return key in self._values

    def unread(self) -> list[str]:
        """The keys still unread, in the order OpenSearch's ``HashMap`` iterates them."""
        return [k for k in hashmap_order(self._order, 16) if k in self._values]

    def remaining(self) -> dict[str, Any]:
        return dict(self._values)


# ---------------------------------------------------------------------------- ConfigurationUtils


def read_optional_string(ptype: str | None, tag: str | None, config: Config, name: str) -> str | None:
    value = config.remove(name)
    if value is None or isinstance(value, str):
        return value
    raise configuration_error(ptype, tag, name, f"property isn't a string, but of type [{java_class_name(value)}]")


def read_string(ptype: str | None, tag: str | None, config: Config, name: str, default: str | None = None) -> str:
    value = config.remove(name)
    if value is None:
        if default is not None:
            return default
        raise configuration_error(ptype, tag, name, "required property is missing")
    if isinstance(value, str):
        return value
    raise configuration_error(ptype, tag, name, f"property isn't a string, but of type [{java_class_name(value)}]")


def read_bool(ptype: str | None, tag: str | None, config: Config, name: str, default: bool) -> bool:
    value = config.remove(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    raise configuration_error(ptype, tag, name, f"property isn't a boolean, but of type [{java_class_name(value)}]")


def _parse_java_int(text: str) -> int | None:
    """``Integer.parseInt``: an optional sign and ASCII digits, within 32 bits."""
    body = text[1:] if text[:1] in "+-" else text
    if not body or not all("0" <= c <= "9" for c in body):
        return None
    number = int(text)
    return number if -(2**31) <= number < 2**31 else None


def read_int(ptype: str | None, tag: str | None, config: Config, name: str, default: int | None) -> int | None:
    value = config.remove(name)
    if value is None:
        return default
    number = _parse_java_int(java_str(value))
    if number is None:
        raise configuration_error(ptype, tag, name, f"property cannot be converted to an int [{java_str(value)}]")
    return number


def read_optional_list(ptype: str | None, tag: str | None, config: Config, name: str) -> list[Any] | None:
    value = config.remove(name)
    if value is None or isinstance(value, list):
        return value
    raise configuration_error(ptype, tag, name, f"property isn't a list, but of type [{java_class_name(value)}]")


def read_map(ptype: str | None, tag: str | None, config: Config, name: str) -> dict[str, Any]:
    value = config.remove(name)
    if value is None:
        raise configuration_error(ptype, tag, name, "required property is missing")
    if isinstance(value, dict):
        return value
    raise configuration_error(ptype, tag, name, f"property isn't a map, but of type [{java_class_name(value)}]")


def read_double(ptype: str | None, tag: str | None, config: Config, name: str) -> float:
    """``readDoubleProperty``: required; ``Double.parseDouble`` of the value's ``toString()``."""
    value = config.remove(name)
    if value is None:
        raise configuration_error(ptype, tag, name, "required property is missing")
    number = parse_java_double(java_str(value))
    if number is None:
        raise configuration_error(ptype, tag, name, f"property cannot be converted to a double [{java_str(value)}]")
    return number


def read_optional_map(ptype: str | None, tag: str | None, config: Config, name: str) -> dict[str, Any] | None:
    value = config.remove(name)
    if value is None or isinstance(value, dict):
        return value
    raise configuration_error(ptype, tag, name, f"property isn't a map, but of type [{java_class_name(value)}]")
