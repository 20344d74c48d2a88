"""OpenSearch's own search features served beside Elasticsearch's API: ML Commons models
(``_plugins/_ml``), search pipelines (``_search/pipeline``) with the ``rerank`` response processor and
the ``normalization-processor``, and the ``hybrid`` query those pipelines combine.

OpenSearch is a fork of Elasticsearch 7.10: its error bodies have Elasticsearch's shape, so the builders
in :mod:`retrievo.errors` serve both.
"""
