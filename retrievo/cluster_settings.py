"""The cluster's dynamic settings (``PUT/GET _cluster/settings``): one store, settings registered by the
features that read them.

Elasticsearch keeps ``persistent`` and ``transient`` settings in the cluster state; a transient value
hides a persistent one, ``null`` resets a setting (or, with a trailing ``*``, every setting it matches)
to its default, and only registered settings are accepted: anything else is
``[persistent|transient] setting [x], not recognized``. Each feature contributes a
:class:`SettingsGroup` — Elasticsearch's own search settings here (:data:`SEARCH_SETTINGS`), OpenSearch ML
Commons' ``plugins.ml_commons.*`` in :mod:`retrievo.opensearch.ml_settings` — so the store knows no
feature and a feature never owns the store. The catalog owns it and saves the persistent scope in the
data directory's manifest (a full cluster restart clears transient settings, so they are not saved).

Values are kept as the text Elasticsearch keeps (``"false"``, ``"99"``, ``"2s"``) after the setting's
own parser has accepted them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from retrievo.errors import ApiError, illegal_argument, not_supported

#: A setting's parser: ``(key, value as text) -> the text kept``; raises Elasticsearch's error.
Parser = Callable[[str, str], str]


@dataclass(frozen=True)
class Setting:
    default: str
    parse: Parser


@dataclass(frozen=True)
class SettingsGroup:
    """The settings one feature registers. ``prefix``: the namespace the feature owns — a setting
    under it that the group does not know gets ``unknown(key)`` (a feature may refuse a real setting
    of its namespace as not supported) instead of "not recognized"."""

    settings: Mapping[str, Setting]
    prefix: str | None = None
    unknown: Callable[[str], ApiError] | None = None


# ---------------------------------------------------------------------------- value parsers


def parse_bool(key: str, value: str) -> str:
    """``Booleans.parseBoolean``: only ``true`` and ``false``."""
    if value not in ("true", "false"):
        raise illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")
    return value


def int_parser(low: int, high: int) -> Parser:
    def parse(key: str, value: str) -> str:
        """``Setting.parseInt``: a Java int within the setting's bounds."""
        if not re.fullmatch(r"[+-]?\d+", value) or not -(2**31) <= int(value) < 2**31:
            raise illegal_argument(f"Failed to parse value [{value}] for setting [{key}]", caused_by=None)
        number = int(value)
        if number < low:
            raise illegal_argument(f"Failed to parse value [{value}] for setting [{key}] must be >= {low}")
        if number > high:
            raise illegal_argument(f"Failed to parse value [{value}] for setting [{key}] must be <= {high}")
        return str(number)

    return parse


def parse_regex(key: str, value: str) -> str:
    try:
        re.compile(value)
    except re.error as e:
        raise illegal_argument(f"Failed to parse value [{value}] for setting [{key}]: {e}") from None
    return value


_TIME = re.compile(r"-1|0|[0-9]+(nanos|micros|ms|s|m|h|d)")


def parse_time(key: str, value: str) -> str:
    """``Setting.timeSetting``: ``TimeValue.parseTimeValue``'s accepted forms."""
    if _TIME.fullmatch(value.strip()) is None:
        raise illegal_argument(
            f"failed to parse setting [{key}] with value [{value}] as a time value: unit is missing or unrecognized"
        )
    return value


#: Elasticsearch's own search settings that retrievo honours.
SEARCH_SETTINGS = SettingsGroup(
    {
        # SearchService.DEFAULT_SEARCH_TIMEOUT_SETTING (dynamic): the timeout of a search that names none; -1: none
        "search.default_search_timeout": Setting("-1", parse_time),
    }
)


# ---------------------------------------------------------------------------- shapes


def flatten(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings objects as dotted keys (``{"a": {"b": 1}}`` → ``{"a.b": 1}``)."""
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        path = prefix + str(key)
        if isinstance(value, Mapping):
            flat.update(flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def nest(flat: Mapping[str, str]) -> dict[str, Any]:
    """Dotted keys as nested objects, the way Elasticsearch prints settings without ``flat_settings``."""
    out: dict[str, Any] = {}
    for key in sorted(flat):
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = flat[key]
    return out


def _as_text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list):
        raise not_supported(f"a list value for setting [{key}]")
    raise illegal_argument(f"Failed to parse value [{value}] for setting [{key}]")


# ---------------------------------------------------------------------------- the store


@dataclass
class ClusterSettings:
    """The ``persistent`` and ``transient`` settings of the cluster; thread-safe."""

    groups: tuple[SettingsGroup, ...] = (SEARCH_SETTINGS,)
    #: Called with the persistent settings (flat) before an update takes effect (the catalog saves them
    #: there); if it raises, the update is not made.
    on_change: Callable[[dict[str, str]], None] | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _scopes: dict[str, dict[str, str]] = field(default_factory=lambda: {"persistent": {}, "transient": {}})

    def _setting(self, scope: str, key: str, resetting: bool) -> Setting | None:
        """The registered setting ``key``, or ``None`` for a reset pattern of a known namespace; raises
        Elasticsearch's error for anything else."""
        for group in self.groups:
            if key in group.settings:
                return group.settings[key]
        for group in self.groups:
            if group.prefix is not None and key.startswith(group.prefix):
                if resetting and key.endswith("*"):
                    return None
                if not resetting and group.unknown is not None:
                    raise group.unknown(key)
        raise illegal_argument(f"{scope} setting [{key}], not recognized")

    def update(self, persistent: Mapping[str, Any], transient: Mapping[str, Any]) -> dict[str, dict[str, str]]:
        """Validate every setting of both scopes, then apply them all (or none); the applied values
        by scope (flat), which ``PUT _cluster/settings`` echoes."""
        parsed: dict[str, dict[str, str | None]] = {}
        # transient settings are validated first, as Elasticsearch's SettingsUpdater does
        for scope, given in (("transient", transient), ("persistent", persistent)):
            parsed[scope] = {}
            for key, value in flatten(given).items():
                setting = self._setting(scope, key, resetting=value is None)
                if value is None or setting is None:
                    parsed[scope][key] = None
                else:
                    parsed[scope][key] = setting.parse(key, _as_text(key, value))
        applied: dict[str, dict[str, str]] = {"persistent": {}, "transient": {}}
        with self._lock:
            after = {scope: dict(values) for scope, values in self._scopes.items()}
            for scope, values in parsed.items():
                current = after[scope]
                for key, text in values.items():
                    if text is None:
                        pattern = re.compile(re.escape(key).replace(r"\*", ".*"))
                        for existing in [k for k in current if pattern.fullmatch(k)]:
                            del current[existing]
                    else:
                        current[key] = text
                        applied[scope][key] = text
            if self.on_change is not None and after["persistent"] != self._scopes["persistent"]:
                self.on_change(dict(after["persistent"]))
            self._scopes = after
        return applied

    def restore(self, persistent: Mapping[str, Any]) -> None:
        """Persistent settings read back from a data directory, each checked by its own parser."""
        checked: dict[str, str] = {}
        for key, value in persistent.items():
            setting = self._setting("persistent", key, resetting=False)
            assert setting is not None
            checked[key] = setting.parse(key, _as_text(key, value))
        with self._lock:
            self._scopes = {"persistent": checked, "transient": {}}

    def scopes(self) -> dict[str, dict[str, str]]:
        """Both scopes' settings, flat."""
        with self._lock:
            return {scope: dict(values) for scope, values in self._scopes.items()}

    def value(self, key: str) -> str:
        """The effective value of a registered setting: transient, else persistent, else its default."""
        with self._lock:
            for scope in ("transient", "persistent"):
                if key in self._scopes[scope]:
                    return self._scopes[scope][key]
        for group in self.groups:
            if key in group.settings:
                return group.settings[key].default
        raise KeyError(key)
