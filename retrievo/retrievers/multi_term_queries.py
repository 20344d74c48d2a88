"""The multi-term queries: ``fuzzy``, ``wildcard`` and ``regexp``.

They match the indexed terms an automaton accepts (within edit distance, by pattern, by regular
expression), so what they compile to depends on the index's term dictionary (``lucene/multi_term.py``).
Values are kept as the user wrote them; ``fuzziness`` as Elasticsearch's ``Fuzziness.asString``
(``AUTO``, ``AUTO:3,7``, ``0``, ``1``, ``2``) once the parser has validated it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.retrievers.queries import Query, Scalar

#: ``FuzzyQuery.defaultMaxExpansions`` and ``defaultPrefixLength``.
DEFAULT_MAX_EXPANSIONS = 50
DEFAULT_PREFIX_LENGTH = 0
#: ``RegexpQueryBuilder.DEFAULT_DETERMINIZE_WORK_LIMIT``.
DEFAULT_MAX_DETERMINIZED_STATES = 10000
#: ``RegexpFlag.ALL.value()`` in Elasticsearch 9: Lucene's ``ALL`` (0xff) and ``DEPRECATED_COMPLEMENT``.
DEFAULT_FLAGS_VALUE = 0xFF | 0x10000


class FuzzyQuery(Query):
    kind: ClassVar[str] = "fuzzy"
    field: str
    value: Scalar
    fuzziness: str = "AUTO"
    prefix_length: int = DEFAULT_PREFIX_LENGTH
    max_expansions: int = DEFAULT_MAX_EXPANSIONS
    transpositions: bool = True
    rewrite: str | None = None

    def to_json(self) -> dict[str, Any]:
        return self._field_json(
            self.field,
            {
                "value": self.value,
                "fuzziness": self.fuzziness,
                "prefix_length": self.prefix_length,
                "max_expansions": self.max_expansions,
                "transpositions": self.transpositions,
                "rewrite": self.rewrite,
            },
        )


class WildcardQuery(Query):
    kind: ClassVar[str] = "wildcard"
    field: str
    value: str
    case_insensitive: bool = False
    rewrite: str | None = None

    def to_json(self) -> dict[str, Any]:
        return self._field_json(
            self.field,
            {"wildcard": self.value, "case_insensitive": self.case_insensitive, "rewrite": self.rewrite},
            {"case_insensitive": False},
        )


class RegexpQuery(Query):
    kind: ClassVar[str] = "regexp"
    field: str
    value: str
    #: The syntax flags (``flags`` names resolved by ``RegexpFlag.resolveValue``, or ``flags_value``).
    flags_value: int = DEFAULT_FLAGS_VALUE
    case_insensitive: bool = False
    max_determinized_states: int = DEFAULT_MAX_DETERMINIZED_STATES
    rewrite: str | None = None

    def to_json(self) -> dict[str, Any]:
        return self._field_json(
            self.field,
            {
                "value": self.value,
                "flags_value": self.flags_value,
                "case_insensitive": self.case_insensitive,
                "max_determinized_states": self.max_determinized_states,
                "rewrite": self.rewrite,
            },
            {"case_insensitive": False, "max_determinized_states": DEFAULT_MAX_DETERMINIZED_STATES},
        )
