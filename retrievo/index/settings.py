"""Index settings: what retrievo honours, normalised from Elasticsearch's flat or nested forms.

``{"index": {"number_of_shards": 1}}``, ``{"number_of_shards": 1}`` and
``{"index.number_of_shards": 1}`` all mean the same in Elasticsearch. Unknown settings are rejected
with Elasticsearch's message rather than ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

from retrievo.errors import illegal_argument, not_supported
from retrievo.index.routing import default_routing_num_shards
from retrievo.java_text import java_str


@dataclass(frozen=True)
class IndexSettings:
    number_of_shards: int = 1
    #: ``index.number_of_routing_shards``: the hash space documents are routed over (``index/routing.py``);
    #: ``None`` until the index is created, then ES's default for ``number_of_shards``.
    number_of_routing_shards: int | None = None
    number_of_replicas: int = 1
    max_result_window: int = 10000
    refresh_interval: str = "1s"
    analysis: dict[str, Any] = field(default_factory=dict)
    default_field: tuple[str, ...] = ("*",)
    #: ``index.mapping.depth.limit``: the deepest object a mapping may hold (the root is depth 1).
    mapping_depth_limit: int = 20
    #: ``index.mapping.total_fields.limit``: fields, multi-fields and objects an index may map.
    mapping_total_fields_limit: int = 1000
    #: ``index.mapping.total_fields.ignore_dynamic_beyond_limit``: only ``false`` (its default) is supported.
    mapping_ignore_dynamic_beyond_limit: bool = False
    #: ``index.mapping.nested_fields.limit`` / ``index.mapping.nested_objects.limit`` (``index/nested.py``).
    mapping_nested_fields_limit: int = 50
    mapping_nested_objects_limit: int = 10000
    #: ``index.max_terms_count``: the most values one ``terms`` query may name.
    max_terms_count: int = 65536
    #: OpenSearch's ``index.search.default_pipeline``: the search pipeline a search of this index runs
    #: when it names none (``None``: not set; ``"_none"``, set to no pipeline, still shows in settings).
    search_default_pipeline: str | None = None
    #: ``index.translog.durability``: ``request`` fsyncs the translog before a write is acknowledged,
    #: ``async`` every ``index.translog.sync_interval`` (kept as given; ES matches it case-blind).
    translog_durability: str = "request"
    #: ``index.translog.sync_interval`` as given (ES's default 5s, at least 100ms).
    translog_sync_interval: str = "5s"
    #: ``index.highlight.max_analyzed_offset``: the longest field value highlighting re-analyzes.
    highlight_max_analyzed_offset: int = 1_000_000
    #: ``index.max_ngram_diff`` / ``index.max_shingle_diff``: what ngram and shingle components may span
    #: (checked when the index's analyzers are built, at creation).
    max_ngram_diff: int = 1
    max_shingle_diff: int = 3

    @property
    def routing_shards(self) -> int:
        if self.number_of_routing_shards is not None:
            return self.number_of_routing_shards
        return default_routing_num_shards(self.number_of_shards)

    @property
    def translog_async(self) -> bool:
        return self.translog_durability.upper() == "ASYNC"

    @property
    def translog_sync_seconds(self) -> float:
        return _time_seconds("index.translog.sync_interval", self.translog_sync_interval)

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
        if self.number_of_routing_shards is not None:
            out["number_of_routing_shards"] = str(self.number_of_routing_shards)
        if self.max_result_window != 10000:
            out["max_result_window"] = str(self.max_result_window)
        if self.highlight_max_analyzed_offset != 1_000_000:
            out["highlight"] = {"max_analyzed_offset": str(self.highlight_max_analyzed_offset)}
        if self.max_ngram_diff != 1:
            out["max_ngram_diff"] = str(self.max_ngram_diff)
        if self.max_shingle_diff != 3:
            out["max_shingle_diff"] = str(self.max_shingle_diff)
        if self.refresh_interval != "1s":
            out["refresh_interval"] = str(self.refresh_interval)
        if self.analysis:
            out["analysis"] = self.analysis
        if self.default_field != ("*",):
            out["query"] = {"default_field": list(self.default_field)}
        if self.mapping_depth_limit != 20:
            out["mapping"] = {"depth": {"limit": str(self.mapping_depth_limit)}}
        if self.mapping_total_fields_limit != 1000:
            out.setdefault("mapping", {})["total_fields"] = {"limit": str(self.mapping_total_fields_limit)}
        if self.mapping_nested_fields_limit != 50:
            out.setdefault("mapping", {})["nested_fields"] = {"limit": str(self.mapping_nested_fields_limit)}
        if self.mapping_nested_objects_limit != 10000:
            out.setdefault("mapping", {})["nested_objects"] = {"limit": str(self.mapping_nested_objects_limit)}
        if self.max_terms_count != 65536:
            out["max_terms_count"] = str(self.max_terms_count)
        if self.search_default_pipeline is not None:
            out["search"] = {"default_pipeline": self.search_default_pipeline}
        translog = {}
        if self.translog_durability != "request":
            translog["durability"] = self.translog_durability
        if self.translog_sync_interval != "5s":
            translog["sync_interval"] = self.translog_sync_interval
        if translog:
            out["translog"] = translog
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


def _strict_bool(key: str, value: Any) -> bool:
    """``Booleans.parseBoolean``: only ``true`` and ``false`` (as JSON booleans or text)."""
    text = java_str(value)
    if text not in ("true", "false"):
        raise illegal_argument(
            f"Failed to parse value [{text}] as only [true] or [false] are allowed.",
        )
    return text == "true"


def parse_settings(settings: dict[str, Any] | None) -> IndexSettings:
    flat = _flatten(settings or {})
    values: dict[str, Any] = {}
    for key, value in flat.items():
        name = key[len("index.") :] if key.startswith("index.") else key
        if name == "number_of_shards":
            shards = _int("index.number_of_shards", value, 1)
            if shards > _MAX_SHARDS:  # es.index.max_number_of_shards
                raise illegal_argument(
                    f"Failed to parse value [{value}] for setting [index.number_of_shards] must be <= {_MAX_SHARDS}"
                )
            values["number_of_shards"] = shards
        elif name == "number_of_routing_shards":
            values["number_of_routing_shards"] = _int("index.number_of_routing_shards", value, 1)
        elif name == "routing_partition_size":
            if _int("index.routing_partition_size", value, 1) != 1:
                raise not_supported(
                    "[index.routing_partition_size] other than 1", "routing partitions are not modelled"
                )
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
        elif name == "mapping.total_fields.limit":  # Setting.longSetting(..., 1000, 0, Dynamic)
            values["mapping_total_fields_limit"] = _int("index.mapping.total_fields.limit", value, 0)
        elif name == "mapping.nested_fields.limit":  # Setting.longSetting(..., 50, 0, Dynamic)
            values["mapping_nested_fields_limit"] = _int("index.mapping.nested_fields.limit", value, 0)
        elif name == "mapping.nested_objects.limit":  # Setting.longSetting(..., 10000, 0, Dynamic)
            values["mapping_nested_objects_limit"] = _int("index.mapping.nested_objects.limit", value, 0)
        elif name == "mapping.total_fields.ignore_dynamic_beyond_limit":
            if _strict_bool("index.mapping.total_fields.ignore_dynamic_beyond_limit", value):
                raise not_supported(
                    "[index.mapping.total_fields.ignore_dynamic_beyond_limit: true]",
                    "a document that adds fields beyond the limit is rejected",
                )
            values["mapping_ignore_dynamic_beyond_limit"] = False
        elif name == "highlight.max_analyzed_offset":  # Setting.intSetting(..., 1_000_000, 1, Dynamic)
            values["highlight_max_analyzed_offset"] = _int("index.highlight.max_analyzed_offset", value, 1)
        elif name == "max_ngram_diff":  # Setting.intSetting(..., 1, 0, Dynamic)
            values["max_ngram_diff"] = _int("index.max_ngram_diff", value, 0)
        elif name == "max_shingle_diff":  # Setting.intSetting(..., 3, 0, Dynamic)
            values["max_shingle_diff"] = _int("index.max_shingle_diff", value, 0)
        elif name == "max_terms_count":  # Setting.intSetting(..., 65536, 1, Dynamic)
            values["max_terms_count"] = _int("index.max_terms_count", value, 1)
        elif name == "query.default_field":
            values["default_field"] = tuple(value) if isinstance(value, list) else (str(value),)
        elif name == "search.default_pipeline":  # OpenSearch's: any value, kept as its string form
            values["search_default_pipeline"] = java_str(value)
        elif name == "translog.durability":  # Setting.enumSetting: Enum.valueOf(value.toUpperCase())
            durability = java_str(value)
            if durability.upper() not in ("REQUEST", "ASYNC"):
                raise illegal_argument(
                    f"No enum constant org.elasticsearch.index.translog.Translog.Durability.{durability.upper()}"
                )
            values["translog_durability"] = durability
        elif name == "translog.sync_interval":
            interval = java_str(value)
            if _time_seconds("index.translog.sync_interval", interval) < 0.1:
                raise illegal_argument(
                    f"failed to parse value [{interval}] for setting [index.translog.sync_interval], must be >= [100ms]"
                )
            values["translog_sync_interval"] = interval
        else:
            raise illegal_argument(
                f"unknown setting [index.{name}] please check that any required plugins are installed, "
                f"or check the breaking changes documentation for removed settings"
            )
    shards = values.get("number_of_shards", 1)
    routing = values.get("number_of_routing_shards")
    if routing is not None and routing % shards != 0:  # IndexMetadata.getRoutingFactor
        raise illegal_argument(f"the number of source shards [{shards}] must be a factor of [{routing}]")
    return IndexSettings(**values)


#: ``es.index.max_number_of_shards``' default: the most shards one index may have.
_MAX_SHARDS = 1024

#: ``TimeValue.parseTimeValue``'s units, in seconds; ``m`` (minutes) is matched case-sensitively.
_TIME_UNITS = (("nanos", 1e-9), ("micros", 1e-6), ("ms", 1e-3), ("s", 1.0), ("m", 60.0), ("h", 3600.0), ("d", 86400.0))


def _time_seconds(key: str, raw: str) -> float:
    """A time setting's value in seconds, with ``TimeValue.parseTimeValue``'s errors (``-1``: -1)."""
    normalized = raw.strip().lower()
    for suffix, factor in _TIME_UNITS:
        if (raw.strip() if suffix == "m" else normalized).endswith(suffix):
            number = normalized[: -len(suffix)].strip()
            if re.fullmatch(r"[+-]?[0-9]+", number):
                if int(number) < -1:
                    raise illegal_argument(
                        f"failed to parse setting [{key}] with value [{raw}] as a time value: "
                        "negative durations are not supported"
                    )
                return int(number) * factor
            try:
                float(number)
            except ValueError:
                raise illegal_argument(f"failed to parse [{raw}]") from None
            raise illegal_argument(f"failed to parse [{raw}], fractional time values are not supported")
    if re.fullmatch(r"-0*1", normalized):
        return -1.0
    if re.fullmatch(r"0+", normalized):
        return 0.0
    raise illegal_argument(
        f"failed to parse setting [{key}] with value [{raw}] as a time value: unit is missing or unrecognized"
    )


def settings_values(settings: IndexSettings) -> dict[str, Any]:
    """Every field as JSON (the translog's record of a settings change)."""
    values = {f.name: getattr(settings, f.name) for f in fields(settings)}
    return {name: list(v) if isinstance(v, tuple) else v for name, v in values.items()}


def settings_from_values(values: dict[str, Any]) -> IndexSettings:
    """The inverse of :func:`settings_values`."""
    defaults = IndexSettings()
    given: dict[str, Any] = {k: tuple(v) if isinstance(getattr(defaults, k), tuple) else v for k, v in values.items()}
    return replace(defaults, **given)
