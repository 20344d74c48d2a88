"""The ``pinned`` query (``PinnedQueryBuilder``) and the ``docs`` items it shares with the ``pinned``
retriever (``SpecifiedDocument``, an object parser named ``item``).

Both builders' ``fromXContent`` rethrow what their ``ConstructingObjectParser`` throws as a
``parsing_exception`` with the same message; their constructors' checks fail in the parser's build step,
so they read ``Failed to build [pinned] after last required field arrived`` around the
``illegal_argument_exception``.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import ApiError, bad_request, error_cause, error_reason, illegal_argument
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import is_negative, is_unsupported, negative_boost, x_content
from retrievo.grammar.json.objects import (
    OBJECT,
    OBJECT_ARRAY,
    STRING_ARRAY,
    Field,
    float_field,
    parse_array,
    parse_object,
    string_field,
)
from retrievo.grammar.json.query_common import QueryContext
from retrievo.retrievers.pinned import PinnedDoc, PinnedQuery, pin_list_problem

NAME = "pinned"
_WILDCARDS = ("*",)  # Regex.isSimpleMatchPattern: a pattern is anything holding '*'


def build_failure(parser: str, reason: str) -> ApiError:
    """What ``ConstructingObjectParser`` makes of a constructor's ``IllegalArgumentException``."""
    return x_content(
        f"Failed to build [{parser}] after last required field arrived",
        cause=error_cause("illegal_argument_exception", reason),
    )


def _id_text(value: Any) -> str:
    if value is None:
        raise jv.BadValue(error_cause("illegal_argument_exception", f"[{NAME}] id cannot be null"))
    return jv.java_text(value)


def parse_ids(value: Any) -> tuple[str, ...]:
    """``declareStringArray``: one string or an array of them."""
    return tuple(parse_array(value, _id_text))


def _item(value: Any) -> PinnedDoc:
    """``SpecifiedDocument.PARSER`` (named ``item``): ``_id`` required, ``_index`` optional, no wildcards."""
    parsed = parse_object("item", value, {"_index": string_field(), "_id": string_field()})
    if "_id" not in parsed:
        raise x_content(
            "[item] failed to parse object", cause=error_cause("illegal_argument_exception", "Required [_id]")
        )
    index = parsed.get("_index")
    if index is not None and any(w in index for w in _WILDCARDS):
        raise build_failure("item", "Item index cannot contain wildcard expressions")
    return PinnedDoc(id=parsed["_id"], index=index)


def parse_docs(value: Any) -> tuple[PinnedDoc, ...]:
    """``declareObjectArray`` of ``SpecifiedDocument``s."""
    return tuple(parse_array(value, _item))


def as_parsing_exception(err: ApiError) -> ApiError:
    """Both ``fromXContent``s' ``catch (Exception e) → ParsingException(e.getMessage(), e)``."""
    if is_unsupported(err):
        return err
    cause = {k: v for k, v in err.body["error"].items() if k != "root_cause"}
    return bad_request("parsing_exception", error_reason(err), caused_by=cause)


def parse_pinned_query(body: dict[str, Any], ctx: QueryContext) -> PinnedQuery:
    """``PinnedQueryBuilder.fromXContent``: a ``ConstructingObjectParser`` whose errors (all of them
    ``IllegalArgumentException``s, parse errors included) are rethrown as ``parsing_exception``; the
    constructor's checks fail in the build step (``Failed to build [pinned] ...``)."""
    fields: dict[str, Field] = {
        "organic": Field(OBJECT, ctx.inner),
        "ids": Field(STRING_ARRAY, parse_ids),
        "docs": Field(OBJECT_ARRAY, parse_docs),
        "boost": float_field(),
        "_name": string_field(),
    }
    try:
        parsed = parse_object(NAME, body, fields)
        if "organic" not in parsed:
            raise illegal_argument("Required [organic]")
        ids, docs = parsed.get("ids"), parsed.get("docs")
        if ids is None and docs is None:
            raise build_failure(NAME, "[pinned] ids and docs cannot both be null")
        if ids is not None and docs is not None:
            raise build_failure(NAME, "[pinned] ids and docs cannot both be used")
        problem = pin_list_problem(ids, docs)
        if problem is not None:
            raise build_failure(NAME, problem)
        boost = parsed.get("boost", 1.0)
        if is_negative(boost):
            raise negative_boost(NAME, body)
        params: dict[str, Any] = {"boost": boost}
        if "_name" in parsed:
            params["name"] = parsed["_name"]
        return PinnedQuery(organic=parsed["organic"], ids=ids, docs=docs, **params)
    except ApiError as err:
        raise as_parsing_exception(err) from None
