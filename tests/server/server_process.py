"""A real ``retrievo serve`` subprocess for the HTTP tests, and a standard-library client for it."""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
READY = "retrievo listening on "


class ServerProcess:
    """``python -m retrievo serve --port 0 ARGS``, started and waited for until it prints its URL."""

    def __init__(self, *args: str, timeout: float = 60.0, env: dict[str, str] | None = None) -> None:
        """``env``: variables added to this process's environment (``HF_HOME`` for a test's model cache)."""
        self.stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - read and closed by stop()
        env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "retrievo", "serve", "--port", "0", *args],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            self.process.kill()
            raise AssertionError(f"retrievo serve printed no URL in {timeout} s:\n{self.read_stderr()}") from None
        if line is None or not line.startswith(READY):
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"retrievo serve did not start ({line!r}):\n{self.read_stderr()}")
        self.url = line[len(READY) :].strip()
        address = urllib.parse.urlsplit(self.url)
        self.host, self.port = address.hostname or "", address.port or 0

    def read_stderr(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> tuple[int, str]:
        """Send ``sig``, wait for the process to exit; its exit status and stderr."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            rc = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"retrievo serve did not stop in {timeout} s:\n{self.read_stderr()}") from None
        stderr = self.read_stderr()
        self.stderr.close()
        return rc, stderr

    def request(
        self,
        method: str,
        target: str,
        body: bytes | str | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request on a fresh connection: status, headers, raw payload."""
        sent_headers = dict(headers or {})
        if isinstance(body, dict):
            body = json.dumps(body)
            sent_headers.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, target, body=body, headers=sent_headers)
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()
