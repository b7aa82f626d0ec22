"""The live connectors' HTTP client against a local server speaking real HTTP, with faults:
429 with Retry-After, 500, a timeout, a truncated body, 401; retried or failed cleanly, and
never a token in a message."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from billflow.errors import PermanentSourceError, TransientSourceError
from connectors.http import HttpClient

TOKEN = "pat-na1-secret-token"
PAGE = {"results": [{"id": "18401"}], "paging": None}


class Script:
    """What the server answers, request after request: (status, headers, body, delay)."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str], bytes, float]] = []
        self.seen: list[str] = []

    def then(self, status: int, body: Any = PAGE, delay: float = 0.0, **headers: str) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.answers.append((status, {k.replace("_", "-"): v for k, v in headers.items()}, raw,
                             delay))  # fmt: skip


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            script.seen.append(self.headers.get("Authorization", ""))
            status, headers, body, delay = script.answers.pop(0)
            time.sleep(delay)
            self.send_response(status)
            length = headers.pop("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", length)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)  # the client may hang up first (a timeout)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    finally:
        httpd.shutdown()


def client(url: str, waits: list[float], **options: Any) -> HttpClient:
    return HttpClient("hubspot", url, headers={"Authorization": f"Bearer {TOKEN}"},
                      secrets=(TOKEN,), sleep=waits.append, **options)  # fmt: skip


def test_throttled_then_served_waits_what_the_server_asks(server: tuple[str, Script]) -> None:
    url, script = server
    script.then(429, {"message": "rate limited"}, Retry_After="3")
    script.then(500, {"message": "oops"})
    script.then(200)
    waits: list[float] = []
    assert client(url, waits).get_json("/crm/v3/objects/deals/search") == PAGE
    # Retry-After: 3 seconds; then the backoff of a second attempt: 1 x 2
    assert waits == [3.0, 2.0]
    assert script.seen == [f"Bearer {TOKEN}"] * 3


def test_a_timeout_and_a_truncated_body_are_retried(server: tuple[str, Script]) -> None:
    url, script = server
    script.then(200, delay=1.0)  # slower than the client's timeout
    script.then(200, Content_Length="500")  # the body ends before its declared length
    script.then(200)
    waits: list[float] = []
    assert client(url, waits, timeout_seconds=0.3).get_json("/deals") == PAGE
    assert waits == [1.0, 2.0]


def test_a_fault_that_persists_is_transient_for_the_task_to_retry(
    server: tuple[str, Script],
) -> None:
    url, script = server
    for _ in range(3):
        script.then(503, {"message": "unavailable"})
    waits: list[float] = []
    with pytest.raises(
        TransientSourceError, match=r"hubspot: GET /deals failed 3 times \(HTTP 503\)"
    ):
        client(url, waits, attempts=3).get_json("/deals")
    assert waits == [1.0, 2.0]


def test_a_refusal_fails_at_once_saying_what_to_fix_without_the_token(
    server: tuple[str, Script],
) -> None:
    url, script = server
    script.then(401, {"message": f"invalid token {TOKEN}"})
    waits: list[float] = []
    with pytest.raises(PermanentSourceError) as refused:
        client(url, waits).get_json("/deals")
    message = str(refused.value)
    assert message.startswith(
        "hubspot: GET /deals answered HTTP 401: the token is missing, wrong or expired"
    )
    assert TOKEN not in message and "invalid token ***" in message
    assert waits == []
