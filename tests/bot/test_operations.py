"""What operators rely on: probes, metrics, logs without personal data, deep-link counts."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.app.runtime import Nara
from bot.core.logs import protect_handler, quiet_libraries
from storage import queries
from tests.bot.harness import TOKEN, LocalTelegram, bot_settings, register_staff, running_bot
from tgserver import SandboxClient


async def get(nara: Nara, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{nara.port}{path}") as response:
        return response.status, await response.text()


async def test_health_readiness_and_metrics(nara: Nara, tg: SandboxClient, telegram: LocalTelegram) -> None:
    assert (await get(nara, "/healthz"))[0] == 200
    status, body = await get(nara, "/readyz")
    assert status == 200 and '"database": "ok"' in body and '"bot_api": "ok"' in body

    kim = await tg.add_user("Kim", language_code="sv")
    await kim.say("/help")
    await kim.next_message()
    status, metrics = await get(nara, "/metrics")
    assert status == 200
    handled = re.search(r'^nara_updates_handled_total\{outcome="ok"\} (\d+)', metrics, re.M)
    assert handled is not None and int(handled.group(1)) >= 1
    assert re.search(r"^nara_reply_latency_seconds_count (\d+)", metrics, re.M)
    assert "nara_inbox_backlog 0.0" in metrics and "nara_outbox_backlog 0.0" in metrics


async def test_readiness_fails_when_the_bot_api_is_down(nara: Nara, telegram: LocalTelegram) -> None:
    telegram.world.faults.fail_next("getMe", count=None, status=502)
    status, body = await get(nara, "/readyz")
    assert status == 503 and '"bot_api": "NetworkError"' in body


async def test_logs_hold_neither_the_token_nor_what_residents_wrote(
    nara: Nara, tg: SandboxClient, caplog: pytest.LogCaptureFixture
) -> None:
    protect_handler(caplog.handler, TOKEN)
    caplog.set_level(logging.DEBUG)
    quiet_libraries()  # what `nara run` does at start
    secret_words = "Mitt hemliga problem med hyresvärden Kalle"
    sam = await tg.add_user("Sam", language_code="sv")
    await sam.say(secret_words)
    await sam.next_message()
    await sam.say("jag vill ta livet av mig")  # urgent: logged paths must not quote it either
    await sam.next_message()
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "Kalle" not in logged and "hyresvärden" not in logged and "livet av mig" not in logged
    assert TOKEN not in logged
    assert any(r.name.startswith(("bot", "telegram")) for r in caplog.records), "something was logged"


async def test_deep_links_are_counted_per_source_and_odd_ones_ignored(nara: Nara, tg: SandboxClient) -> None:
    for name, payload in (("A", "library"), ("B", "library"), ("C", "poster_vc"), ("D", "bad payload!")):
        person = await tg.add_user(name, language_code="sv")
        await person.say(f"/start {payload}")
        await person.next_message()
    async with nara.db.session() as session:
        counts = await queries.start_counts(session)
        resident = await queries.find_resident(session, (await tg.add_user("E")).id)
    today = datetime.now(UTC).date()
    assert sorted((s, n) for s, d, n in counts if d == today) == [("library", 2), ("poster_vc", 1)]
    assert resident is None


async def test_one_chat_waiting_on_telegram_does_not_hold_up_another(
    nara: Nara, tg: SandboxClient, telegram: LocalTelegram
) -> None:
    slow = await tg.add_user("Slow", language_code="en")
    quick = await tg.add_user("Quick", language_code="en")
    # Telegram asks the bot to wait before its next message to the first resident.
    telegram.world.faults.throttle_next("sendMessage", retry_after=2)
    await slow.say("/help")
    first_seen = len(telegram.world.events)
    await quick.say("/help")
    await quick.next_message()
    await slow.next_message()
    arrivals = [
        event["chat_id"] for event in list(telegram.world.events)[first_seen:]
        if event["type"] == "message_new" and event["message"]["from_bot"]
    ]
    assert arrivals == [quick.id, slow.id]


async def test_start_warns_when_no_one_could_answer_an_urgent_case(
    telegram: LocalTelegram, tg: SandboxClient, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.app.runtime")
    async with running_bot(bot_settings(telegram.url, sqlite_url)):
        pass
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.app.runtime"]
    assert any("NARA_STAFF_CHAT_ID is not set" in w for w in warnings), warnings
    assert any("no staff registered" in w for w in warnings), warnings

    caplog.clear()
    sara = await tg.add_user("Sara", language_code="sv")
    group = await tg.add_group("Socialtjänsten", [sara])
    settings = bot_settings(telegram.url, sqlite_url, staff_chat_id=group.id)
    async with running_bot(settings) as nara:
        await register_staff(nara, (sara, "Sara", "caseworker"))
    caplog.clear()
    async with running_bot(settings):
        pass
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.app.runtime"]
    assert not any("NARA_STAFF_CHAT_ID" in w or "no staff" in w for w in warnings), warnings
