"""A loopback HTTP receiver standing in for the notifier's Alertmanager webhook in script tests.

It answers like the notifier will: 401 without the shared secret, 400 for a body that is not
Alertmanager webhook JSON, 200 otherwise; it keeps what it accepted.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support import free_port

ALERT_FIELDS = {"version", "status", "receiver", "groupLabels", "commonLabels", "alerts"}


class AlertReceiver:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.port = free_port()
        self.accepted: list[dict[str, Any]] = []
        self.refused: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Authorization") != f"Bearer {receiver.secret}":
                    return self._answer(401)
                try:
                    payload = json.loads(body)
                except ValueError:
                    return self._answer(400)
                if self.path != "/alertmanager" or not set(payload) >= ALERT_FIELDS:
                    return self._answer(400)
                receiver.accepted.append(payload)
                self._answer(200)

            def _answer(self, status: int) -> None:
                if status != 200:
                    receiver.refused.append(status)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/alertmanager"

    def __enter__(self) -> AlertReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
