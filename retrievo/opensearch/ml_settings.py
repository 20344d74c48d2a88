"""The ``plugins.ml_commons.*`` cluster settings that OpenSearch's ML guides send, and what each does here.

``PUT _cluster/settings`` takes ``persistent`` and ``transient`` settings, nested or flat; a transient
value hides a persistent one; ``null`` resets a setting to its default. Values are kept as the text
OpenSearch keeps (``"false"``, ``"99"``) after the setting's own parser has accepted them.

What each accepted setting means in retrievo (names, defaults and bounds from ML Commons'
``MLCommonsSettings``):

* ``allow_registering_model_via_url`` (default ``false``): registering a model with a ``url`` is
  refused unless it is ``true``, with ML Commons' message.
* ``trusted_url_regex``: a model ``url`` (a bare local path counts as ``file://<path>``) must contain a
  match (Java's ``Matcher.find``).
* ``local_model.enabled`` (default ``true``): ``false`` refuses registering, deploying and predicting
  with local models, with ML Commons' message.
* ``native_memory_threshold`` (0-100, default 90): the native memory circuit breaker, checked when a
  model registers, deploys and predicts. retrievo measures memory in use as ``MemTotal - MemAvailable``
  from ``/proc/meminfo`` (memory the kernel cannot reclaim; OpenSearch's operating-system probe reads
  free memory) and never opens the breaker where that file does not exist.
* ``only_run_on_ml_node`` (default ``true``): the retrievo node has the ``ml`` role, so it is always an
  eligible node and the setting changes nothing.
* ``model_access_control_enabled`` (default ``false``): model access control needs the Security
  plugin, which retrievo does not have; as on an OpenSearch cluster without it, the setting changes
  nothing and access-control fields in a model group are refused.
* ``allow_registering_model_via_local_file`` (default ``false``): governs the chunk upload API
  (``_register_meta`` / ``_upload_chunk``), which retrievo does not serve; stored and reported only.

* ``model_auto_redeploy.enable`` (default ``true``) and ``model_auto_redeploy.lifetime_retry_times``
  (default 3): when retrievo starts on a data directory, a model that was deployed is deployed again
  (``MLModelAutoReDeployer``) if the first is ``true`` and the model's ``auto_redeploy_retry_times`` is
  below the second; otherwise it comes back ``DEPLOY_FAILED``, as ML Commons' sync-up job marks a
  deployed model that no node runs.

Persistent settings are saved in the data directory with the models; transient ones are not, as a
full cluster restart clears them in OpenSearch.

Any other ``plugins.ml_commons.*`` setting is refused as not supported; any other setting at all gets
Elasticsearch's ``[persistent|transient] setting [...], not recognized``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from retrievo.errors import illegal_argument, not_supported

PREFIX = "plugins.ml_commons."

#: ML Commons' default ``trusted_url_regex``.
DEFAULT_TRUSTED_URL_REGEX = r"^(https?|ftp|file)://[-a-zA-Z0-9+&@#/%?=~_|!:,.;]*[-a-zA-Z0-9+&@#/%=~_|]"


def _parse_bool(key: str, value: str) -> str:
    """``Booleans.parseBoolean``: only ``true`` and ``false``."""
    if value not in ("true", "false"):
        raise illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")
    return value


def _int_parser(low: int, high: int) -> Callable[[str, str], str]:
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


def _parse_regex(key: str, value: str) -> str:
    try:
        re.compile(value)
    except re.error as e:
        raise illegal_argument(f"Failed to parse value [{value}] for setting [{key}]: {e}") from None
    return value


_TIME = re.compile(r"-1|0|[0-9]+(nanos|micros|ms|s|m|h|d)")


def _parse_time(key: str, value: str) -> str:
    """``Setting.timeSetting``: ``TimeValue.parseTimeValue``'s accepted forms."""
    if _TIME.fullmatch(value.strip()) is None:
        raise illegal_argument(
            f"failed to parse setting [{key}] with value [{value}] as a time value: unit is missing or unrecognized"
        )
    return value


@dataclass(frozen=True)
class _Setting:
    default: str
    parse: Callable[[str, str], str]


_SETTINGS: dict[str, _Setting] = {
    PREFIX + "allow_registering_model_via_url": _Setting("false", _parse_bool),
    PREFIX + "allow_registering_model_via_local_file": _Setting("false", _parse_bool),
    PREFIX + "trusted_url_regex": _Setting(DEFAULT_TRUSTED_URL_REGEX, _parse_regex),
    PREFIX + "local_model.enabled": _Setting("true", _parse_bool),
    PREFIX + "native_memory_threshold": _Setting("90", _int_parser(0, 100)),
    PREFIX + "only_run_on_ml_node": _Setting("true", _parse_bool),
    PREFIX + "model_access_control_enabled": _Setting("false", _parse_bool),
    PREFIX + "model_auto_redeploy.enable": _Setting("true", _parse_bool),
    # Setting.intSetting without bounds: any Java int
    PREFIX + "model_auto_redeploy.lifetime_retry_times": _Setting("3", _int_parser(-(2**31), 2**31 - 1)),
    # Elasticsearch's own (SearchService.DEFAULT_SEARCH_TIMEOUT_SETTING, dynamic): the timeout of a
    # search that names none; -1 is none. Kept here because this is the cluster's one settings store.
    "search.default_search_timeout": _Setting("-1", _parse_time),
}


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


class MlCommonsSettings:
    """The cluster's ``persistent`` and ``transient`` settings (only ML Commons' are known)."""

    def __init__(self, lock: threading.RLock | None = None) -> None:
        #: Shared with the model registry, so a settings change and a model change are saved in order.
        self._lock = lock or threading.RLock()
        self._scopes: dict[str, dict[str, str]] = {"persistent": {}, "transient": {}}
        #: Called with the persistent settings (flat) before an update takes effect (the registry saves
        #: them there); if it raises, the update is not made.
        self.on_change: Callable[[dict[str, str]], None] | None = None

    def update(self, persistent: Mapping[str, Any], transient: Mapping[str, Any]) -> dict[str, dict[str, str]]:
        """Validate every setting of both scopes, then apply them all (or none); the applied values
        by scope (flat), which ``PUT _cluster/settings`` echoes."""
        parsed: dict[str, dict[str, str | None]] = {}
        # transient settings are validated first, as Elasticsearch's SettingsUpdater does
        for scope, given in (("transient", transient), ("persistent", persistent)):
            parsed[scope] = {}
            for key, value in flatten(given).items():
                setting = _SETTINGS.get(key)
                if setting is None:
                    if key.startswith(PREFIX) and value is not None:
                        raise not_supported(f"the ML Commons setting [{key}]")
                    if not key.endswith("*") or not key.startswith(PREFIX):
                        raise illegal_argument(f"{scope} setting [{key}], not recognized")
                if value is None:
                    parsed[scope][key] = None
                    continue
                assert setting is not None
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
            setting = _SETTINGS.get(key)
            if setting is None:
                raise illegal_argument(f"persistent setting [{key}], not recognized")
            checked[key] = setting.parse(key, _as_text(key, value))
        with self._lock:
            self._scopes = {"persistent": checked, "transient": {}}

    def scopes(self) -> dict[str, dict[str, str]]:
        """Both scopes' settings, flat."""
        with self._lock:
            return {scope: dict(values) for scope, values in self._scopes.items()}

    def text(self, name: str) -> str:
        """The effective value of ``plugins.ml_commons.<name>``: transient, else persistent, else default."""
        key = PREFIX + name
        with self._lock:
            for scope in ("transient", "persistent"):
                if key in self._scopes[scope]:
                    return self._scopes[scope][key]
        return _SETTINGS[key].default

    def flag(self, name: str) -> bool:
        return self.text(name) == "true"

    def cluster_value(self, key: str) -> str:
        """The effective value of a setting named in full (``search.default_search_timeout``)."""
        with self._lock:
            for scope in ("transient", "persistent"):
                if key in self._scopes[scope]:
                    return self._scopes[scope][key]
        return _SETTINGS[key].default

    def number(self, name: str) -> int:
        return int(self.text(name))
