"""Elasticsearch's synonyms API (``_synonyms``) and ``_reload_search_analyzers``.

Answers as Elasticsearch's REST actions do: ``PUT`` a set or a rule answers ``{"result": "created"}``
(201) or ``"updated"`` (200) with ``reload_analyzers_details`` — the updateable analyzers of the indices
that use the set, reloaded before the answer (``refresh=false``: not reloaded, and no details); ``GET``
a set ``{"count", "synonyms_set"}`` (rules by id, ``from``/``size`` default 0/10); the list of sets
``{"count", "results": [{"synonyms_set", "count"}]}``; ``DELETE`` a set ``{"acknowledged": true}``
(refused while an index uses it), a rule ``{"result": "deleted", ...}``. Paging is checked as
``AbstractSynonymsPagedResultAction.Request.validate`` checks it.
"""

from __future__ import annotations

from typing import Any

from retrievo.api import params as p
from retrievo.api.call import Call, body_object, reply
from retrievo.api.resolve import resolve_call
from retrievo.api.types import RestResponse
from retrievo.errors import bad_request, illegal_argument, validation_error
from retrievo.synonyms.models import SynonymRule, parse_rule, validate_rule
from retrievo.synonyms.reload import reload_details, uses_set

DEFAULT_PAGE_SIZE = 10
MAX_SYNONYMS_RESULTS = 10_000


def _page(call: Call) -> tuple[int, int]:
    start = p.as_int("from", call.param("from"), 0)
    size = p.as_int("size", call.param("size"), DEFAULT_PAGE_SIZE)
    assert start is not None and size is not None
    problems = [
        f"[{name}] must be a positive integer" for name, value in (("from", start), ("size", size)) if value < 0
    ]
    if start + size > MAX_SYNONYMS_RESULTS:
        problems.append(
            f"Too many results to retrieve. [from] + [size] must be less than or equal to {MAX_SYNONYMS_RESULTS}"
        )
    if problems:
        raise validation_error(*problems)
    return start, size


def _body(call: Call, what: str) -> dict[str, Any]:
    if call.body is None:
        raise bad_request("parse_exception", "request body is required")
    return body_object(call.body, what)


def _check(rules: list[SynonymRule]) -> None:
    problems = [problem for rule in rules if (problem := validate_rule(rule.synonyms)) is not None]
    if problems:
        raise validation_error(*problems)


def _updated(call: Call, result: str, set_id: str) -> RestResponse:
    """``SynonymUpdateResponse``: the indices using the set reloaded first (unless ``refresh=false``)."""
    body: dict[str, Any] = {"result": result}
    if p.as_bool("refresh", call.param("refresh"), True):
        catalog = call.catalog
        using = [s for s in catalog.shards.values() if uses_set(s, set_id)]
        body["reload_analyzers_details"] = reload_details(
            using, catalog.synonyms.rule_lines, catalog.synonyms.node_id, set_id
        )
    return reply(201 if result == "created" else 200, body)


def put_synonyms(call: Call) -> RestResponse:
    """``PUT _synonyms/{id}``: create or replace a set (``append=true``: add to it)."""
    set_id = str(call.part("id"))
    body = _body(call, "synonyms_set")
    for key in body:
        if key != "synonyms_set":
            raise bad_request("x_content_parse_exception", f"[synonyms_set] unknown field [{key}]")
    if "synonyms_set" not in body:
        raise bad_request("x_content_parse_exception", "Required [synonyms_set]")
    raw = body["synonyms_set"]
    rules = [parse_rule(r) for r in (raw if isinstance(raw, list) else [raw])]
    _check(rules)
    created = call.catalog.synonyms.put_set(set_id, rules, append=p.as_bool("append", call.param("append"), False))
    return _updated(call, "created" if created else "updated", set_id)


def get_synonyms(call: Call) -> dict[str, Any]:
    """``GET _synonyms/{id}``: ``count`` is every rule, ``synonyms_set`` the page (after ``search_after``)."""
    start, size = _page(call)
    rules = call.catalog.synonyms.rules(str(call.part("id")))
    after = call.param("search_after")
    page = [r for r in rules if after is None or r.id > str(after)]
    return {"count": len(rules), "synonyms_set": [r.to_json() for r in page[start : start + size]]}


def delete_synonyms(call: Call) -> dict[str, Any]:
    """``DELETE _synonyms/{id}``: refused while an index's analyzer reads the set."""
    set_id = str(call.part("id"))
    catalog = call.catalog
    catalog.synonyms.rules(set_id)  # a missing set is 404 first
    using = sorted(name for name, shard in catalog.shards.items() if uses_set(shard, set_id))
    if using:
        raise illegal_argument(
            f"synonyms set [{set_id}] cannot be deleted as it is used in the following indices: {', '.join(using)}"
        )
    catalog.synonyms.delete_set(set_id)
    return {"acknowledged": True}


def list_synonyms_sets(call: Call) -> dict[str, Any]:
    """``GET _synonyms``: every set by id with its number of rules."""
    start, size = _page(call)
    sets = call.catalog.synonyms.counts()
    return {"count": len(sets), "results": [{"synonyms_set": s, "count": n} for s, n in sets[start : start + size]]}


def put_synonym_rule(call: Call) -> RestResponse:
    """``PUT _synonyms/{set_id}/{rule_id}``: add or replace one rule of an existing set."""
    set_id, rule_id = str(call.part("set_id")), str(call.part("rule_id"))
    body = _body(call, "synonym_rule")
    if "id" in body:  # PutSynonymRuleAction reads only [synonyms]: the id is the path's
        raise bad_request("x_content_parse_exception", "[synonym_rule] unknown field [id]")
    rule = parse_rule(body, rule_id=rule_id)
    _check([rule])
    created = call.catalog.synonyms.put_rule(set_id, rule)
    return _updated(call, "created" if created else "updated", set_id)


def get_synonym_rule(call: Call) -> dict[str, Any]:
    return call.catalog.synonyms.rule(str(call.part("set_id")), str(call.part("rule_id"))).to_json()


def delete_synonym_rule(call: Call) -> RestResponse:
    set_id = str(call.part("set_id"))
    call.catalog.synonyms.delete_rule(set_id, str(call.part("rule_id")))
    return _updated(call, "deleted", set_id)


def reload_search_analyzers(call: Call) -> dict[str, Any]:
    """``POST /{index}/_reload_search_analyzers``: reload every updateable analyzer of the indices."""
    catalog = call.catalog
    shards = [catalog.shards[name] for name in resolve_call(call)]
    resource = call.param("resource")  # only the analyzers reading this synonyms set
    return reload_details(shards, catalog.synonyms.rule_lines, catalog.synonyms.node_id, resource)
