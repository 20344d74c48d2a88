"""Elasticsearch's ``suggest`` section: the ``term`` suggester (Lucene's ``DirectSpellChecker``) and the
``completion`` suggester (prefixes of a ``completion`` field's inputs, by weight).

:mod:`.model` holds the parsed suggestions, :mod:`.parse` reads the JSON with Elasticsearch's errors,
:mod:`.term` and :mod:`.completion` run one suggestion each over a searcher, :mod:`.run` runs a section
and prints it where Elasticsearch does; :mod:`.contexts` reads and applies a completion field's category
contexts. The ``phrase`` suggester is read by :mod:`.phrase_parse`. On an index with several shards each
suggestion runs per shard and :mod:`.shards` reduces the answers as Elasticsearch's coordinator does.
"""
