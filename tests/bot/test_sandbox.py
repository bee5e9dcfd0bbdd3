"""``nara sandbox``: the real bot, the built-in Telegram and the browser chat on one port."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import struct
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.core.i18n import gettext
from bot.core.settings import load_settings
from bot.sandbox.server import (
    BOT_USERNAME,
    STAFF_GROUP_TITLE,
    Sandbox,
    ignored_variables,
    running_sandbox,
)
from flows.bidi import as_seen
from storage import queries
from tests.bot.harness import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
FAILSAFE_MS = 30_000  # Playwright waits: a failsafe, never a measurement.
FAILSAFE_S = 60.0


def sandbox_settings(tmp_path: Path) -> Any:
    return load_settings(
        http_host="127.0.0.1",
        http_port=free_port(),
        database_url=None,
        data_dir=tmp_path / "data",
        log_level="WARNING",
    )


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with running_sandbox(sandbox_settings(tmp_path)) as running:
        yield running


# -- in process, without a browser ---------------------------------------------------------------


async def test_the_sandbox_has_a_staff_group_with_registered_staff_and_the_bot_as_admin(
    sandbox: Sandbox,
) -> None:
    group = sandbox.world.groups[sandbox.staff_chat_id]
    assert group.title == STAFF_GROUP_TITLE
    assert sandbox.settings.staff_chat_id == group.id
    bot = sandbox.world.find_bot()
    assert group.members[bot.id] == "administrator"
    statuses = {group.members[user_id] for user_id in sandbox.staff_ids.values()}
    assert statuses == {"creator", "member"}
    async with sandbox.nara.db.session() as session:
        staff = await queries.list_staff(session)
    assert {(m.telegram_user_id, m.name, m.role) for m in staff} == {
        (sandbox.staff_ids["Sara"], "Sara", "caseworker"),
        (sandbox.staff_ids["Jonas"], "Jonas", "supervisor"),
    }
    # The bot long-polls its own port: a resident's /start gets the greeting back.
    assert sandbox.settings.telegram_api_url == sandbox.url.rstrip("/")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sandbox.url}sandbox/api/users",
                             json={"first_name": "Olle", "language_code": "sv"}) as response:
            olle = await response.json()
        async with http.post(f"{sandbox.url}sandbox/api/users/{olle['id']}/messages",
                             json={"text": "/start"}) as response:
            assert response.status == 201
        async with http.get(f"{sandbox.url}sandbox/api/chats/{olle['id']}/messages",
                            params={"from_bot": "true", "wait": "30"}) as response:
            replies = (await response.json())["messages"]
    assert replies and "112" in replies[0]["text"]


def _sqlite_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite+aiosqlite:///"))


def _exists(path: Path) -> bool:
    return path.exists()


async def test_a_temporary_database_is_deleted_when_the_sandbox_stops(tmp_path: Path) -> None:
    async with running_sandbox(sandbox_settings(tmp_path)) as running:
        database = _sqlite_file(running.settings.database)
        assert running.temporary_database
        assert _exists(database)
        assert not database.is_relative_to(tmp_path / "data")
    assert not _exists(database)
    assert not _exists(database.parent)


async def test_a_configured_database_is_used_and_kept(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/kept.db"
    settings = sandbox_settings(tmp_path).model_copy(update={"database_url": url})
    async with running_sandbox(settings) as running:
        assert running.settings.database == url
        assert not running.temporary_database
    assert _exists(tmp_path / "kept.db")


def test_ignored_variables_are_named_from_the_environment_and_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("NARA_WEBHOOK_URL=https://bot.example.se/hook\nNARA_TIMEZONE=UTC\n")
    environ = {"NARA_TELEGRAM_TOKEN": "123:abc", "NARA_HTTP_PORT": "9000"}
    assert ignored_variables(environ, env_file) == ["NARA_TELEGRAM_TOKEN", "NARA_WEBHOOK_URL"]
    assert ignored_variables({}, tmp_path / "missing.env") == []


# -- in a real browser ---------------------------------------------------------------------------


@pytest.fixture
async def browser_page(tmp_path: Path) -> AsyncIterator[Any]:
    if not _exists(Path(CHROMIUM)):
        if os.environ.get("NARA_TEST_SKIP_BROWSER") == "1":
            pytest.skip(f"{CHROMIUM} is missing")
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (Debian's chromium)",
                    pytrace=False)
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=FAILSAFE_MS)
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run",
            ],
            viewport={"width": 1360, "height": 900},
            locale="sv-SE",
        )
        context.set_default_timeout(FAILSAFE_MS)
        page = context.pages[0] if context.pages else await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors
        try:
            yield page
        finally:
            await context.close()


# Every line of a right-to-left paragraph ends at the right edge; a left-to-right one would
# leave its short lines ragged on the right instead.
LINES_OF_TEXT = """
(bubble) => {
  const text = bubble.querySelector(".text");
  const box = text.getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(text);
  const lines = [];
  for (const rect of range.getClientRects()) {
    if (rect.width < 1) continue;
    const middle = rect.top + rect.height / 2;
    let line = lines.find((l) => Math.abs(l.middle - middle) < 6);
    if (!line) { line = { middle, left: rect.left, right: rect.right }; lines.push(line); }
    line.left = Math.min(line.left, rect.left);
    line.right = Math.max(line.right, rect.right);
  }
  return {
    bubbleDirection: getComputedStyle(bubble).direction,
    textDirection: getComputedStyle(text).direction,
    left: box.left, right: box.right, lines,
  };
}
"""


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.browser
async def test_a_caseworker_demo_in_the_browser(sandbox: Sandbox, browser_page: Any) -> None:
    from playwright.async_api import expect

    page = browser_page
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        await page.goto(sandbox.url)
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        local_note = page.get_by_text("nothing leaves this machine", exact=False).first
        await expect(local_note).to_be_visible()

        # A new resident whose Telegram speaks Arabic.
        resident = page.locator("#resident-pane")
        await resident.get_by_label("First name").fill("Amal")
        await resident.get_by_label("Telegram language").select_option("ar")
        await resident.get_by_role("button", name="Create and chat").click()
        box = resident.get_by_role("textbox", name="Message to Nära as Amal")
        await expect(box).to_be_focused()
        await box.fill("/start")
        await box.press("Enter")

        automated = gettext("I am a computer program, not a person.", "ar")
        greeting = resident.locator(".msg.in .bubble").filter(has_text=automated)
        await expect(greeting).to_be_visible()
        await expect(greeting).to_contain_text("112")
        layout = await greeting.evaluate(LINES_OF_TEXT)
        assert layout["bubbleDirection"] == "rtl", layout
        assert layout["textDirection"] == "rtl", layout
        assert len(layout["lines"]) >= 3, layout
        assert all(abs(line["right"] - layout["right"]) <= 4 for line in layout["lines"]), layout
        assert any(line["left"] - layout["left"] >= 24 for line in layout["lines"]), layout

        # The command menu, in the resident's language; /language; the Svenska button.
        await resident.get_by_role("button", name="Commands").click()
        item = resident.get_by_role("menuitem", name=re.compile(r"\/language"))
        await expect(item).to_contain_text(gettext("Choose your language", "ar"))
        await item.click()
        choice = resident.locator(".msg.in").filter(has=page.get_by_role("button", name="Svenska"))
        await choice.last.get_by_role("button", name="Svenska").click()
        confirmed = gettext("Okay. From now on I write to you in {language}.", "sv").format(
            language="Svenska"
        )
        await expect(resident.locator(".msg.in .bubble").filter(has_text=confirmed)).to_be_visible()

        # A sticker gets the kind answer, now in Swedish.
        await resident.get_by_role("button", name="Sticker").click()
        sticker = resident.locator(".msg.out").get_by_role("img", name=re.compile("^Sticker"))
        await expect(sticker).to_be_visible()
        kind = gettext("I can only read text.", "sv")
        await expect(resident.locator(".msg.in .bubble").filter(has_text=kind)).to_be_visible()

        # The staff group, as Sara, then Jonas replying to her.
        staff = page.locator("#staff-pane")
        await expect(staff.get_by_role("tab", name=STAFF_GROUP_TITLE)).to_have_attribute(
            "aria-selected", "true"
        )
        await expect(staff.get_by_text("Sara (handläggare) added Nära")).to_be_visible()
        sara_box = staff.get_by_role("textbox", name="Message to the staff group as Sara")
        await sara_box.fill("God morgon! Sandlådan är igång, testa gärna.")
        await sara_box.press("Enter")
        from_me = staff.locator(".msg.out .bubble").filter(has_text="God morgon")
        await expect(from_me).to_be_visible()

        await staff.get_by_label("You are").select_option(str(sandbox.staff_ids["Jonas"]))
        from_sara = staff.locator(".msg.in").filter(has_text="God morgon")
        await expect(from_sara.locator(".sender")).to_have_text("Sara (handläggare)")
        await from_sara.get_by_role("button", name=re.compile("^Reply to Sara")).click()
        await expect(staff.locator(".reply-bar")).to_contain_text("Replying to Sara (handläggare)")
        jonas_box = staff.get_by_role("textbox", name="Message to the staff group as Jonas")
        await expect(jonas_box).to_be_focused()
        await jonas_box.fill("Tack! Jag har jouren i kväll.")
        await jonas_box.press("Enter")
        reply = staff.locator(".msg.out .bubble").filter(has_text="Tack!")
        await expect(reply.locator(".quote")).to_contain_text("God morgon")
        group = sandbox.world.groups[sandbox.staff_chat_id]
        last = group.messages[max(group.messages)]
        assert last.sender.id == sandbox.staff_ids["Jonas"]
        assert last.reply_to is not None and (last.reply_to.text or "").startswith("God morgon")

        # Jonas's private chat with the bot, then back to the group.
        await staff.get_by_role("tab", name="Private chat with Nära").click()
        private_box = staff.get_by_role("textbox", name="Message to Nära as Jonas")
        await private_box.fill("/help")
        await private_box.press("Enter")
        # Staff get the staff help in their private chat: how to answer cases.
        help_line = gettext("/cases – open cases", "sv")
        await expect(staff.locator(".msg.in .bubble").filter(has_text=help_line)).to_be_visible()
        await staff.get_by_role("tab", name=STAFF_GROUP_TITLE).click()
        await expect(staff.locator(".msg.out .bubble").filter(has_text="Tack!")).to_be_visible()
        await expect(staff.locator(".reply-bar")).to_be_hidden()

        assert page.errors == []
        await page.mouse.move(0, 0)
        await page.locator(":focus").evaluate("(node) => node.blur()")
        await page.set_viewport_size({"width": 1440, "height": 1024})
        shot = ARTIFACTS / "sandbox.png"
        await page.screenshot(path=str(shot))
    except BaseException:
        await page.screenshot(path=str(ARTIFACTS / "sandbox-failure.png"))
        raise
    assert shot.is_file()
    width, height = _png_size(shot)
    assert (width, height) == (1440, 1024)
    assert shot.stat().st_size > 30_000, "a blank page compresses to almost nothing"


@pytest.mark.browser
async def test_bot_html_is_sanitised_and_links_open_safely(
    sandbox: Sandbox, browser_page: Any
) -> None:
    from playwright.async_api import expect

    page = browser_page
    world = sandbox.world
    bot = world.find_bot()
    person = world.add_user("Eva", language_code="en")
    chat = world.private_chat(bot, person)
    world.user_sends(person, chat, text="hi")
    # As a bot could send it: entities that Telegram renders as HTML, with a hostile link.
    text = "bold spoiler link bad code"
    entities = [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "spoiler", "offset": 5, "length": 7},
        {"type": "text_link", "offset": 13, "length": 4, "url": "https://example.org/x"},
        {"type": "text_link", "offset": 18, "length": 3, "url": 'javascript:alert("x")'},
        {"type": "code", "offset": 22, "length": 4},
    ]
    world.bot_sends(bot, chat, text=text, entities=entities)
    world.bot_sends(bot, chat, text="<img src=x onerror=alert(1)><script>alert(2)</script>")

    await page.goto(sandbox.url)
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await page.locator("#resident-select").select_option(str(person.id))
    resident = page.locator("#resident-pane")
    bubble = resident.locator(".msg.in .text").filter(has_text="bold spoiler")
    await expect(bubble.locator("b")).to_have_text("bold")
    await expect(bubble.locator("code")).to_have_text("code")
    spoiler = bubble.locator(".tg-spoiler")
    await expect(spoiler).to_have_text("spoiler")
    await spoiler.click()
    await expect(spoiler).to_have_class(re.compile("revealed"))
    links = bubble.locator("a")
    await expect(links).to_have_count(1)
    await expect(links).to_have_attribute("href", "https://example.org/x")
    await expect(links).to_have_attribute("target", "_blank")
    await expect(links).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    # Markup typed as text stays text.
    literal = resident.locator(".msg.in .text").filter(has_text="<script>alert(2)</script>")
    await expect(literal).to_be_visible()
    assert await resident.locator(".msg img, .msg script").count() == 0
    assert page.errors == []


@pytest.mark.browser
async def test_a_button_the_bot_does_not_know_shows_its_answer_as_a_toast(
    sandbox: Sandbox, browser_page: Any
) -> None:
    from playwright.async_api import expect

    page = browser_page
    world = sandbox.world
    bot = world.find_bot()
    person = world.add_user("Eva", language_code="en")
    chat = world.private_chat(bot, person)
    world.user_sends(person, chat, text="/start")
    old_button = {"text": "Old button", "callback_data": "x:1"}
    world.bot_sends(bot, chat, text="An old message",
                    reply_markup={"inline_keyboard": [[old_button]]})

    await page.goto(sandbox.url)
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await page.locator("#resident-select").select_option(str(person.id))
    await page.locator("#resident-pane").get_by_role("button", name="Old button").click()
    note = gettext("This button does not work any more. Send /start to begin again.", "en")
    await expect(page.locator("#toasts")).to_contain_text(note)
    assert page.errors == []


# -- the command, as a subprocess -----------------------------------------------------------------


def _nara_command() -> list[str]:
    script = Path(sys.executable).with_name("nara")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "bot"]


def _clean_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NARA_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["NARA_DATA_DIR"] = str(tmp_path / "data")
    env.update(extra)
    return env


async def _read_line_with(process: asyncio.subprocess.Process, needle: str, seen: list[str]) -> str:
    assert process.stdout is not None
    while True:
        raw = await asyncio.wait_for(process.stdout.readline(), FAILSAFE_S)
        if not raw:
            raise AssertionError(f"nara sandbox ended before printing {needle!r}: {seen}")
        line = raw.decode().rstrip("\n")
        seen.append(line)
        if needle in line:
            return line


@pytest.mark.slow
async def test_nara_sandbox_serves_the_page_health_and_control_api_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    port = free_port()
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = _clean_environment(
        tmp_path,
        NARA_HTTP_PORT=str(port),
        NARA_TELEGRAM_TOKEN="not a token at all",
        NARA_WEBHOOK_URL="https://bot.example.se/hook",
        TMPDIR=str(temporary),
    )
    process = await asyncio.create_subprocess_exec(
        *_nara_command(), "sandbox", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    seen: list[str] = []
    try:
        ready = await _read_line_with(process, "open http", seen)
        url = f"http://127.0.0.1:{port}/"
        assert ready == f"Nära sandbox: open {url} (Ctrl+C to stop)"
        startup = "\n".join(seen)
        assert "NARA_TELEGRAM_TOKEN" in startup and "NARA_WEBHOOK_URL" in startup
        assert "nothing leaves this machine" in startup
        assert [p.name for p in temporary.iterdir() if p.name.startswith("nara-sandbox-")]

        async with aiohttp.ClientSession() as http:
            async with http.get(url) as response:
                assert response.status == 200
                assert response.content_type == "text/html"
                assert "Nära sandbox" in await response.text()
            async with http.get(f"{url}sandbox/ui/sandbox.js") as response:
                assert response.status == 200
            async with http.get(f"{url}healthz") as response:
                assert response.status == 200
                assert (await response.json())["status"] == "alive"
            async with http.get(f"{url}sandbox/api") as response:
                world = await response.json()
            assert [bot["username"] for bot in world["bots"]] == [BOT_USERNAME]
            assert STAFF_GROUP_TITLE in [chat.get("title") for chat in world["chats"]]
            async with http.post(f"{url}sandbox/api/users",
                                 json={"first_name": "Ali", "language_code": "fa"}) as response:
                ali = await response.json()
            async with http.post(f"{url}sandbox/api/users/{ali['id']}/messages",
                                 json={"text": "/start"}) as response:
                assert response.status == 201
            async with http.get(f"{url}sandbox/api/chats/{ali['id']}/messages",
                                params={"from_bot": "true", "wait": "30"}) as response:
                replies = (await response.json())["messages"]
        assert replies, "the bot in the subprocess answers through its own port"
        # Dari keeps 112 left to right with invisible isolates (see flows/bidi.py).
        assert gettext("In an emergency, call 112.", "fa_AF") in as_seen(replies[0]["text"])

        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), FAILSAFE_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    assert "Traceback" not in err.decode(), err.decode()
    assert out.decode().rstrip().endswith("Nära sandbox: stopped")
    assert not [p for p in temporary.iterdir() if p.name.startswith("nara-sandbox-")]


@pytest.mark.slow
async def test_nara_sandbox_on_a_busy_port_says_so_in_one_line_and_exits_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            *_nara_command(), "sandbox", cwd=tmp_path,
            env=_clean_environment(tmp_path, NARA_HTTP_PORT=str(port)),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), FAILSAFE_S)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert process.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert "NARA_HTTP_PORT" in lines[0] and str(port) in lines[0]
    assert "open http" not in out.decode()
