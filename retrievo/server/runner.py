"""Running the HTTP server: bind, serve with uvicorn, shut down gracefully, flush the data directory.

:func:`serve` binds the socket itself (so ``port=0`` can report the port it got, and a busy port is a
clear error before anything starts), runs uvicorn on it until SIGINT or SIGTERM, lets in-flight
requests finish, then flushes every index to the data directory. ``on_ready`` is called with the URL
once the socket accepts connections.
"""

from __future__ import annotations

import ipaddress
import signal
import socket
import threading
from collections.abc import Callable
from typing import Any

import uvicorn

from retrievo.server.app import Handler, create_app
from retrievo.server.auth import Credentials
from retrievo.server.settings import ServerSettings


class BindError(OSError):
    """The address cannot be bound (taken, not local, not resolvable)."""


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` resolves to is a loopback address (``127.0.0.1``, ``::1``, ``localhost``)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).partition("%")[0]).is_loopback for info in infos)


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on ``host:port`` (``SO_REUSEADDR``, as uvicorn and Elasticsearch set it)."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except OSError as e:
        raise BindError(f"cannot resolve host [{host}]: {e.strerror or e}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
    except OSError as e:
        sock.close()
        raise BindError(f"cannot bind to {host}:{port}: {e.strerror or e}") from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    """``http://host:port`` for a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _Server(uvicorn.Server):
    """uvicorn's server, telling ``on_ready`` once it listens."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            self.on_ready()


def _after_shutdown(signum: int, frame: Any) -> None:
    """What SIGINT/SIGTERM do once the server has stopped: nothing (the shutdown already happened).

    uvicorn replays the signal it stopped on when it returns; with this handler in place the replay
    is a no-op, so the caller can flush the data directory and exit normally."""


class HttpServer:
    """One server on a bound socket: :meth:`run` serves until :meth:`stop`, SIGINT or SIGTERM."""

    def __init__(
        self,
        router: Handler,
        settings: ServerSettings,
        credentials: Credentials,
        sock: socket.socket | None = None,
    ) -> None:
        self.sock = sock if sock is not None else bind(settings.host, settings.port)
        #: ``http://host:port`` of the bound socket (the real port when ``settings.port`` is 0).
        self.url = url_of(self.sock)
        self.config = uvicorn.Config(
            create_app(router, settings, credentials),
            lifespan="off",
            log_level="warning",
            access_log=False,
            server_header=False,
            date_header=False,
            # Elasticsearch's http.max_header_size is 16kb; h11's own limit, made explicit.
            h11_max_incomplete_event_size=16 * 1024,
        )
        self.server: _Server | None = None

    def run(self, on_ready: Callable[[str], None] = lambda url: None) -> None:
        """Serve (blocking) until stopped; returns once every in-flight request has been answered."""
        url = self.url
        self.server = _Server(self.config, lambda: on_ready(url))
        # Signal handlers can only be set from the main thread (uvicorn skips its own elsewhere too).
        in_main = threading.current_thread() is threading.main_thread()
        signals = (signal.SIGINT, signal.SIGTERM) if in_main else ()
        previous = {sig: signal.signal(sig, _after_shutdown) for sig in signals}
        try:
            self.server.run(sockets=[self.sock])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.sock.close()

    def stop(self) -> None:
        """Ask a running server to shut down gracefully (from any thread)."""
        if self.server is not None:
            self.server.should_exit = True


def serve(
    router: Handler,
    settings: ServerSettings,
    credentials: Credentials,
    on_ready: Callable[[str], None],
    sock: socket.socket | None = None,
) -> None:
    """Serve ``router`` until SIGINT/SIGTERM; returns once every in-flight request has been answered."""
    HttpServer(router, settings, credentials, sock).run(on_ready)
