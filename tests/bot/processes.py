"""Run ``nara run`` as a real process (to kill it), against the in-process local Telegram."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp

from tests.bot.harness import TOKEN, LocalTelegram, free_port

ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """``python -m bot run`` with its own environment; logs go to a file for post-mortems."""

    def __init__(
        self, *, telegram_url: str, database_url: str, log_path: Path, webhook: bool
    ) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("NARA_")}
        self.env.update(
            {
                "NARA_TELEGRAM_TOKEN": TOKEN,
                "NARA_TELEGRAM_API_URL": telegram_url,
                "NARA_DATABASE_URL": database_url,
                "NARA_HTTP_PORT": str(self.port),
                "NARA_RATE_LIMIT": "false",
                "NARA_LOG_LEVEL": "INFO",
            }
        )
        if webhook:
            self.env["NARA_WEBHOOK_URL"] = f"http://127.0.0.1:{self.port}/telegram/updates"
            self.env["NARA_WEBHOOK_SECRET"] = "test-secret_0123456789"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Our own HTTP server."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Start the process and wait until /readyz answers 200."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: ASYNC220 - a child we keep running
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=self.env, stdout=log, stderr=log
        )
        await self.wait_until(self._ready, "the bot to be ready")

    async def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(
                f"bot exited with {self.process.returncode}:\n{self.log_path.read_text()}"
            )
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{self.url}/readyz") as response,
            ):
                return response.status == 200
        except aiohttp.ClientError:
            return False

    def kill(self) -> None:
        """SIGKILL: no chance to finish anything."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    async def kill_and_fence(self, telegram: LocalTelegram) -> None:
        """SIGKILL, then revoke the token the dead process used; the next start uses a new one.

        Nothing the dead process sent can reach Telegram's state after this returns.
        """
        self.kill()
        # Calls the dead process sent may still wait, unread, at the server. With the token
        # revoked they get 401 and change nothing; the calls already being answered finish.
        self.env["NARA_TELEGRAM_TOKEN"] = telegram.world.revoke_token(
            self.env["NARA_TELEGRAM_TOKEN"]
        )
        await self.wait_until(lambda: telegram.calls_in_progress() == 0, "the server to settle")

    def terminate(self) -> int:
        """SIGTERM and wait for a clean exit; return the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    @staticmethod
    async def wait_until(check: Callable[[], object], what: str, *, failsafe: float = 60.0) -> None:
        """Poll ``check`` (sync or async) until true; the failsafe only stops a hung test."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + failsafe
        while True:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            if loop.time() > deadline:
                raise AssertionError(f"gave up waiting for {what}")
            await asyncio.sleep(0.02)
