"""Logs never show the bot token, even inside URLs and tracebacks."""

from __future__ import annotations

import io
import logging

from bot.core.logs import MaskSecrets

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskSecrets(TOKEN))
    logger = logging.getLogger(f"test-{id(stream)}")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, stream


def test_token_in_a_url_argument_is_masked() -> None:
    logger, stream = capture()
    logger.info("HTTP Request: POST %s", f"https://api.telegram.org/bot{TOKEN}/getMe")
    assert TOKEN not in stream.getvalue()
    assert "https://api.telegram.org/bot[token]/getMe" in stream.getvalue()


def test_token_shaped_strings_are_masked_even_when_not_ours() -> None:
    logger, stream = capture()
    logger.warning("other token 987654321:ZZZdqTcvCH1vGWJxfSeofSAs0K5PALDxyz here")
    assert "ZZZdqTcv" not in stream.getvalue()


def test_token_in_a_traceback_is_masked() -> None:
    logger, stream = capture()
    try:
        raise RuntimeError(f"failed calling /bot{TOKEN}/sendMessage")
    except RuntimeError:
        logger.exception("boom")
    output = stream.getvalue()
    assert "RuntimeError" in output and TOKEN not in output
