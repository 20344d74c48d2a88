"""Synonym rules as the ``_synonyms`` API holds them, with Elasticsearch's checks.

A rule is an id and one Solr-format line. ``PUT`` checks each line the way ``SynonymRule.validate``
does — without an analyzer, only the shape: not empty, at most one ``=>``, no empty term on either
side — and every failure is listed in one ``action_request_validation_exception``. A rule without an
id gets a random one (Elasticsearch's base64 UUIDs: 20 URL-safe characters).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

from retrievo.errors import bad_request
from retrievo.index.analysis.synonyms import split_rule


@dataclass(frozen=True)
class SynonymRule:
    id: str
    synonyms: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "synonyms": self.synonyms}


def new_rule_id() -> str:
    """A random id shaped like Elasticsearch's ``UUIDs.base64UUID()`` (15 bytes, URL-safe base64)."""
    return base64.urlsafe_b64encode(os.urandom(15)).decode("ascii")


def validate_rule(synonyms: str) -> str | None:
    """``SynonymRule.validate``: the problem with a rule, or None."""
    if not synonyms:
        return "[synonyms] field can't be empty"
    sides = split_rule(synonyms, "=>")
    if len(sides) > 1:
        if len(sides) != 2:
            return f"More than one explicit mapping specified in the same synonyms rule: [{synonyms}]"
        terms = split_rule(sides[0], ",") + split_rule(sides[1], ",")
    else:
        terms = split_rule(synonyms, ",")
    if any(not t.strip() for t in terms):
        return f"Incorrect syntax for [synonyms]: [{synonyms}]"
    return None


def parse_rule(value: Any, *, rule_id: str | None = None) -> SynonymRule:
    """One rule object (``{"id"?, "synonyms"}``) as ``SynonymRule.fromXContent`` reads it."""
    if not isinstance(value, dict):
        raise bad_request("x_content_parse_exception", "[synonym_rule] failed to parse object")
    for key in value:
        if key not in ("id", "synonyms"):
            raise bad_request("x_content_parse_exception", f"[synonym_rule] unknown field [{key}]")
    synonyms = value.get("synonyms")
    if synonyms is None:
        raise bad_request("x_content_parse_exception", "Required [synonyms]")
    if not isinstance(synonyms, str):
        raise bad_request("x_content_parse_exception", "[synonym_rule] synonyms doesn't support values of this type")
    given = value.get("id") if rule_id is None else rule_id
    if given is not None and not isinstance(given, str):
        raise bad_request("x_content_parse_exception", "[synonym_rule] id doesn't support values of this type")
    return SynonymRule(given or new_rule_id(), synonyms)
