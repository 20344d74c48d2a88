"""retrievo: Elasticsearch-style retriever trees, run locally.

``from retrievo import Engine`` gives a client shaped like the official ``elasticsearch`` client.
"""

from retrievo.engine import Engine
from retrievo.errors import ApiError, BadRequestError, ConflictError, NotFoundError
from retrievo.version import __version__

__all__ = ["ApiError", "BadRequestError", "ConflictError", "Engine", "NotFoundError", "__version__"]
