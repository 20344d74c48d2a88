"""The ``search_as_you_type`` field type: a text field whose shingle and prefix subfields
(``retrievo.index.subfields``) serve as-you-type queries.

Its parameters are the ``text`` ones Elasticsearch's ``SearchAsYouTypeFieldMapper`` shares, as far as
retrievo's ``text`` honours them: ``store`` (the root field's value for ``stored_fields``) and
``copy_to`` (the value also indexed into other fields) come from :mod:`.copy_to_param` exactly as for
``text``; ``similarity``, ``index_options``, ``term_vector`` and ``search_quote_analyzer`` stay refused,
as ``text`` refuses them, since the subfields would have to honour them too (the mapper passes them on).
"""

from __future__ import annotations

from typing import Any

from retrievo.index.field_types.base import FieldTypeSpec, MappingContext, MappingDefinitionError, ParamSpec
from retrievo.index.field_types.copy_to_param import with_copy_to, with_store
from retrievo.index.field_types.params import constant, parse_bool, parse_int
from retrievo.index.field_types.text import TEXT, parse_text_value

__all__ = ["SEARCH_AS_YOU_TYPE"]


def _parse_shingle_size(name: str, raw: Any, context: MappingContext) -> int:
    value = parse_int(name, raw, context)
    if not 2 <= value <= 4:
        raise MappingDefinitionError(f"[max_shingle_size] must be at least [2] and at most [4], got [{value}]")
    return value


def _parse_doc_values(name: str, raw: Any, context: MappingContext) -> bool:
    if parse_bool(name, raw, context):
        raise MappingDefinitionError("Cannot set [doc_values] on field of type [search_as_you_type]")
    return False


def _text_param(name: str) -> ParamSpec:
    found = TEXT.param(name)
    assert found is not None
    return found


_SPEC = FieldTypeSpec(
    name="search_as_you_type",
    params=(
        _text_param("index"),
        # SearchAsYouTypeFieldMapper always prints doc_values (false) and max_shingle_size
        ParamSpec("doc_values", _parse_doc_values, constant(False), always=True, display=lambda value, params: True),
        ParamSpec(
            "max_shingle_size", _parse_shingle_size, constant(3), always=True, display=lambda value, params: True
        ),
        _text_param("analyzer"),
        _text_param("search_analyzer"),
        _text_param("norms"),
        _text_param("meta"),
    ),
    parse_value=parse_text_value,
    unsupported=frozenset({"store", "search_quote_analyzer", "similarity", "index_options", "term_vector", "copy_to"}),
)

(SEARCH_AS_YOU_TYPE,) = with_store(*with_copy_to(_SPEC))
