"""The REST API as functions: one router (:mod:`retrievo.api.router`) over one route table
(:mod:`retrievo.api.routes`) whose handlers, one module per API family, are the single implementation of
each Elasticsearch API behind every way in (the in-process client, the HTTP server, the CLI).

:mod:`retrievo.api.types` holds the two values transports exchange with the router; :mod:`.call` what a
handler receives; :mod:`.params` query parameters as Elasticsearch reads them (``filter_path``, the
unknown-parameter error); :mod:`.resolve` index expressions (lists, wildcards, ``_all``, aliases).
"""
