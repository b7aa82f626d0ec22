"""The Stripe webhook receiver: verify, land as a file, then answer (DESIGN: one writer).

The receiver never touches the warehouse. A verified event is written to
`<landing dir>/stripe/events/<event id>.json` (written whole, fsynced, then renamed into
place) before the 2xx, so Stripe retries anything not safely stored; the next nightly run
loads the folder like any other file source (docs/sources.md). A bad signature or a
timestamp outside the tolerance gets a 400 and stores nothing. A repeat of an event rewrites
the same file with the same bytes: one record.

Signature (../shared/vendors/stripe.md): header `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=...]`;
expected = hex(HMAC-SHA256(secret, f"{t}.{raw body}")); any `v1` may match.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from billflow.documents import write_atomically

TOLERANCE_SECONDS = 300
EVENT_ID = re.compile(r"^evt_[A-Za-z0-9_]+$")


class SignatureError(ValueError):
    """The request is not a Stripe event signed with our secret, within the tolerance."""


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header Stripe would send (for tests and replays)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(
    payload: bytes, header: str, secret: str, now: float, tolerance: int = TOLERANCE_SECONDS
) -> None:
    """Raise SignatureError unless one `v1` signature matches and `t` is within tolerance."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in fields if key.strip() == "t"]
    signatures = [value.strip() for key, value in fields if key.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not signatures:
        raise SignatureError("Stripe-Signature has no timestamp or no v1 signature")
    timestamp = int(stamps[0])
    if abs(now - timestamp) > tolerance:
        raise SignatureError(f"timestamp {timestamp} is outside the {tolerance} s tolerance")
    expected = sign(payload, secret, timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        raise SignatureError("no v1 signature matches the endpoint secret")


def land(event: bytes, event_id: str, landing_dir: Path) -> Path:
    """Write the event's raw bytes durably under its id; returns the file."""
    target = landing_dir / "stripe" / "events" / f"{event_id}.json"
    write_atomically(target, event)
    return target


def create_app(
    landing_dir: Path,
    secret: str,
    tolerance: int = TOLERANCE_SECONDS,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The ASGI app: POST /stripe/webhook."""

    async def receive(request: Request) -> JSONResponse:
        payload = await request.body()
        try:
            verify(payload, request.headers.get("stripe-signature", ""), secret, clock(), tolerance)
        except SignatureError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        try:
            event = json.loads(payload)
            event_id = str(event["id"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "the body is not a Stripe event"}, status_code=400)
        if not EVENT_ID.match(event_id):
            return JSONResponse({"error": f"unexpected event id {event_id!r}"}, status_code=400)
        await run_in_threadpool(land, payload, event_id, landing_dir)
        return JSONResponse({"received": event_id})

    return Starlette(routes=[Route("/stripe/webhook", receive, methods=["POST"])])
