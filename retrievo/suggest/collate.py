"""The ``phrase`` suggester's ``collate``: keep only the corrections a query built from them matches.

Elasticsearch parses ``collate`` in ``PhraseSuggestionBuilder.fromXContent`` (``query`` is a ``Script``
read by ``Script.parse`` with ``mustache`` as the default language; ``params``; ``prune``), compiles
the template when the shard builds the suggestion (``PhraseSuggestionBuilder.build``), and in
``PhraseSuggester.innerExecute`` renders it once per correction, with the correction's text (its
words joined by a space, no highlighting) as the ``suggestion`` variable on top of ``params``. The
rendered text is parsed as a top-level query and run against the shard's searcher
(``Lucene.exists``): a correction whose query matches no live document is dropped, or — with
``prune: true`` — kept, and every option then carries ``collate_match``.

Templates are rendered by retrievo's mustache module (``evaluation/mustache.py``: variables, sections,
``{{#toJson}}``, ``{{#join}}``, ``{{#url}}``; partials and delimiter changes refused), JSON-escaping
``{{var}}`` as Elasticsearch's default ``application/json`` templates do. Stored templates (``id``)
are refused: retrievo keeps no stored scripts. The query runs through a ``QueryMask`` the caller hands
in (the planner compiles and evaluates it), so this module needs nothing above the grammar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from retrievo import xcontent
from retrievo.errors import ApiError, error_cause, illegal_argument, not_supported, parsing_error, shard_failure
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import is_unsupported, unknown_field, unsupported_token, x_content
from retrievo.grammar.json.queries import parse_top_level_query
from retrievo.retrievers.queries import Query
from retrievo.suggest.phrase_model import Collate

__all__ = ["QueryMask", "check_collate", "collate_matcher", "parse_collate"]

#: A parsed query → the documents of the searcher it matches (``bool[max_doc]``, deleted ones included).
QueryMask = Callable[[Query], np.ndarray]

_JSON = "application/json"
_PLAIN = "text/plain"
_SCRIPT_FIELDS = ("source", "id", "lang", "options", "params")


def _script(value: Any, next_token: str) -> tuple[str, str, str | None]:
    """``Script.parse(parser, "mustache")`` for the ``query`` template: (source, lang, content type).

    A string is the inline source itself. Anything else goes to the script object parser, which —
    not standing on an object — reads the next token (``next_token``) and fails on it."""
    if isinstance(value, str):
        return value, "mustache", None
    if not isinstance(value, Mapping):
        raise x_content(f"[script] Expected START_OBJECT but was: {next_token}")
    source: str | None = None
    lang: str | None = None
    options: dict[str, str] = {}
    for key, item in value.items():
        if key not in _SCRIPT_FIELDS:
            raise unknown_field("script", key, _SCRIPT_FIELDS)
        if key == "source":
            if isinstance(item, Mapping):  # a search template given as JSON: kept as its text
                source = _json_text(item)
                options["content_type"] = _JSON
            elif isinstance(item, str):
                source = item
            else:
                raise unsupported_token("script", key, jv.token_of(item))
        elif key == "id":
            raise not_supported(
                "stored scripts ([id]) in the [phrase] suggester's [collate] [query]", "give the template as [source]"
            )
        elif key == "lang":
            if not jv.is_value(item) or item is None:
                raise unsupported_token("script", key, jv.token_of(item))
            lang = jv.java_text(item)
        elif key == "options":
            if not isinstance(item, Mapping):
                raise unsupported_token("script", key, jv.token_of(item))
            options.update({str(k): jv.java_text(v) for k, v in item.items()})
        else:  # params: Elasticsearch renders the collate template with [collate][params] only
            raise not_supported(
                "[params] of the [phrase] suggester's [collate] [query]",
                "Elasticsearch does not apply them; give them in [collate][params]",
            )
    if source is None:
        raise illegal_argument("must specify either [source] for an inline script or [id] for a stored script")
    content_type = options.pop("content_type", None)
    if options:
        shown = ", ".join(f"{k}={v}" for k, v in options.items())
        raise illegal_argument(f"illegal compiler options [{{{shown}}}] specified")
    return source, lang if lang is not None else "mustache", content_type


def _json_text(value: Any) -> str:
    """A JSON value as compact JSON text (what ``copyCurrentStructure`` writes)."""
    return xcontent.dumps(value).decode("utf-8")


def parse_collate(body: Mapping[str, Any]) -> Collate | None:
    """The ``collate`` object of a ``phrase`` suggestion. Without a ``query`` Elasticsearch builds no
    collation (its ``params`` and ``prune`` have nothing to apply to), and neither does this."""
    template: tuple[str, str, str | None] | None = None
    params: dict[str, Any] = {}
    prune = False
    keys = list(body)
    for i, (key, value) in enumerate(body.items()):
        if key == "query":
            following = "FIELD_NAME" if i + 1 < len(keys) else "END_OBJECT"
            template = _script(value, following)
        elif key == "params":
            if isinstance(value, list):
                raise not_supported("[phrase] suggester [collate][params] given as an array", "give an object")
            # XContentParser.map(): a scalar reads as an empty map
            params = dict(value) if isinstance(value, Mapping) else {}
        elif key == "prune":
            if isinstance(value, bool):
                prune = value
            elif isinstance(value, str) and value in ("true", "false"):
                prune = value == "true"
            else:
                raise parsing_error("suggester[phrase][collate] prune must be either 'true' or 'false'")
        else:
            raise parsing_error(f"suggester[phrase][collate] doesn't support field [{key}]")
    if template is None:
        return None
    source, lang, content_type = template
    return Collate(source=source, params=params, prune=prune, lang=lang, content_type=content_type)


def _shard_error(index: str, err: ApiError) -> ApiError:
    """An error while a collate query is built or run fails the shard, as Elasticsearch's suggest phase
    does; one that already is a shard failure (or a retrievo refusal) passes unchanged."""
    if err.error == "search_phase_execution_exception" or is_unsupported(err):
        return err
    cause = {k: v for k, v in err.body["error"].items() if k != "root_cause"}
    failure = shard_failure(index, cause)
    # a root cause prints without its own cause (ElasticsearchException's REST_EXCEPTION_SKIP_CAUSE)
    failure.body["error"]["root_cause"] = [{k: v for k, v in cause.items() if k != "caused_by"}]
    return failure


def _media_type(c: Collate) -> str:
    """The template's media type without parameters (``application/json; charset=UTF-8`` is JSON);
    JSON, whose values ``{{var}}`` escapes, unless the script's options say otherwise."""
    return _JSON if c.content_type is None else c.content_type.split(";")[0].strip().lower()


def check_collate(c: Collate, index: str) -> None:
    """What compiling the template on the shard checks (``ScriptService.compile``): its language, its
    content type, and the mustache source itself."""
    from retrievo.evaluation.mustache import render  # evaluation's package imports the planner: import late

    if c.lang != "mustache":
        reason = (
            "painless does not know how to handle context [template]"
            if c.lang == "painless"
            else f"script_lang not supported [{c.lang}]"
        )
        raise shard_failure(index, error_cause("illegal_argument_exception", reason))
    if _media_type(c) not in (_JSON, _PLAIN):
        raise not_supported(f"collate template content_type [{c.content_type}]", f"use {_JSON} or {_PLAIN}")
    try:
        render(c.source, {})
    except ApiError as err:
        raise _shard_error(index, err) from None


def collate_matcher(c: Collate, query_mask: QueryMask, live: np.ndarray, index: str) -> Callable[[str], bool]:
    """A correction's text → whether its rendered query matches a live document."""
    from retrievo.evaluation.mustache import render  # evaluation's package imports the planner: import late

    escape = _media_type(c) != _PLAIN

    def matches(text: str) -> bool:
        rendered = render(c.source, {**c.params, "suggestion": text}, json_escape=escape)
        try:
            mask = query_mask(parse_top_level_query(xcontent.loads(rendered)))
        except ApiError as err:
            raise _shard_error(index, err) from None
        return bool(np.any(mask & live))

    return matches
