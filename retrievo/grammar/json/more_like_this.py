"""``more_like_this``: ``MoreLikeThisQueryBuilder.fromXContent`` and ``Item.parse``.

The builder reads its parameters by token kind: scalars, arrays (``fields``, ``like``, ``unlike``,
``stop_words``) and objects (a ``like``/``unlike`` document); anything else is ``[mlt] query does not
support [x]``. A document item names an ``_id`` of an index or carries an artificial ``doc``.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import bad_request, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.query_common import QueryContext, bool_param, checked_boost, float_param, int_param
from retrievo.retrievers.more_like_this import LikeItem, MoreLikeThisQuery

_INTS = ("max_query_terms", "min_term_freq", "min_doc_freq", "max_doc_freq", "min_word_length", "max_word_length")
_ITEM_REFUSED = ("per_field_analyzer", "version", "version_type")


def _unsupported(key: str) -> Exception:
    return parsing_error(f"[mlt] query does not support [{key}]")


def _item_error(reason: str) -> Exception:
    return bad_request("parse_exception", f"failed to parse More Like This item. {reason}")


def _item(body: dict[str, Any]) -> LikeItem:
    """``Item.parse``."""
    params: dict[str, Any] = {}
    for key, value in body.items():
        if key == "_index":
            params["index"] = jv.java_text(value)
        elif key == "_id":
            params["id"] = jv.java_text(value)
        elif key == "doc":
            if not isinstance(value, dict):
                raise _item_error("[doc] must be an object")
            params["doc"] = value
        elif key == "fields":
            items = value if isinstance(value, list) else [value]
            params["fields"] = tuple(jv.java_text(v) for v in items)
        elif key == "routing":
            params["routing"] = jv.java_text(value)
        elif key in _ITEM_REFUSED:
            raise not_supported(f"[more_like_this] item parameter [{key}]", "documents are read as last indexed")
        else:
            raise _item_error(f"unknown field [{key}]")
    if "id" in params and "doc" in params:
        raise _item_error("either [_id] or [doc] can be specified, but not both!")
    if "id" not in params and "doc" not in params:
        raise _item_error("neither [_id] nor [doc] is specified!")
    return LikeItem(**params)


def _like(value: Any, texts: list[str], items: list[LikeItem]) -> None:
    """``parseLikeField``: a string is a text, an object a document."""
    if jv.is_value(value):
        texts.append(jv.java_text(value))
    elif isinstance(value, dict):
        items.append(_item(value))
    else:
        raise bad_request(
            "illegal_argument_exception", "Content of 'like' parameter should either be a string or an object"
        )


def parse_more_like_this(body: dict[str, Any], ctx: QueryContext) -> MoreLikeThisQuery:
    """``MoreLikeThisQueryBuilder.fromXContent``."""
    params: dict[str, Any] = {}
    like_texts: list[str] = []
    like_items: list[LikeItem] = []
    unlike_texts: list[str] = []
    unlike_items: list[LikeItem] = []
    fields: list[str] | None = None
    for key, value in body.items():
        if key in ("like", "unlike"):
            texts, items = (like_texts, like_items) if key == "like" else (unlike_texts, unlike_items)
            for element in value if isinstance(value, list) else [value]:
                _like(element, texts, items)
        elif isinstance(value, list):
            if key == "fields":
                fields = [jv.java_text(v) for v in value]
            elif key == "stop_words":
                params["stop_words"] = tuple(jv.java_text(v) for v in value)
            else:
                raise _unsupported(key)
        elif not jv.is_value(value):
            raise _unsupported(key)
        elif key in _INTS:
            params[key] = int_param("mlt", key, value)
        elif key in ("analyzer", "minimum_should_match"):
            params[key] = jv.java_text(value)
        elif key in ("boost_terms", "boost"):
            params[key] = float_param("mlt", key, value)
        elif key in ("include", "fail_on_unsupported_field"):
            params[key] = bool_param("mlt", key, value)
        elif key == "_name":
            params["name"] = jv.java_text(value)
        else:
            raise _unsupported(key)
    if not like_texts and not like_items:
        raise parsing_error("more_like_this requires 'like' to be specified")
    if fields is not None and not fields:
        raise parsing_error("more_like_this requires 'fields' to be non-empty")
    checked_boost("more_like_this", body, params.get("boost", 1.0))
    return MoreLikeThisQuery(
        fields=tuple(fields) if fields is not None else None,
        like_texts=tuple(like_texts),
        like_items=tuple(like_items),
        unlike_texts=tuple(unlike_texts),
        unlike_items=tuple(unlike_items),
        **params,
    )
