"""Index settings: what retrievo honours, normalised from Elasticsearch's flat or nested forms.

``{"index": {"number_of_shards": 1}}``, ``{"number_of_shards": 1}`` and
``{"index.number_of_shards": 1}`` all mean the same in Elasticsearch. Unknown settings are rejected
with Elasticsearch's message rather than ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from retrievo.errors import illegal_argument, not_supported
from retrievo.java_text import java_str


@dataclass(frozen=True)
class IndexSettings:
    number_of_shards: int = 1
    number_of_replicas: int = 1
    max_result_window: int = 10000
    refresh_interval: str = "1s"
    analysis: dict[str, Any] = field(default_factory=dict)
    default_field: tuple[str, ...] = ("*",)
    #: ``index.mapping.depth.limit``: the deepest object a mapping may hold (the root is depth 1).
    mapping_depth_limit: int = 20
    #: OpenSearch's ``index.search.default_pipeline``: the search pipeline a search of this index runs
    #: when it names none (``None``: not set; ``"_none"``, set to no pipeline, still shows in settings).
    search_default_pipeline: str | None = None

    @property
    def auto_refresh(self) -> bool:
        """Searches see pending writes unless refresh is switched off (``refresh_interval: -1``)."""
        return str(self.refresh_interval) not in ("-1", "-1s")

    def to_json(self, index: str, uuid: str, created_millis: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "number_of_shards": str(self.number_of_shards),
            "number_of_replicas": str(self.number_of_replicas),
            "provided_name": index,
            "uuid": uuid,
            "creation_date": str(created_millis),
        }
        if self.max_result_window != 10000:
            out["max_result_window"] = str(self.max_result_window)
        if self.refresh_interval != "1s":
            out["refresh_interval"] = str(self.refresh_interval)
        if self.analysis:
            out["analysis"] = self.analysis
        if self.default_field != ("*",):
            out["query"] = {"default_field": list(self.default_field)}
        if self.mapping_depth_limit != 20:
            out["mapping"] = {"depth": {"limit": str(self.mapping_depth_limit)}}
        if self.search_default_pipeline is not None:
            out["search"] = {"default_pipeline": self.search_default_pipeline}
        return {"index": out}


def _flatten(settings: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and path not in ("index.analysis", "analysis"):
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def _int(key: str, value: Any, minimum: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise illegal_argument(f"Failed to parse value [{value}] for setting [{key}]") from None
    if number < minimum:
        raise illegal_argument(f"Failed to parse value [{value}] for setting [{key}] must be >= {minimum}")
    return number


def parse_settings(settings: dict[str, Any] | None) -> IndexSettings:
    flat = _flatten(settings or {})
    values: dict[str, Any] = {}
    for key, value in flat.items():
        name = key[len("index.") :] if key.startswith("index.") else key
        if name == "number_of_shards":
            shards = _int("index.number_of_shards", value, 1)
            if shards != 1:
                raise not_supported("[index.number_of_shards] other than 1", "retrievo keeps every index in one shard")
            values["number_of_shards"] = shards
        elif name == "number_of_replicas":
            values["number_of_replicas"] = _int("index.number_of_replicas", value, 0)
        elif name == "max_result_window":
            values["max_result_window"] = _int("index.max_result_window", value, 1)
        elif name == "refresh_interval":
            values["refresh_interval"] = str(value)
        elif name == "analysis":
            if not isinstance(value, dict):
                raise illegal_argument(f"[index.analysis] must be an object, found [{value}]")
            values["analysis"] = value
        elif name == "mapping.depth.limit":
            values["mapping_depth_limit"] = _int("index.mapping.depth.limit", value, 1)
        elif name == "query.default_field":
            values["default_field"] = tuple(value) if isinstance(value, list) else (str(value),)
        elif name == "search.default_pipeline":  # OpenSearch's: any value, kept as its string form
            values["search_default_pipeline"] = java_str(value)
        else:
            raise illegal_argument(
                f"unknown setting [index.{name}] please check that any required plugins are installed, "
                f"or check the breaking changes documentation for removed settings"
            )
    return IndexSettings(**values)
