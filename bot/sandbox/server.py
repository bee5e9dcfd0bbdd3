"""``nara sandbox``: the real bot against a built-in Telegram, with a browser chat, on one port.

One aiohttp server (the bot's own) serves the Telegram-compatible Bot API the bot long-polls,
the control API the page plays people through (``/sandbox/api/``), and the page itself (``/``)
with its tools: the bot's clock moved forward (:mod:`bot.sandbox.clock`) and check-ins
offered as a staff member would.
Nothing leaves the machine: no token, no internet, and a temporary database unless
``NARA_DATABASE_URL`` says otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import secrets
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import SecretStr

from bot.app.runtime import Nara
from bot.calls import checkins
from bot.core.courier import utcnow
from bot.core.i18n import plain
from bot.core.logs import configure_logging
from bot.core.settings import Settings
from bot.sandbox.clock import SandboxClock, clock_view, minutes_forward
from flows.calls.availability import WeeklyHours
from flows.checkins import CANNOT_OFFER, Plan
from flows.language import DEFAULT_LOCALE, LOCALES, OWN_NAMES, RIGHT_TO_LEFT, telegram_language_code
from flows.replies import Text
from storage import checkins as stored_checkins
from storage import hours, queries
from tgserver import World, setup_routes

log = logging.getLogger(__name__)

# Only ever accepted by the built-in server; shaped like a real token so every code path is real.
SANDBOX_TOKEN = "1000000001:SANDBOXnaraLocalOnlyNotATelegramToken"  # noqa: S105 - not a secret
BOT_NAME = "Nära"
BOT_USERNAME = "nara_sandbox_bot"
STAFF_GROUP_TITLE = "Socialtjänsten – ärenden"
UI_DIR = Path(__file__).resolve().parent / "ui"

# What the sandbox replaces, so an operator's real settings can't reach Telegram from here.
IGNORED_VARIABLES = (
    "NARA_TELEGRAM_TOKEN",
    "NARA_TELEGRAM_API_URL",
    "NARA_WEBHOOK_URL",
    "NARA_WEBHOOK_SECRET",
    "NARA_STAFF_CHAT_ID",
)

# Placeholders that keep invalid values of ignored variables from stopping the sandbox.
SETTINGS_OVERRIDES: Mapping[str, object] = {
    "telegram_token": SANDBOX_TOKEN,
    "telegram_api_url": "http://127.0.0.1",
    "webhook_url": None,
    "webhook_secret": None,
    "staff_chat_id": None,
}

_ENGLISH_NAMES = {
    "sv": "Swedish", "en": "English", "ar": "Arabic", "fa_AF": "Dari", "so": "Somali",
    "ti": "Tigrinya", "uk": "Ukrainian", "fi": "Finnish",
}


@dataclass(frozen=True)
class StaffPerson:
    """A staff member the sandbox plays: a Telegram account and a row in the staff table."""

    name: str
    title: str
    role: str


STAFF = (
    StaffPerson("Sara", "handläggare", "caseworker"),
    StaffPerson("Jonas", "jour", "supervisor"),
)
# Hours for booked calls, so "Book a call" offers times at once; /hours in the staff pane
# changes them (and a kept database keeps the change).
STAFF_HOURS = "mon-fri 09:00-16:00"


class PortInUse(Exception):
    """The sandbox's HTTP port is taken by another program."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"NARA_HTTP_PORT: port {port} on {host} is already in use; stop what uses it or "
            f"choose another port, e.g. NARA_HTTP_PORT={port + 1 if port else 8081} nara sandbox"
        )


@dataclass
class Sandbox:
    """A running sandbox: where to open it, and its parts for tests."""

    url: str
    settings: Settings
    world: World
    nara: Nara
    clock: SandboxClock
    staff_chat_id: int
    staff_ids: dict[str, int]
    temporary_database: bool
    # Tells the page that a new sandbox took the port (a restart): its world is a new one.
    instance: str = field(default_factory=lambda: secrets.token_hex(8))


def telegram_languages() -> list[dict[str, Any]]:
    """Return the Telegram languages a resident can have: ours, then one we don't speak."""
    languages = [
        {
            "code": telegram_language_code(locale),
            "name": OWN_NAMES[locale],
            "english": _ENGLISH_NAMES[locale],
            "rtl": locale in RIGHT_TO_LEFT,
            "supported": True,
        }
        for locale in LOCALES
    ]
    fallback = _ENGLISH_NAMES[DEFAULT_LOCALE]
    languages.append(
        {
            "code": "de",
            "name": "Deutsch",
            "english": f"German, not supported: answers in {fallback}",
            "rtl": False,
            "supported": False,
        }
    )
    return languages


def ignored_variables(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> list[str]:
    """Return the ``NARA_*`` variables set (in the environment or ``.env``) that we ignore."""
    environ = os.environ if environ is None else environ
    from_file: dict[str, str | None] = {}
    if env_file is not None and env_file.is_file():
        from dotenv import dotenv_values

        from_file = dotenv_values(env_file)
    return [
        name for name in IGNORED_VARIABLES
        if environ.get(name) or from_file.get(name)
    ]


def _browser_host(host: str) -> str:
    """Return the host to connect to: a wildcard address means this machine."""
    if host in ("", "0.0.0.0"):  # noqa: S104 - reading the setting, not binding
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def check_port(host: str, port: int) -> None:
    """Raise :class:`PortInUse` if something already listens on ``host:port``.

    Checked before migrating and loading models, so a busy port answers at once.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        # As aiohttp binds: a port left in TIME_WAIT by the last sandbox is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(host, port) from None
            raise


def sandbox_settings(settings: Settings, database_dir: Path | None) -> Settings:
    """Return ``settings`` pointed at the built-in Telegram on our own port.

    Args:
        settings: The operator's configuration (host, port, database, office hours...).
        database_dir: Where the temporary SQLite database goes when none is configured.
    """
    port = settings.http_port or _free_port(settings.http_host or "127.0.0.1")
    update: dict[str, Any] = {
        "telegram_token": SecretStr(SANDBOX_TOKEN),
        "telegram_api_url": f"http://{_browser_host(settings.http_host)}:{port}",
        "http_port": port,
        "webhook_url": None,
        "webhook_secret": None,
        "staff_chat_id": None,
    }
    if "rate_limit" not in settings.model_fields_set:
        # The built-in server has no flood limits unless asked; pacing would only slow demos.
        update["rate_limit"] = False
    if settings.database_url is None and database_dir is not None:
        update["database_url"] = f"sqlite+aiosqlite:///{database_dir / 'nara.db'}"
    return settings.model_copy(update=update)


def build_world() -> tuple[World, int, dict[str, int]]:
    """Return the built-in Telegram with our bot, two staff members and their staff group."""
    world = World()
    bot = world.add_bot(SANDBOX_TOKEN, first_name=BOT_NAME, username=BOT_USERNAME)
    people = [
        world.add_user(f"{person.name} ({person.title})", language_code="sv")
        for person in STAFF
    ]
    # An administrator bot sees every message in the group, as staff groups set it up.
    group = world.add_group(
        STAFF_GROUP_TITLE, people, bots=[bot], admins=[bot], supergroup=True
    )
    staff_ids = {person.name: user.id for person, user in zip(STAFF, people, strict=True)}
    return world, group.id, staff_ids


async def register_staff(nara: Nara, staff_ids: Mapping[str, int]) -> None:
    """Make the sandbox's staff people staff in the bot's database (migrating it first).

    Each gets :data:`STAFF_HOURS` for booked calls unless they already have hours.
    """
    await nara.db.upgrade()
    now = nara.clock()
    async with nara.db.session() as session, session.begin():
        for person in STAFF:
            member = await queries.add_staff_member(
                session, telegram_user_id=staff_ids[person.name], name=person.name,
                role=person.role, now=now,
            )
            if await hours.hours_of(session, member.id) is None:
                await hours.set_hours(
                    session, member.id, now=now, weekly=WeeklyHours.parse(STAFF_HOURS)
                )


def _title(settings: Settings, plan: Plan) -> str:
    return plain(Text.written(plan.title), settings.staff_locale)


def _sandbox_info(sandbox: Sandbox) -> dict[str, Any]:
    world = sandbox.world
    bot = world.find_bot()
    return {
        "bot": {"id": bot.id, "name": bot.user.first_name, "username": bot.username},
        "municipality": sandbox.settings.municipality,
        "staff_chat": {
            "id": sandbox.staff_chat_id,
            "title": world.groups[sandbox.staff_chat_id].title,
        },
        "staff": [
            {"id": sandbox.staff_ids[p.name], "name": p.name, "title": p.title, "role": p.role}
            for p in STAFF
        ],
        "languages": telegram_languages(),
        "temporary_database": sandbox.temporary_database,
        "instance": sandbox.instance,
        "clock": clock_view(sandbox.clock, sandbox.settings),
        # Titles in the staff language, as staff see them in /checkins.
        "checkin_plans": [
            {"name": plan.name, "title": _title(sandbox.settings, plan)}
            for plan in sandbox.settings.checkin_plans()
        ],
    }


@dataclass(frozen=True)
class CheckinOffer:
    """What the page asks for: a staff member offers a resident a plan (Telegram user ids)."""

    staff_user_id: int
    resident_user_id: int
    plan: str

    @classmethod
    def read(cls, body: object, staff_ids: Mapping[str, int]) -> CheckinOffer:
        """Read the page's JSON.

        Raises:
            ValueError: with a message for the person (or script) that sent it.
        """
        fields = body if isinstance(body, dict) else {}
        staff, resident, plan = (
            fields.get("staff_user_id"), fields.get("resident_user_id"), fields.get("plan")
        )
        if not isinstance(staff, int) or staff not in staff_ids.values():
            people = ", ".join(f"{user_id} ({name})" for name, user_id in staff_ids.items())
            raise ValueError(f"staff_user_id must be one of the sandbox's staff: {people}")
        if not isinstance(resident, int) or isinstance(resident, bool):
            raise ValueError("resident_user_id must be a resident's Telegram user id")
        if not isinstance(plan, str):
            raise ValueError("plan must be a plan's name, e.g. after-support")
        return cls(staff, resident, plan)


# Why an offer did not go out, as the page says it; the bot's own reasons otherwise.
_SANDBOX_REASONS = {
    "unknown-resident": "This resident has not written to Nära yet: send /start as them first.",
}


async def offer_checkins(sandbox: Sandbox, wanted: CheckinOffer) -> dict[str, str]:
    """Offer a plan as the bot's staff would, in one transaction, and say what happened.

    The offer goes through the outbox like one made with ``nara checkins offer``, so the
    resident pane shows it as soon as the bot sends it.
    """
    nara = sandbox.nara
    async with nara.db.session() as session, session.begin():
        staff = await queries.active_staff_member(session, wanted.staff_user_id)
        resident = await queries.find_resident(session, wanted.resident_user_id)
        why = "unknown-resident" if resident is None else None
        if resident is not None:
            why = await checkins.offer(
                session, sandbox.settings, resident, wanted.plan, staff=staff, now=nara.clock()
            )
        if why == "has-plan" and resident is not None:
            # The bot's "already has check-ins" covers an offer not yet answered; say which.
            live = await stored_checkins.live_plan(session, resident.id)
            why = "pending" if live is not None and live.status == "offered" else why
    if why is None:
        plan = sandbox.settings.checkin_plans().get(wanted.plan)
        title = _title(sandbox.settings, plan) if plan is not None else wanted.plan
        return {
            "outcome": "offered",
            "message": f"Offered “{title}”. Check-ins start only if the resident says yes.",
        }
    return {"outcome": why, "message": _SANDBOX_REASONS.get(why) or CANNOT_OFFER.get(why, why)}


async def _json_body(request: web.Request) -> object:
    try:
        return await request.json()
    except ValueError:
        raise ValueError("send a JSON object in the request body") from None


def _bad_request(error: ValueError) -> web.Response:
    return web.json_response({"error": str(error)}, status=400)


def add_page_routes(app: web.Application, sandbox_ref: list[Sandbox]) -> None:
    """Serve the browser chat: ``/``, its static files, ``/sandbox/info``, and its tools.

    ``POST /sandbox/clock`` (``{"minutes": N}``) moves the bot's clock forward and answers
    with the new time; ``POST /sandbox/checkins`` (``{"staff_user_id", "resident_user_id",
    "plan"}``) offers check-ins and answers with the outcome. Bad input: 400 and
    ``{"error": ...}``, as the control API answers.
    """

    async def index(_request: web.Request) -> web.FileResponse:
        response = web.FileResponse(UI_DIR / "index.html")
        # Bot HTML is sanitised in the page; this keeps anything that slips through inert.
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    async def info(_request: web.Request) -> web.Response:
        return web.json_response(_sandbox_info(sandbox_ref[0]))

    async def move_clock(request: web.Request) -> web.Response:
        sandbox = sandbox_ref[0]
        try:
            forward = minutes_forward(await _json_body(request))
        except ValueError as error:
            return _bad_request(error)
        sandbox.clock.advance(forward)
        log.info("sandbox clock moved %s forward", forward)
        return web.json_response(clock_view(sandbox.clock, sandbox.settings))

    async def offer(request: web.Request) -> web.Response:
        sandbox = sandbox_ref[0]
        try:
            wanted = CheckinOffer.read(await _json_body(request), sandbox.staff_ids)
        except ValueError as error:
            return _bad_request(error)
        return web.json_response(await offer_checkins(sandbox, wanted))

    app.router.add_get("/", index)
    app.router.add_get("/sandbox/info", info)
    app.router.add_post("/sandbox/clock", move_clock)
    app.router.add_post("/sandbox/checkins", offer)
    app.router.add_static("/sandbox/ui/", UI_DIR, append_version=False)


@asynccontextmanager
async def running_sandbox(
    settings: Settings, clock: Callable[[], datetime] | None = None
) -> AsyncIterator[Sandbox]:
    """Run the built-in Telegram, the bot and the page on ``settings``' host and port.

    Args:
        settings: The configuration; the token, Bot API URL, webhook and staff chat are
            replaced by the sandbox's own. Port 0 picks a free port.
        clock: The time the bot's clock starts from (tests set a known weekday); the real
            time if None. The page moves the bot's clock forward from there.

    Yields:
        The running sandbox; it stops (and its temporary database goes) on leaving.

    Raises:
        PortInUse: The port is taken.
    """
    check_port(settings.http_host, settings.http_port)
    with contextlib.ExitStack() as stack:
        database_dir = None
        if settings.database_url is None:
            temporary = tempfile.TemporaryDirectory(prefix="nara-sandbox-")
            database_dir = Path(stack.enter_context(temporary))
        settings = sandbox_settings(settings, database_dir)
        world, staff_chat_id, staff_ids = build_world()
        settings = settings.model_copy(update={"staff_chat_id": staff_chat_id})
        sandbox_ref: list[Sandbox] = []

        def add_routes(app: web.Application) -> None:
            setup_routes(app, world)
            add_page_routes(app, sandbox_ref)

        sandbox_clock = SandboxClock(clock or utcnow)
        nara = Nara(settings, add_routes=add_routes, clock=sandbox_clock)
        sandbox = Sandbox(
            url=f"http://{_browser_host(settings.http_host)}:{settings.http_port}/",
            settings=settings,
            world=world,
            nara=nara,
            clock=sandbox_clock,
            staff_chat_id=staff_chat_id,
            staff_ids=staff_ids,
            temporary_database=database_dir is not None,
        )
        sandbox_ref.append(sandbox)
        try:
            await register_staff(nara, staff_ids)
            await nara.start()
        except BaseException as error:
            with contextlib.suppress(Exception):
                await nara.stop()
            if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
                raise PortInUse(settings.http_host, settings.http_port) from None
            raise
        try:
            yield sandbox
        finally:
            await nara.stop()


def _say(line: str) -> None:
    print(f"Nära sandbox: {line}", flush=True)


async def _serve(settings: Settings) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stop_on_signal() -> None:
        stopping.set()
        # A second Ctrl+C while stopping ends the process at once.
        loop.remove_signal_handler(signal.SIGINT)

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop_on_signal)
    async with running_sandbox(settings) as sandbox:
        database = (
            "temporary SQLite database, deleted when you stop"
            if sandbox.temporary_database else "the database in NARA_DATABASE_URL (kept)"
        )
        _say(f"a local imitation of Telegram; nothing leaves this machine ({database})")
        _say(f"open {sandbox.url} (Ctrl+C to stop)")
        await stopping.wait()
        _say("stopping")


def run_sandbox(settings: Settings) -> int:
    """Run ``nara sandbox`` in the foreground until Ctrl+C; return the exit code."""
    level = settings.log_level if "log_level" in settings.model_fields_set else "WARNING"
    configure_logging(level, SANDBOX_TOKEN)
    ignored = ignored_variables()
    try:
        check_port(settings.http_host, settings.http_port)
    except PortInUse as error:
        print(f"nara: {error}", file=sys.stderr, flush=True)
        return 2
    if ignored:
        _say(f"ignoring {', '.join(ignored)}: the sandbox only talks to its own local Telegram")
    try:
        asyncio.run(_serve(settings))
    except PortInUse as error:
        print(f"nara: {error}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print("nara: stopped at once (second Ctrl+C)", file=sys.stderr, flush=True)
        return 130
    _say("stopped")
    return 0
