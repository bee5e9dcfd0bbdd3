"""Run the server standalone: ``python -m tgserver --port 8081 --token 123:ABC``."""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

from tgserver.botapi import RedactingAccessLogger, create_app
from tgserver.limits import RateLimits


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m tgserver",
        description="A local Telegram-compatible Bot API server with a control API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8081, help="port to listen on")
    parser.add_argument("--token", action="append", default=[],
                        help="bot token to accept (repeatable), e.g. 123:ABC")
    parser.add_argument("--bot-name", default="Sandbox Bot", help="first bot's display name")
    parser.add_argument("--bot-username", default=None, help="first bot's username")
    parser.add_argument("--no-privacy", action="store_true",
                        help="bots see every group message (privacy mode off)")
    parser.add_argument("--rate-limits", action="store_true",
                        help="enforce Telegram's flood limits (30/s, ~1/s per chat, 20/min "
                             "per group)")
    parser.add_argument("--per-chat-burst", type=int, default=3,
                        help="messages a chat tolerates in a burst with --rate-limits")
    parser.add_argument("--fail-rate", type=float, default=0.0,
                        help="fraction of Bot API calls to fail at random with 500")
    parser.add_argument("--seed", type=int, default=None, help="seed for --fail-rate")
    parser.add_argument("--webhook-retry-start", type=float, default=0.05,
                        help="first pause before re-sending a failed webhook update, seconds")
    parser.add_argument("--webhook-retry-cap", type=float, default=2.0,
                        help="longest pause between webhook retries, seconds")
    parser.add_argument("--callback-query-ttl", type=float, default=None,
                        help="seconds after which unanswered button presses expire")
    parser.add_argument("--log-level", default="INFO", help="logging level")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the server until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    limits = RateLimits(enabled=args.rate_limits, per_chat_burst=args.per_chat_burst)
    app = create_app(
        tokens=args.token or ["123:ABC"],
        bot_name=args.bot_name,
        bot_username=args.bot_username,
        privacy_mode=not args.no_privacy,
        rate_limits=limits,
        fail_rate=args.fail_rate,
        seed=args.seed,
        webhook_retry_start=args.webhook_retry_start,
        webhook_retry_cap=args.webhook_retry_cap,
        callback_query_ttl=args.callback_query_ttl,
    )
    web.run_app(app, host=args.host, port=args.port, print=None,
                access_log_class=RedactingAccessLogger)


if __name__ == "__main__":
    main()
