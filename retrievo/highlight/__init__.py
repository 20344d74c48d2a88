"""Elasticsearch's highlighting: fragments of a hit's fields with what the query matched marked.

``terms.py`` reads what a compiled (Lucene-level) query can match per field, ``matches.py`` finds those
matches in a field value's tokens, ``breaks.py`` holds the break iterators, ``unified.py`` and
``plain.py`` the two highlighters, ``encoding.py`` the encoders, ``options.py`` the resolved options and
``fields.py`` the fetch-phase entry (which fields, which values, which highlighter).
"""
