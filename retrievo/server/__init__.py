"""``retrievo serve``: the Elasticsearch REST API over HTTP (uvicorn + Starlette over :mod:`retrievo.api`).

- :mod:`retrievo.server.app`: the ASGI app, one catch-all route from HTTP to the router and back.
- :mod:`retrievo.server.wire`: query strings, body (de)compression, media types, JSON layout.
- :mod:`retrievo.server.auth`: ``ApiKey``/``Basic`` authentication and Elasticsearch's 401 answers.
- :mod:`retrievo.server.settings`: ``http.*`` settings from ``--config``/``-E``, parsed as Elasticsearch does.
- :mod:`retrievo.server.runner`: binding, serving until SIGINT/SIGTERM, graceful shutdown.
"""

from retrievo.server.app import create_app
from retrievo.server.auth import Credentials
from retrievo.server.runner import HttpServer, serve
from retrievo.server.settings import ServerSettings

__all__ = ["Credentials", "HttpServer", "ServerSettings", "create_app", "serve"]
