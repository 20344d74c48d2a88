"""How each criteria type matches a ``match_criteria`` value (``QueryRuleCriteriaType``,
``QueryRuleCriteria.isMatch``), as pure functions.

Facts carried over from Elasticsearch:

* The input is first checked for the type (``validateInput``): ``exact`` takes a string or a number;
  ``fuzzy``, ``prefix``, ``suffix`` and ``contains`` a string only; ``lt``/``lte``/``gt``/``gte`` a number
  or text that ``Double.parseDouble`` reads; ``always`` anything. While rules are applied an invalid input
  means "no match", never an error.
* The input is then compared as its Java ``toString()`` (``10`` is ``"10"``, ``1.5`` is ``"1.5"``) with
  each of the criterion's values in turn; the first that matches matches the criterion.
* Criteria values are kept as text (``values: [100]`` is ``["100"]``), so ``exact`` is string equality
  with the input's text (``10`` matches ``"10"``, ``10.0`` does not). ``fuzzy``: Lucene's
  ``LevenshteinDistance`` similarity (``1 - edits / longer length``, in float) above ``0.5``.
  ``prefix``/``suffix``/``contains``: Java's ``startsWith``/``endsWith``/``contains``. The numeric
  comparisons read both sides as doubles.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import bad_request
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import lucene_similarity
from retrievo.java_text import java_double_str

#: ``QueryRuleCriteriaType`` in declaration order (the order ``rule_criteria_types_counts`` lists them).
CRITERIA_TYPES: tuple[str, ...] = ("always", "exact", "fuzzy", "prefix", "suffix", "contains", "lt", "lte", "gt", "gte")
NUMERIC_TYPES: frozenset[str] = frozenset({"lt", "lte", "gt", "gte"})
STRING_TYPES: frozenset[str] = frozenset({"fuzzy", "prefix", "suffix", "contains"})
#: ``fuzzy`` matches when Lucene's Levenshtein similarity is above this.
FUZZY_THRESHOLD = 0.5


def criteria_type(name: str) -> str:
    """``QueryRuleCriteriaType.type``: the name, case-insensitively."""
    lowered = name.lower()
    if lowered not in CRITERIA_TYPES:
        raise ValueError(f"Unknown QueryRuleCriteriaType: {name}")
    return lowered


def java_string(value: Any) -> str:
    """A JSON scalar's Java ``toString()`` (``Integer``/``Long``, ``Double``, ``Boolean``, ``String``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double_str(value)
    if value is None:
        return "null"
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_double(value: Any) -> float:
    """``QueryRuleCriteriaType.parseDouble``: a number's value, else ``Double.parseDouble`` of its text
    (a ``NumberFormatException`` is Elasticsearch's ``number_format_exception``)."""
    if _is_number(value):
        return float(value)
    try:
        return jv.parse_java_double(java_string(value))
    except jv.BadValue as bad:
        raise bad_request(str(bad.cause["type"]), str(bad.cause["reason"])) from None


def is_valid_input(ctype: str, value: Any) -> bool:
    """``QueryRuleCriteriaType.isValidForInput`` (``always`` accepts nothing here: it is never asked)."""
    if ctype == "exact":
        return isinstance(value, str) or _is_number(value)
    if ctype in STRING_TYPES:
        return isinstance(value, str)
    if ctype in NUMERIC_TYPES:
        if _is_number(value):
            return True
        try:
            jv.parse_java_double(java_string(value))
        except jv.BadValue:
            return False
        return True
    return False


def invalid_input(ctype: str, value: Any) -> str:
    """``validateInput``'s message."""
    return f"Input [{java_string(value)}] is not valid for CriteriaType [{ctype}]"


def value_matches(ctype: str, text: str, criteria_value: Any) -> bool:
    """One criteria value against the input's text (``QueryRuleCriteriaType.isMatch``)."""
    if ctype == "always":
        return True
    if ctype == "exact":
        if isinstance(criteria_value, str):
            return text == criteria_value
        return parse_double(text) == parse_double(criteria_value)
    if ctype == "fuzzy":
        return isinstance(criteria_value, str) and lucene_similarity(text, criteria_value) > FUZZY_THRESHOLD
    value = java_string(criteria_value)
    if ctype == "prefix":
        return text.startswith(value)
    if ctype == "suffix":
        return text.endswith(value)
    if ctype == "contains":
        return value in text
    left, right = parse_double(text), parse_double(criteria_value)
    if ctype == "lt":
        return left < right
    if ctype == "lte":
        return left <= right
    if ctype == "gt":
        return left > right
    return left >= right


def criterion_matches(ctype: str, values: tuple[Any, ...], match_value: Any) -> bool:
    """``QueryRuleCriteria.isMatch`` as rules are applied (invalid input: no match)."""
    if ctype == "always":
        return True
    text = java_string(match_value)
    for criteria_value in values:
        if not is_valid_input(ctype, match_value):
            return False
        if value_matches(ctype, text, criteria_value):
            return True
    return False
