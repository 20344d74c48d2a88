"""``rule`` retriever (``QueryRuleRetrieverBuilder``): ``retriever``, ``ruleset_ids``, ``match_criteria``,
``rank_window_size`` and the base fields.

``fromXContent`` rethrows whatever its ``ConstructingObjectParser`` throws as a ``parsing_exception`` with
the same message. The ruleset checks (at most 10, none empty, non-empty ``match_criteria``) are those of
the ``rule`` query the retriever builds, so they fail the search with ``illegal_argument_exception``
(:func:`retrievo.query_rules.resolve.apply_query_rules`), not the parse.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import ApiError, illegal_argument
from retrievo.grammar.json.objects import OBJECT, STRING_ARRAY, Field, int_field, parse_object
from retrievo.grammar.json.pinned_query import as_parsing_exception
from retrievo.grammar.json.retriever_common import BASE_FIELDS, RetrieverParser, base_kwargs
from retrievo.grammar.json.rule_query import match_criteria, ruleset_list
from retrievo.retrievers.fusion import DEFAULT_RANK_WINDOW_SIZE
from retrievo.retrievers.rule import RuleRetriever

NAME = "rule"


def rule_parser(parse_child: RetrieverParser) -> RetrieverParser:
    """The ``rule`` retriever parser, parsing the retriever it wraps with ``parse_child``."""
    fields: dict[str, Field] = {
        "ruleset_ids": Field(STRING_ARRAY, ruleset_list),
        "match_criteria": Field(OBJECT, match_criteria),
        "retriever": Field(OBJECT, parse_child),
        "rank_window_size": int_field(),
        **BASE_FIELDS,
    }

    def parse_rule(body: dict[str, Any]) -> RuleRetriever:
        try:
            parsed = parse_object(NAME, body, fields)
            missing = [f for f in ("ruleset_ids", "match_criteria", "retriever") if f not in parsed]
            if missing:
                raise illegal_argument(f"Required [{', '.join(missing)}]")
            return RuleRetriever(
                retriever=parsed["retriever"],
                ruleset_ids=tuple("" if i is None else i for i in parsed["ruleset_ids"]),
                match_criteria=parsed["match_criteria"],
                rank_window_size=parsed.get("rank_window_size", DEFAULT_RANK_WINDOW_SIZE),
                **base_kwargs(parsed),
            )
        except ApiError as err:
            raise as_parsing_exception(err) from None

    return parse_rule
