"""retrievo: Elasticsearch-style retriever trees, run locally.

``from retrievo import Engine`` gives a client shaped like the official ``elasticsearch`` client.
"""

from retrievo.engine import Engine
from retrievo.errors import ApiError, BadRequestError, ConflictError, NotFoundError

__version__ = "0.1.0"
__all__ = ["Engine", "ApiError", "BadRequestError", "ConflictError", "NotFoundError", "__version__"]
