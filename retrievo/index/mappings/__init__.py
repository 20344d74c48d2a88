"""Index mappings: parsing Elasticsearch mapping JSON, lookups, ``GET _mapping`` and updates.

A :class:`Mappings` is immutable. Dynamic mapping and ``PUT _mapping`` produce a *new* one
(:meth:`Mappings.merge`, :meth:`Mappings.with_added`, :meth:`Mappings.with_mappers`), so a
failed document or update never leaves a half-applied mapping behind.

The pieces: :mod:`.objects` (the tree's nodes), :mod:`.parsing` (mapping JSON → tree),
:mod:`.merging` (merge rules), :mod:`.index_mappings` (:class:`Mappings`) and :mod:`.limits`
(``index.mapping.total_fields.limit``, counted as Elasticsearch counts fields).

Errors follow Elasticsearch:

* anything wrong in a mapping definition is ``mapper_parsing_exception`` "Failed to parse
  mapping: <reason>" caused by the precise error (``unknown parameter [x] on mapper [f] of type
  [t]``, ``No handler for type [foo] declared on field [bar]``, ``analyzer [x] has not been
  configured in mappings``...); ``root_cause`` is the inner error when it is itself a
  ``mapper_parsing_exception``, else the outer one (ES's ``guessRootCauses``);
* conflicts between a mapping and an update are plain ``illegal_argument_exception`` (``mapper
  [f] cannot be changed from type [text] to [long]``, ``Mapper for [f] conflicts with existing
  mapper:\\n\\tCannot update parameter [analyzer] from [english] to [default]``).

Not supported (rejected with a "not supported" ``mapper_parsing_exception``): ``nested`` and the
other types of :data:`~retrievo.index.field_types.UNSUPPORTED_FIELD_TYPES`, ``dynamic:
runtime``, ``dynamic_templates`` (an empty list is accepted), ``dynamic_date_formats``,
``runtime``, ``subobjects``, ``_source`` other than ``{"enabled": true}``, ``_routing.doc_values`` and the
other metadata-field settings, ``copy_to`` on objects and the parameters listed as unsupported per type
(``copy_to`` on leaf fields is checked by :mod:`retrievo.index.copy_to` whenever the mappings change).
"""

from retrievo.index.field_types import FieldMapping
from retrievo.index.mappings.index_mappings import Mappings
from retrievo.index.mappings.objects import Mapper, ObjectMapping
from retrievo.index.mappings.parsing import build_mapper

__all__ = ["FieldMapping", "Mapper", "Mappings", "ObjectMapping", "build_mapper"]
