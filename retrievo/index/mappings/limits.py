"""``index.mapping.total_fields.limit``: how many fields an index may map, counted as Elasticsearch does.

``Mapper.getTotalFieldsCount`` (ES 9): a field counts one plus its multi-fields (recursively), an
object one plus its children, the root nothing but its children (plus runtime fields and aliases,
which retrievo does not support). ``MappingLookup.checkFieldLimit`` refuses a mapping whose count is
above the limit, with ``Limit of total fields [N] has been exceeded``: on index creation and
``PUT _mapping``, where the merged mapping is checked as a whole, and while a document is parsed
(``DocumentParserContext.addDynamicMapper``), where each new dynamic mapper is checked before it is
added: the fields already mapped plus the new ones so far plus this mapper's count must stay within
the limit, else the message ends ``while adding new fields [K]`` (K: the new fields so far, this
mapper's included) and the whole document is refused.
"""

from __future__ import annotations

from retrievo.errors import BadRequestError, illegal_argument
from retrievo.index.mappings.objects import Mapper, ObjectMapping

__all__ = ["check_field_limit", "field_limit_error", "mapper_fields_count"]


def mapper_fields_count(mapper: Mapper) -> int:
    """``Mapper.getTotalFieldsCount`` of one field or object (itself included)."""
    if isinstance(mapper, ObjectMapping):
        return 1 + sum(mapper_fields_count(child) for child in mapper.properties.values())
    return 1 + sum(mapper_fields_count(sub) for sub in mapper.fields)


def field_limit_error(limit: int, adding: int = 0) -> BadRequestError:
    """``MappingLookup.checkFieldLimit``'s ``IllegalArgumentException``."""
    suffix = f" while adding new fields [{adding}]" if adding > 0 else ""
    return illegal_argument(f"Limit of total fields [{limit}] has been exceeded{suffix}")


def check_field_limit(total_fields: int, limit: int, adding: int = 0) -> None:
    """Raise when ``total_fields`` mapped plus ``adding`` new ones exceed ``limit``."""
    if total_fields + adding > limit:
        raise field_limit_error(limit, adding)
