"""Logging that never shows the bot token or what residents wrote."""

from __future__ import annotations

import logging
import re
import sys

# A token in a URL (".../bot123:ABC/...") or anywhere else in a log line.
_TOKEN_SHAPE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")


class MaskSecrets(logging.Filter):
    """Replace the bot token (and anything shaped like one) in every record with ``[token]``."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self._secrets = tuple(secret for secret in secrets if secret)

    def _mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[token]")
        return _TOKEN_SHAPE.sub("[token]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message in place; never drop it."""
        message = record.getMessage()
        masked = self._mask(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self._mask(formatted)
        return True


def configure_logging(level: str, *secrets: str) -> None:
    """Log to stderr at ``level``, with secrets masked and chatty HTTP loggers quiet."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskSecrets(*secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet_libraries()


def quiet_libraries() -> None:
    """Keep libraries that log payloads above the level where they would.

    httpx logs every request URL, and the URL holds the token (PTB issues #3743, #4724);
    PTB's and aiosqlite's debug logs and SQLAlchemy's info log print call parameters
    and SQL values, that is,
    what residents wrote and what we answered; aiohttp's access log records webhook
    paths and addresses. Even NARA_LOG_LEVEL=DEBUG does not open these.
    """
    for name in ("httpx", "httpcore", "apscheduler", "aiohttp.access", "sqlalchemy", "asyncpg"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("telegram", "aiosqlite"):
        logging.getLogger(name).setLevel(logging.INFO)


def protect_handler(handler: logging.Handler, *secrets: str) -> None:
    """Add the masking filter to an existing handler (tests capture logs this way)."""
    handler.addFilter(MaskSecrets(*secrets))
