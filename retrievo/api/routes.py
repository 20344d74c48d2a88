"""The route table: (methods, path pattern, API name, handler, query parameters, body), read top to bottom.

API names and paths are those of Elasticsearch's REST API specification; each route's parameters
are the query parameters the official client sends for that API (``__query`` in
``elasticsearch/_sync/client``), plus the URL forms of body keys that Elasticsearch's REST handlers
read (``size``, ``from``, ``sort``, ``_source`` ... on ``_search``). A parameter not listed is
Elasticsearch's ``illegal_argument_exception`` naming it; the response parameters every route takes
(``pretty``, ``human``, ``error_trace``, ``filter_path``, ``format``) are listed in
:data:`retrievo.api.params.COMMON`.

``body``: ``none`` (a body is an error), ``json`` (optional JSON), ``required`` (JSON, required),
``ndjson`` (raw NDJSON, required) or ``raw`` (the bytes as sent, if any: routes of other systems --
Metarank, Cohere, TEI -- whose handlers answer a bad or missing body in that system's own shape).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from retrievo.api import (
    aliases,
    by_query,
    cluster,
    documents,
    esql,
    explain,
    field_caps,
    indices,
    inference,
    info,
    metarank,
    ml,
    query_rules,
    rerank_services,
    scroll,
    search,
    search_pipelines,
    synonyms,
)
from retrievo.api.call import Call


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]
    pattern: str
    api: str
    handler: Callable[[Call], Any]
    params: frozenset[str]
    body: str = "none"

    @cached_property
    def segments(self) -> tuple[str, ...]:
        return tuple(s for s in self.pattern.split("/") if s)


def _p(*groups: str | frozenset[str]) -> frozenset[str]:
    return frozenset(name for group in groups for name in (group.split() if isinstance(group, str) else group))


_INDICES_OPTIONS = "allow_no_indices expand_wildcards ignore_unavailable"
_ACK = "master_timeout timeout"
_SOURCE = "_source _source_excludes _source_includes"
_WRITE = "refresh routing timeout wait_for_active_shards require_alias require_data_stream include_source_on_error"
_WRITE += " pipeline version version_type if_seq_no if_primary_term"
_READ = "preference realtime refresh routing stored_fields version version_type force_synthetic_source"
_QUERY_STRING = "q analyzer analyze_wildcard default_operator df lenient"
_SEARCH = _p(
    _INDICES_OPTIONS,
    _SOURCE,
    _QUERY_STRING,
    "allow_partial_search_results batched_reduce_size ccs_minimize_roundtrips ignore_throttled",
    "include_named_queries_score max_concurrent_shard_requests pre_filter_shard_size preference",
    "request_cache rest_total_hits_as_int routing scroll search_type typed_keys force_synthetic_source",
    "suggest_field suggest_mode suggest_size suggest_text _source_exclude_vectors",
    "size from sort explain timeout terminate_after track_scores track_total_hits version seq_no_primary_term",
    "stored_fields docvalue_fields stats",
    "search_pipeline verbose_pipeline",
)
_COUNT = _p(_INDICES_OPTIONS, _QUERY_STRING, "ignore_throttled min_score preference routing terminate_after stats")
_MSEARCH = _p(
    _INDICES_OPTIONS,
    "ccs_minimize_roundtrips ignore_throttled include_named_queries_score max_concurrent_searches",
    "max_concurrent_shard_requests pre_filter_shard_size rest_total_hits_as_int routing search_type typed_keys",
)
_BY_QUERY = _p(
    _INDICES_OPTIONS,
    _QUERY_STRING,
    "conflicts from max_docs preference refresh request_cache requests_per_second _slice routing scroll",
    "scroll_size search_timeout search_type slices sort stats terminate_after timeout version",
    "wait_for_active_shards wait_for_completion",
)
_PUT_SETTINGS = _p(_INDICES_OPTIONS, _ACK, "flat_settings preserve_existing reopen")
_SCROLL = _p("scroll scroll_id rest_total_hits_as_int")
_STATS = _p(
    "completion_fields expand_wildcards fielddata_fields fields forbid_closed_indices groups",
    "include_segment_file_sizes include_unloaded_segments level",
)
_HEALTH = _p(
    "expand_wildcards level local master_timeout timeout wait_for_active_shards wait_for_events",
    "wait_for_no_initializing_shards wait_for_no_relocating_shards wait_for_nodes wait_for_status",
)
_FIELD_CAPS = _p(_INDICES_OPTIONS, "fields filters include_empty_fields include_unmapped types")
_ALIAS_READ = _p(_INDICES_OPTIONS, "master_timeout")
_INFERENCE_TIMEOUT = _p("timeout")

ROUTES: tuple[Route, ...] = (
    # --------------------------------------------------------------- the node
    Route(("GET",), "/", "info", info.info, _p()),
    Route(("HEAD",), "/", "ping", info.ping, _p()),
    Route(
        ("GET",),
        "/_cluster/health",
        "cluster.health",
        cluster.health,
        _HEALTH,
    ),
    Route(
        ("GET",),
        "/_cluster/health/{index}",
        "cluster.health",
        cluster.health,
        _HEALTH,
    ),
    # --------------------------------------------------------------- search
    Route(("GET", "POST"), "/_search", "search", search.search, _SEARCH, "json"),
    Route(("GET", "POST"), "/{index}/_search", "search", search.search, _SEARCH, "json"),
    Route(("GET", "POST"), "/_search/scroll", "scroll", scroll.scroll, _SCROLL, "json"),
    Route(("GET", "POST"), "/_search/scroll/{scroll_id}", "scroll", scroll.scroll, _SCROLL, "json"),
    Route(("DELETE",), "/_search/scroll", "clear_scroll", scroll.clear_scroll, _p(), "json"),
    Route(("DELETE",), "/_search/scroll/{scroll_id}", "clear_scroll", scroll.clear_scroll, _p(), "json"),
    Route(("GET", "POST"), "/_msearch", "msearch", search.msearch, _MSEARCH, "ndjson"),
    Route(("GET", "POST"), "/{index}/_msearch", "msearch", search.msearch, _MSEARCH, "ndjson"),
    Route(
        ("GET", "POST"),
        "/{index}/_explain/{id}",
        "explain",
        explain.explain,
        _p(_SOURCE, _QUERY_STRING, "preference routing stored_fields _slice"),
        "json",
    ),
    Route(("GET", "POST"), "/_count", "count", search.count, _COUNT, "json"),
    Route(("GET", "POST"), "/{index}/_count", "count", search.count, _COUNT, "json"),
    Route(
        ("GET", "POST"), "/_rank_eval", "rank_eval", search.rank_eval, _p(_INDICES_OPTIONS, "search_type"), "required"
    ),
    Route(
        ("GET", "POST"),
        "/{index}/_rank_eval",
        "rank_eval",
        search.rank_eval,
        _p(_INDICES_OPTIONS, "search_type"),
        "required",
    ),
    Route(
        ("POST",),
        "/_query",
        "esql.query",
        esql.query,
        _p("allow_partial_results delimiter drop_null_columns format"),
        "required",
    ),
    # --------------------------------------------------------------- documents
    Route(
        ("POST", "PUT"),
        "/_bulk",
        "bulk",
        documents.bulk,
        _p(_WRITE, _SOURCE, "list_executed_pipelines _slice"),
        "ndjson",
    ),
    Route(
        ("POST", "PUT"),
        "/{index}/_bulk",
        "bulk",
        documents.bulk,
        _p(_WRITE, _SOURCE, "list_executed_pipelines _slice"),
        "ndjson",
    ),
    Route(("PUT", "POST"), "/{index}/_doc/{id}", "index", documents.index, _p(_WRITE, "op_type _slice"), "required"),
    Route(("POST",), "/{index}/_doc", "index", documents.index, _p(_WRITE, "op_type _slice"), "required"),
    Route(("PUT", "POST"), "/{index}/_create/{id}", "create", documents.create, _p(_WRITE), "required"),
    Route(("GET",), "/{index}/_doc/{id}", "get", documents.get, _p(_READ, _SOURCE, "_source_exclude_vectors _slice")),
    Route(("HEAD",), "/{index}/_doc/{id}", "exists", documents.exists, _p(_READ, _SOURCE)),
    Route(("DELETE",), "/{index}/_doc/{id}", "delete", documents.delete, _p(_WRITE, "_slice")),
    Route(("GET", "POST"), "/_mget", "mget", documents.mget, _p(_READ, _SOURCE, "_slice"), "required"),
    Route(("GET", "POST"), "/{index}/_mget", "mget", documents.mget, _p(_READ, _SOURCE, "_slice"), "required"),
    Route(
        ("POST",),
        "/{index}/_update/{id}",
        "update",
        documents.update,
        _p(_WRITE, "_source_excludes _source_includes lang retry_on_conflict _slice"),
        "required",
    ),
    Route(("POST",), "/{index}/_delete_by_query", "delete_by_query", by_query.delete_by_query, _BY_QUERY, "json"),
    Route(
        ("POST",),
        "/{index}/_update_by_query",
        "update_by_query",
        by_query.update_by_query,
        _p(_BY_QUERY, "pipeline version_type"),
        "json",
    ),
    # --------------------------------------------------------------- indices
    Route(("PUT",), "/{index}", "indices.create", indices.create, _p(_ACK, "wait_for_active_shards"), "json"),
    Route(("DELETE",), "/{index}", "indices.delete", indices.delete, _p(_ACK, _INDICES_OPTIONS)),
    Route(
        ("HEAD",),
        "/{index}",
        "indices.exists",
        indices.exists,
        _p(_INDICES_OPTIONS, "flat_settings include_defaults local"),
    ),
    Route(
        ("GET",),
        "/{index}",
        "indices.get",
        indices.get,
        _p(_INDICES_OPTIONS, "features flat_settings include_defaults local master_timeout"),
    ),
    Route(
        ("GET",), "/_mapping", "indices.get_mapping", indices.get_mapping, _p(_INDICES_OPTIONS, "local master_timeout")
    ),
    Route(
        ("GET",),
        "/{index}/_mapping",
        "indices.get_mapping",
        indices.get_mapping,
        _p(_INDICES_OPTIONS, "local master_timeout"),
    ),
    Route(
        ("PUT", "POST"),
        "/{index}/_mapping",
        "indices.put_mapping",
        indices.put_mapping,
        _p(_INDICES_OPTIONS, _ACK, "write_index_only"),
        "required",
    ),
    Route(
        ("GET",),
        "/_settings",
        "indices.get_settings",
        indices.get_settings,
        _p(_INDICES_OPTIONS, "flat_settings include_defaults local master_timeout"),
    ),
    Route(
        ("GET",),
        "/{index}/_settings",
        "indices.get_settings",
        indices.get_settings,
        _p(_INDICES_OPTIONS, "flat_settings include_defaults local master_timeout"),
    ),
    Route(
        ("GET",),
        "/{index}/_settings/{name}",
        "indices.get_settings",
        indices.get_settings,
        _p(_INDICES_OPTIONS, "flat_settings include_defaults local master_timeout"),
    ),
    Route(
        ("GET",),
        "/_settings/{name}",
        "indices.get_settings",
        indices.get_settings,
        _p(_INDICES_OPTIONS, "flat_settings include_defaults local master_timeout"),
    ),
    Route(("PUT",), "/_settings", "indices.put_settings", indices.put_settings, _PUT_SETTINGS, "required"),
    Route(("PUT",), "/{index}/_settings", "indices.put_settings", indices.put_settings, _PUT_SETTINGS, "required"),
    Route(("GET", "POST"), "/_refresh", "indices.refresh", indices.refresh, _p(_INDICES_OPTIONS)),
    Route(("GET", "POST"), "/{index}/_refresh", "indices.refresh", indices.refresh, _p(_INDICES_OPTIONS)),
    Route(("GET", "POST"), "/_flush", "indices.flush", indices.flush, _p(_INDICES_OPTIONS, "force wait_if_ongoing")),
    Route(
        ("GET", "POST"),
        "/{index}/_flush",
        "indices.flush",
        indices.flush,
        _p(_INDICES_OPTIONS, "force wait_if_ongoing"),
    ),
    Route(("GET", "POST"), "/_analyze", "indices.analyze", indices.analyze, _p("index"), "json"),
    Route(("GET", "POST"), "/{index}/_analyze", "indices.analyze", indices.analyze, _p(), "json"),
    Route(
        ("GET",),
        "/_stats",
        "indices.stats",
        indices.stats,
        _STATS,
    ),
    Route(
        ("GET",),
        "/_stats/{metric}",
        "indices.stats",
        indices.stats,
        _STATS,
    ),
    Route(
        ("GET",),
        "/{index}/_stats",
        "indices.stats",
        indices.stats,
        _STATS,
    ),
    Route(
        ("GET",),
        "/{index}/_stats/{metric}",
        "indices.stats",
        indices.stats,
        _STATS,
    ),
    Route(("GET", "POST"), "/_field_caps", "field_caps", field_caps.field_caps, _FIELD_CAPS, "json"),
    Route(("GET", "POST"), "/{index}/_field_caps", "field_caps", field_caps.field_caps, _FIELD_CAPS, "json"),
    # --------------------------------------------------------------- aliases
    Route(("PUT", "POST"), "/{index}/_alias/{name}", "indices.put_alias", aliases.put_alias, _p(_ACK), "json"),
    Route(("PUT", "POST"), "/{index}/_aliases/{name}", "indices.put_alias", aliases.put_alias, _p(_ACK), "json"),
    Route(("DELETE",), "/{index}/_alias/{name}", "indices.delete_alias", aliases.delete_alias, _p(_ACK)),
    Route(("DELETE",), "/{index}/_aliases/{name}", "indices.delete_alias", aliases.delete_alias, _p(_ACK)),
    Route(("GET",), "/_alias", "indices.get_alias", aliases.get_alias, _ALIAS_READ),
    Route(("GET",), "/_alias/{name}", "indices.get_alias", aliases.get_alias, _ALIAS_READ),
    Route(("GET",), "/{index}/_alias", "indices.get_alias", aliases.get_alias, _ALIAS_READ),
    Route(("GET",), "/{index}/_alias/{name}", "indices.get_alias", aliases.get_alias, _ALIAS_READ),
    Route(("HEAD",), "/_alias/{name}", "indices.exists_alias", aliases.exists_alias, _ALIAS_READ),
    Route(("HEAD",), "/{index}/_alias/{name}", "indices.exists_alias", aliases.exists_alias, _ALIAS_READ),
    Route(("POST",), "/_aliases", "indices.update_aliases", aliases.update_aliases, _p(_ACK), "required"),
    # --------------------------------------------------------------- inference
    Route(("GET",), "/_inference", "inference.get", inference.get, _p()),
    Route(("GET",), "/_inference/{inference_id}", "inference.get", inference.get, _p()),
    Route(("GET",), "/_inference/{task_type}/{inference_id}", "inference.get", inference.get, _p()),
    Route(("PUT",), "/_inference/{inference_id}", "inference.put", inference.put, _INFERENCE_TIMEOUT, "required"),
    Route(
        ("PUT",),
        "/_inference/{task_type}/{inference_id}",
        "inference.put",
        inference.put,
        _INFERENCE_TIMEOUT,
        "required",
    ),
    Route(("DELETE",), "/_inference/{inference_id}", "inference.delete", inference.delete, _p("dry_run force")),
    Route(
        ("DELETE",), "/_inference/{task_type}/{inference_id}", "inference.delete", inference.delete, _p("dry_run force")
    ),
    Route(
        ("POST",),
        "/_inference/rerank/{inference_id}",
        "inference.rerank",
        inference.rerank,
        _INFERENCE_TIMEOUT,
        "required",
    ),
    Route(
        ("POST",),
        "/_inference/text_embedding/{inference_id}",
        "inference.text_embedding",
        inference.text_embedding,
        _INFERENCE_TIMEOUT,
        "required",
    ),
    Route(
        ("POST",),
        "/_inference/{inference_id}",
        "inference.inference",
        inference.inference,
        _INFERENCE_TIMEOUT,
        "required",
    ),
    Route(
        ("POST",),
        "/_inference/{task_type}/{inference_id}",
        "inference.inference",
        inference.inference,
        _INFERENCE_TIMEOUT,
        "required",
    ),
    # --------------------------------------------------------------- OpenSearch ML Commons (_plugins/_ml)
    Route(
        ("PUT",),
        "/_cluster/settings",
        "cluster.put_settings",
        cluster.put_settings,
        _p(_ACK, "flat_settings"),
        "required",
    ),
    Route(
        ("GET",),
        "/_cluster/settings",
        "cluster.get_settings",
        cluster.get_settings,
        _p(_ACK, "flat_settings include_defaults local"),
    ),
    Route(
        ("POST",),
        "/_plugins/_ml/model_groups/_register",
        "ml.register_model_group",
        ml.register_group,
        ml.NO_PARAMS,
        "required",
    ),
    Route(("GET",), "/_plugins/_ml/model_groups/{model_group_id}", "ml.get_model_group", ml.get_group, ml.NO_PARAMS),
    Route(
        ("DELETE",),
        "/_plugins/_ml/model_groups/{model_group_id}",
        "ml.delete_model_group",
        ml.delete_group,
        ml.NO_PARAMS,
    ),
    Route(
        ("POST",),
        "/_plugins/_ml/models/_register",
        "ml.register_model",
        ml.register_model,
        ml.REGISTER_PARAMS,
        "required",
    ),
    Route(
        ("POST",),
        "/_plugins/_ml/models/_undeploy",
        "ml.undeploy_model",
        ml.undeploy_model,
        ml.NO_PARAMS,
        "json",
    ),
    Route(("GET",), "/_plugins/_ml/models/{model_id}", "ml.get_model", ml.get_model, ml.NO_PARAMS),
    Route(("DELETE",), "/_plugins/_ml/models/{model_id}", "ml.delete_model", ml.delete_model, ml.NO_PARAMS),
    Route(
        ("POST",),
        "/_plugins/_ml/models/{model_id}/_deploy",
        "ml.deploy_model",
        ml.deploy_model,
        ml.NO_PARAMS,
        "json",
    ),
    Route(
        ("POST",),
        "/_plugins/_ml/models/{model_id}/_undeploy",
        "ml.undeploy_model",
        ml.undeploy_model,
        ml.NO_PARAMS,
        "json",
    ),
    Route(("POST",), "/_plugins/_ml/models/{model_id}/_predict", "ml.predict", ml.predict, ml.NO_PARAMS, "required"),
    Route(
        ("POST",),
        "/_plugins/_ml/_predict/{algorithm}/{model_id}",
        "ml.predict",
        ml.predict,
        ml.NO_PARAMS,
        "required",
    ),
    Route(("GET",), "/_plugins/_ml/tasks/{task_id}", "ml.get_task", ml.get_task, ml.NO_PARAMS),
    Route(("DELETE",), "/_plugins/_ml/tasks/{task_id}", "ml.delete_task", ml.delete_task, ml.NO_PARAMS),
    # --------------------------------------------------------------- OpenSearch search pipelines
    Route(
        ("GET",),
        "/_search/pipeline",
        "search_pipeline.get",
        search_pipelines.get,
        _p("cluster_manager_timeout"),
    ),
    Route(
        ("GET",),
        "/_search/pipeline/{id}",
        "search_pipeline.get",
        search_pipelines.get,
        _p("cluster_manager_timeout"),
    ),
    Route(
        ("PUT",),
        "/_search/pipeline/{id}",
        "search_pipeline.put",
        search_pipelines.put,
        _p("cluster_manager_timeout timeout"),
        "json",
    ),
    Route(
        ("DELETE",),
        "/_search/pipeline/{id}",
        "search_pipeline.delete",
        search_pipelines.delete,
        _p("cluster_manager_timeout timeout"),
    ),
    # --------------------------------------------------------------- query rules
    Route(("GET",), "/_query_rules", "query_rules.list_rulesets", query_rules.list_rulesets, _p("from size")),
    Route(("PUT",), "/_query_rules/{ruleset_id}", "query_rules.put_ruleset", query_rules.put_ruleset, _p(), "required"),
    Route(("GET",), "/_query_rules/{ruleset_id}", "query_rules.get_ruleset", query_rules.get_ruleset, _p()),
    Route(("DELETE",), "/_query_rules/{ruleset_id}", "query_rules.delete_ruleset", query_rules.delete_ruleset, _p()),
    Route(("POST",), "/_query_rules/{ruleset_id}/_test", "query_rules.test", query_rules.test, _p(), "required"),
    Route(
        ("PUT",),
        "/_query_rules/{ruleset_id}/_rule/{rule_id}",
        "query_rules.put_rule",
        query_rules.put_rule,
        _p(),
        "required",
    ),
    Route(("GET",), "/_query_rules/{ruleset_id}/_rule/{rule_id}", "query_rules.get_rule", query_rules.get_rule, _p()),
    Route(
        ("DELETE",),
        "/_query_rules/{ruleset_id}/_rule/{rule_id}",
        "query_rules.delete_rule",
        query_rules.delete_rule,
        _p(),
    ),
    # --------------------------------------------------------------- synonyms sets
    Route(("GET",), "/_synonyms", "synonyms.get_synonyms_sets", synonyms.list_synonyms_sets, _p("from size")),
    Route(("PUT",), "/_synonyms/{id}", "synonyms.put_synonym", synonyms.put_synonyms, _p("refresh append"), "required"),
    Route(("GET",), "/_synonyms/{id}", "synonyms.get_synonym", synonyms.get_synonyms, _p("from size search_after")),
    Route(("DELETE",), "/_synonyms/{id}", "synonyms.delete_synonym", synonyms.delete_synonyms, _p()),
    Route(
        ("PUT",),
        "/_synonyms/{set_id}/{rule_id}",
        "synonyms.put_synonym_rule",
        synonyms.put_synonym_rule,
        _p("refresh"),
        "required",
    ),
    Route(("GET",), "/_synonyms/{set_id}/{rule_id}", "synonyms.get_synonym_rule", synonyms.get_synonym_rule, _p()),
    Route(
        ("DELETE",),
        "/_synonyms/{set_id}/{rule_id}",
        "synonyms.delete_synonym_rule",
        synonyms.delete_synonym_rule,
        _p("refresh"),
    ),
    Route(
        ("GET", "POST"),
        "/{index}/_reload_search_analyzers",
        "indices.reload_search_analyzers",
        synonyms.reload_search_analyzers,
        _p(_INDICES_OPTIONS, "resource"),
    ),
    # --------------------------------------------------------------- Metarank inference; Cohere and TEI rerank
    Route(("POST",), "/inference/cross/{name}", "metarank.inference_cross", metarank.cross, _p(), "raw"),
    Route(("POST",), "/inference/encoder/{name}", "metarank.inference_encoder", metarank.encoder, _p(), "raw"),
    Route(("POST",), "/v1/rerank", "cohere.rerank", rerank_services.cohere_v1, _p(), "raw"),
    Route(("POST",), "/v2/rerank", "cohere.rerank_version_two", rerank_services.cohere_v2, _p(), "raw"),
    Route(("POST",), "/rerank", "tei.rerank", rerank_services.tei_rerank, _p(), "raw"),
)
