"""retrievo: Elasticsearch-style retriever trees, run locally.

``from retrievo import Engine`` gives the official ``elasticsearch.Elasticsearch`` client, answered
in-process by retrievo (``retrievo.client``); ``AsyncEngine`` is its ``AsyncElasticsearch`` twin.
Errors are the client's own classes (``elasticsearch.NotFoundError`` …), re-exported here.
"""

from retrievo.client import AsyncEngine, Engine
from retrievo.errors import ApiError, BadRequestError, ConflictError, NotFoundError
from retrievo.version import __version__

__all__ = ["ApiError", "AsyncEngine", "BadRequestError", "ConflictError", "Engine", "NotFoundError", "__version__"]
