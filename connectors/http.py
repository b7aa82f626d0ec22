"""The HTTP client every live connector uses: retries with backoff inside the client, clear
errors outside it, and no token in any message.

Transient faults (429, 5xx, timeouts, connection resets, a truncated body) are retried up to
`attempts` times, waiting what the server asks (`Retry-After` in seconds or as an HTTP date,
`X-RateLimit-Reset` / `RateLimit-Reset` in seconds) or else an exponential backoff; when they
persist, a TransientSourceError lets the Prefect task retry later. Permanent answers (400,
401, 403, 404, ...) fail at once with what to fix.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from billflow.errors import PermanentSourceError, TransientSourceError

TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_WAIT_SECONDS = 120.0
FIXES = {
    400: "the request was refused as malformed; check the connector's settings",
    401: "the token is missing, wrong or expired; set a valid one",
    403: "the token lacks a scope this stream needs (docs/connectors.md lists them)",
    404: "the resource does not exist; check the account or base URL",
}


class RefusedError(PermanentSourceError):
    """The vendor answered a 4xx other than 408/425/429; `status` says which."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class HttpClient:
    """JSON over HTTPS for one vendor; `secrets` are masked out of every message."""

    vendor: str
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    attempts: int = 5
    backoff_seconds: float = 1.0
    timeout_seconds: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            base_url=self.base_url,
            headers=dict(self.headers),
            timeout=self.timeout_seconds,
            transport=self.transport,
        )

    def close(self) -> None:
        self._client.close()

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET `path` and parse its JSON body, retrying transient faults."""
        return self.request_json("GET", path, params=params)

    def post_json(self, path: str, body: Any) -> Any:
        """POST a JSON body (a search, a batch read or update), retrying transient faults."""
        return self.request_json("POST", path, body=body)

    def request_json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request and parse its JSON answer; transient faults are retried, so the
        request must be safe to repeat (a read, or a write with an idempotency key)."""
        fault = ""
        for attempt in range(1, self.attempts + 1):
            try:
                response = self._client.request(
                    method, path, params=params, json=body, headers=headers
                )
                if response.status_code in TRANSIENT_STATUS:
                    fault = f"HTTP {response.status_code}"
                    self._wait(attempt, response)
                    continue
                if response.status_code >= 400:
                    raise RefusedError(self._refused(method, path, response), response.status_code)
                return response.json() if response.content else None
            except (httpx.TimeoutException, httpx.TransportError) as error:
                fault = type(error).__name__
            except json.JSONDecodeError:
                fault = "a truncated or malformed JSON body"
            self._wait(attempt, None)
        raise TransientSourceError(
            self._mask(
                f"{self.vendor}: {method} {_shown(path)} failed {self.attempts} times ({fault}); "
                "the next task retry or run tries again"
            )
        )

    def _wait(self, attempt: int, response: httpx.Response | None) -> None:
        if attempt < self.attempts:
            self.sleep(wait_seconds(response, attempt, self.backoff_seconds))

    def _refused(self, method: str, path: str, response: httpx.Response) -> str:
        fix = FIXES.get(response.status_code, "the request was refused")
        detail = response.text[:200].replace("\n", " ")
        return self._mask(
            f"{self.vendor}: {method} {_shown(path)} answered HTTP {response.status_code}: "
            f"{fix} ({detail})"
        )

    def _mask(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def _shown(path: str) -> str:
    """A path without its query string: a next-page link may carry a cursor or a token."""
    return path.split("?", 1)[0]


def wait_seconds(response: httpx.Response | None, attempt: int, backoff: float) -> float:
    """What the server asked for, else backoff x 2^(attempt - 1); never above MAX_WAIT."""
    asked = _asked(response.headers) if response is not None else None
    wait = asked if asked is not None else backoff * 2 ** (attempt - 1)
    return max(0.0, min(wait, MAX_WAIT_SECONDS))


def _asked(headers: httpx.Headers) -> float | None:
    retry_after = headers.get("retry-after")
    if retry_after:
        if retry_after.strip().isdigit():
            return float(retry_after)
        try:
            when = email.utils.parsedate_to_datetime(retry_after)
        except (TypeError, ValueError):
            return None
        return when.timestamp() - time.time()
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        value = headers.get(name)
        if value and value.strip().isdigit():
            return float(value)
    return None
