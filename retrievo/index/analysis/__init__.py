"""Text analysis that reproduces Elasticsearch's (Lucene 8.8) analyzers token for token.

``AnalysisRegistry.from_settings(settings["analysis"])`` gives an index's analyzers (the
built-ins ``standard``, ``english``, ``simple``, ``stop``, ``whitespace``, ``keyword`` and
``default`` plus custom ones); ``Analyzer.terms`` is the fast indexing/query path and
``Analyzer.analyze`` the detailed one (offsets, token types).
"""

from .analyzers import BUILTIN_ANALYZERS, ENGLISH, KEYWORD, SIMPLE, STANDARD, STOP, WHITESPACE, Analyzer
from .registry import AnalysisRegistry
from .tokens import Token

__all__ = [
    "BUILTIN_ANALYZERS",
    "ENGLISH",
    "KEYWORD",
    "SIMPLE",
    "STANDARD",
    "STOP",
    "WHITESPACE",
    "AnalysisRegistry",
    "Analyzer",
    "Token",
]
