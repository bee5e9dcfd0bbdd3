"""Throughput and reply latency of Nära against a bare PTB echo bot, on the same local server.

N residents each keep a few messages in flight and send the next one as soon as a reply
arrives. The Telegram-compatible server and the residents run in this process; the bot
runs in its own process (as in production), on the other core. Prints messages/second and
p50/p95/p99 reply latency for both bots, the ratio, and whether every chat's replies came
in order.

    .venv/bin/python bench/throughput.py [--residents 20] [--messages 50] [--window 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tgserver import World, create_app  # noqa: E402

TOKEN = "7000000009:AAFbenchTokenForTheLocalServerOnly000"

# What Nära is asked, and how to tell its answers apart (in Swedish).
NARA_SCRIPT = ["/help", "Hej! Pengarna räcker inte till mat den här månaden", "/start"]


def nara_reply_kind(text: str, help_reply: str) -> str:
    """Name which of NARA_SCRIPT a Swedish reply answers, given the reply /help gets."""
    if "automatisk" in text:
        return "/start"
    return "/help" if text == help_reply else "question"


def free_port() -> int:
    """Return a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TimedWorld(World):
    """The local server's world, noting when each bot message arrives (bench instrumentation)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.arrivals: dict[int, deque[tuple[float, str]]] = defaultdict(deque)
        self.arrived = asyncio.Event()

    def bot_sends(self, bot: Any, chat: Any, **fields: Any) -> Any:
        """Store the message, and note the time it arrived for its chat."""
        message = super().bot_sends(bot, chat, **fields)
        self.arrivals[chat.id].append((time.perf_counter(), message.text or ""))
        self.arrived.set()
        return message


@dataclass
class Result:
    """One bot's figures."""

    name: str
    messages: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    in_order: bool = True

    @property
    def rate(self) -> float:
        """Messages answered per second."""
        return self.messages / self.seconds

    def percentile(self, p: float) -> float:
        """Reply latency at percentile ``p``, in milliseconds."""
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def run_load(kind: str, residents: int, messages: int, window: int) -> Result:
    """Start the server and one bot, warm up, then measure."""
    world = TimedWorld()
    app = create_app(world, tokens=[TOKEN], bot_name="Bench", bot_username="bench_bot")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    root = f"http://127.0.0.1:{port}"
    temporary = tempfile.TemporaryDirectory(prefix="nara-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARA_")}
    if kind == "nara":
        env.update(
            {
                "NARA_TELEGRAM_TOKEN": TOKEN,
                "NARA_TELEGRAM_API_URL": root,
                "NARA_DATABASE_URL": f"sqlite+aiosqlite:///{temporary.name}/nara.db",
                "NARA_HTTP_PORT": str(free_port()),
                "NARA_RATE_LIMIT": "false",
                "NARA_LOG_LEVEL": "WARNING",
            }
        )
        command = [sys.executable, "-m", "bot", "run"]
        if os.environ.get("BENCH_PROFILE"):
            command[1:1] = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]]
    else:
        command = [sys.executable, str(ROOT / "bench" / "echo_bot.py"), root, TOKEN]
    log = open(Path(temporary.name) / "bot.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        bot = world.find_bot()
        people = [
            world.add_user(first_name=f"Resident {i}", language_code="sv") for i in range(residents)
        ]
        chats = [world.private_chat(bot, person) for person in people]
        script = NARA_SCRIPT if kind == "nara" else None

        def text_for(number: int) -> str:
            return script[number % len(script)] if script else f"message {number}"

        def kind_of(text: str) -> str:
            return nara_reply_kind(text, help_reply) if script else text

        def expected_kind(number: int) -> str:
            return (
                (text_for(number) if text_for(number).startswith("/") else "question")
                if script
                else text_for(number)
            )

        # Warm up: one message per resident, answered, before the clock starts.
        for person, chat in zip(people, chats, strict=True):
            world.user_sends(person, chat, text=text_for(0))
        await wait_for(
            world, lambda: all(len(world.arrivals[c.id]) >= 1 for c in chats), process, log.name
        )
        help_reply = world.arrivals[chats[0].id][0][1]
        for chat in chats:
            world.arrivals[chat.id].clear()

        latencies: list[float] = []
        in_order = True
        start = time.perf_counter()

        async def converse(person: Any, chat: Any) -> None:
            nonlocal in_order
            sent: deque[tuple[int, float]] = deque()
            next_number, answered = 1, 0
            while answered < messages:
                while next_number <= messages and len(sent) < window:
                    world.user_sends(person, chat, text=text_for(next_number))
                    sent.append((next_number, time.perf_counter()))
                    next_number += 1
                arrivals = world.arrivals[chat.id]
                while arrivals and sent:
                    arrived_at, text = arrivals.popleft()
                    number, sent_at = sent.popleft()
                    latencies.append(arrived_at - sent_at)
                    in_order &= kind_of(text) == expected_kind(number)
                    answered += 1
                if answered < messages and not arrivals:
                    world.arrived.clear()
                    await wait_for(world, lambda: bool(world.arrivals[chat.id]), process, log.name)

        await asyncio.gather(*(converse(p, c) for p, c in zip(people, chats, strict=True)))
        seconds = time.perf_counter() - start
        return Result(kind, residents * messages, seconds, latencies, in_order)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        await runner.cleanup()
        temporary.cleanup()


async def wait_for(
    world: TimedWorld, ready: Any, process: subprocess.Popen[bytes], log_name: str
) -> None:
    """Wait until ``ready()``; fail loudly if the bot died or nothing happens for a long time."""
    quiet_since = time.monotonic()
    while not ready():
        if process.poll() is not None:
            raise SystemExit(
                f"the bot exited ({process.returncode}):\n{Path(log_name).read_text()}"
            )
        if time.monotonic() - quiet_since > 60:
            raise SystemExit(f"no reply for 60 s; bot log:\n{Path(log_name).read_text()}")
        world.arrived.clear()
        try:
            await asyncio.wait_for(world.arrived.wait(), 1.0)
            quiet_since = time.monotonic()
        except TimeoutError:
            pass


def report(result: Result) -> None:
    """Print one bot's line."""
    print(
        f"{result.name:<6} {result.rate:8.1f} msg/s   p50 {result.percentile(50):7.1f} ms   "
        f"p95 {result.percentile(95):7.1f} ms   p99 {result.percentile(99):7.1f} ms   "
        f"replies in order: {'yes' if result.in_order else 'NO'}"
    )


def median_result(results: list[Result]) -> Result:
    """The round with the median rate (so its latencies come from one real run)."""
    return sorted(results, key=lambda result: result.rate)[len(results) // 2]


def main() -> None:
    """Run both bots in alternating rounds and print the comparison."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=20)
    parser.add_argument("--messages", type=int, default=50, help="per resident")
    parser.add_argument("--window", type=int, default=3, help="messages in flight per resident")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="alternating runs of each bot; the median is reported (this machine is noisy)",
    )
    args = parser.parse_args()
    print(
        f"throughput: {args.residents} residents x {args.messages} messages, "
        f"{args.window} in flight each, {args.rounds} alternating rounds per bot; "
        "server in this process, bot in its own"
    )
    runs: dict[str, list[Result]] = {"echo": [], "nara": []}
    for round_number in range(1, args.rounds + 1):
        for kind in ("echo", "nara"):
            result = asyncio.run(run_load(kind, args.residents, args.messages, args.window))
            runs[kind].append(result)
            print(f"  round {round_number}: {kind:<5} {result.rate:7.1f} msg/s")
    echo, nara = median_result(runs["echo"]), median_result(runs["nara"])
    print("median round:")
    report(echo)
    report(nara)
    ratio = nara.rate / echo.rate
    print(f"ratio nara/echo: {ratio:.2f} (target at least 0.70)")
    if not all(result.in_order for results in runs.values() for result in results):
        raise SystemExit("replies came out of order")


if __name__ == "__main__":
    main()
