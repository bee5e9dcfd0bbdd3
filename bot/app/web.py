"""Our own HTTP server (aiohttp): the webhook, /healthz, /readyz and /metrics."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import Bot

from bot.app.pipeline import Pipeline
from bot.core.metrics import CONTENT_TYPE, Metrics
from storage import queries
from storage.db import Database

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
READINESS_CACHE_SECONDS = 2.0


def webhook_receiver(
    pipeline: Pipeline, secret: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Return the webhook endpoint: check the secret, store the update, then answer 200."""
    expected = secret.encode()

    async def receive_update(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secrets.compare_digest(given, expected):
            return web.json_response({"ok": False, "error": "unauthorized"}, status=401)
        try:
            payload = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"ok": False, "error": "not JSON"}, status=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return web.json_response({"ok": False, "error": "not an update"}, status=400)
        try:
            await pipeline.accept([payload])
        except Exception:
            # Not stored: Telegram gets no 200 and sends the update again.
            log.exception("could not store update %s", payload["update_id"])
            return web.json_response({"ok": False, "error": "try again"}, status=503)
        return web.json_response({"ok": True})

    return receive_update


class Probes:
    """Liveness, readiness and metrics for operators and orchestrators."""

    def __init__(self, *, db: Database, bot: Bot, metrics: Metrics, pipeline: Pipeline) -> None:
        self.db, self.bot, self.metrics, self.pipeline = db, bot, metrics, pipeline
        self._ready: tuple[float, int, dict[str, str]] | None = None

    async def healthz(self, _request: web.Request) -> web.Response:
        """Answer 200 while the process runs."""
        return web.json_response({"status": "alive"})

    async def readyz(self, _request: web.Request) -> web.Response:
        """Answer 200 when the database and the Bot API both answer, 503 otherwise."""
        now = time.monotonic()
        if self._ready is None or now - self._ready[0] > READINESS_CACHE_SECONDS:
            checks = {"database": "ok", "bot_api": "ok"}
            try:
                await asyncio.wait_for(self.db.ping(), 5)
            except Exception as error:
                checks["database"] = type(error).__name__
            try:
                await asyncio.wait_for(self.bot.get_me(), 5)
            except Exception as error:
                checks["bot_api"] = type(error).__name__
            status = 200 if all(value == "ok" for value in checks.values()) else 503
            self._ready = (now, status, checks)
        _, status, checks = self._ready
        return web.json_response(
            {"status": "ready" if status == 200 else "not ready", **checks}, status=status
        )

    async def metrics_text(self, _request: web.Request) -> web.Response:
        """Answer Prometheus' text format, with backlogs counted now."""
        try:
            async with self.db.session() as session:
                self.metrics.inbox_backlog.set(await queries.count_pending_updates(session))
                self.metrics.outbox_backlog.set(await queries.count_outgoing(session))
        except Exception:
            self.metrics.errors.labels("metrics").inc()
        return web.Response(body=self.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})


def build_web_app(
    *, probes: Probes, pipeline: Pipeline, webhook_path: str | None, secret: str
) -> web.Application:
    """Return the aiohttp application; the webhook route exists only in webhook mode."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_get("/healthz", probes.healthz)
    app.router.add_get("/readyz", probes.readyz)
    app.router.add_get("/metrics", probes.metrics_text)
    if webhook_path is not None:
        app.router.add_post(webhook_path, webhook_receiver(pipeline, secret))
    return app
