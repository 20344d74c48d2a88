"""Elasticsearch's synonyms sets (the ``_synonyms`` API): rules, validation and the catalog's store."""

from retrievo.synonyms.models import SynonymRule, validate_rule
from retrievo.synonyms.store import SynonymsStore

__all__ = ["SynonymRule", "SynonymsStore", "validate_rule"]
