"""A running Nära: migrations, PTB application, pipeline, courier and HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from aiohttp import web
from telegram import BotCommandScopeChat
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults

from bot.app import handlers, timers
from bot.app.pipeline import Pipeline
from bot.app.polling import ALLOWED_UPDATES, POLL_TIMEOUT, poll
from bot.app.web import Probes, build_web_app
from bot.cases import casework
from bot.core.courier import CONCURRENT_CALLS, Courier, utcnow
from bot.core.logs import configure_logging
from bot.core.metrics import Metrics
from bot.core.settings import Settings
from bot.core.telegram_http import AiohttpRequest
from bot.core.usage import UsageTally
from flows.language import DEFAULT_LOCALE, LOCALES, warm_up
from flows.search import index_for
from flows.triage.classify import default_lexicon
from storage import casework as casework_queries
from storage import queries, triage_feedback
from storage.db import Database

log = logging.getLogger(__name__)

TIDY_INTERVAL = 3600.0
TIMER_INTERVAL = 1.0
# Telegram repeats an update for a day at most; after that its id is not needed.
HANDLED_UPDATES_KEPT = timedelta(days=2)
# What a resident wrote, shown to staff on a case, is cleared when the case closes; this
# is the safety net for anything left behind.
CLOSED_CASE_TEXTS_KEPT = timedelta(days=1)


def build_application(settings: Settings) -> Application:  # type: ignore[type-arg]
    """Return the PTB application talking to ``NARA_TELEGRAM_API_URL``, with our handlers."""
    root = settings.telegram_api_url
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        # We store, order and confirm updates ourselves (see bot/app/pipeline.py).
        .updater(None)
        .job_queue(None)
        .request(AiohttpRequest(connections=CONCURRENT_CALLS))
        .get_updates_request(AiohttpRequest(connections=1, read_timeout=POLL_TIMEOUT + 10))
    )
    if settings.rate_limit:
        # 30/s overall and 20/min per group, as Telegram asks; a 429 still goes to the outbox.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=0))  # type: ignore[arg-type]
    application = builder.build()
    handlers.wire(application, settings)
    return application


class Nara:
    """One bot instance. ``await start()``, then ``await stop()``; or ``await run()``."""

    def __init__(
        self,
        settings: Settings,
        *,
        add_routes: Callable[[web.Application], None] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        # Every "now" of the bot comes from here: tests move it instead of sleeping.
        self.clock = clock
        self.db = Database(settings.database)
        self.metrics = Metrics()
        self.application = build_application(settings)
        self.catalogue = settings.services()
        self.helplines = settings.numbers()
        self.lexicon = settings.vocabulary()
        self.courier = Courier(self.application.bot, self.db, self.metrics, clock)
        self.usage = UsageTally(self.db)
        self.pipeline = Pipeline(
            db=self.db,
            application=self.application,
            courier=self.courier,
            settings=settings,
            metrics=self.metrics,
            catalogue=self.catalogue,
            helplines=self.helplines,
            lexicon=self.lexicon,
            usage=self.usage,
            clock=clock,
        )
        self._add_routes = add_routes
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def webhook_path(self) -> str | None:
        """The path our server receives the webhook on, when a webhook URL is set."""
        if self.settings.webhook_url is None:
            return None
        return urlsplit(self.settings.webhook_url).path or "/"

    async def start(self) -> None:
        """Migrate, connect to the Bot API, resume stored work, and start receiving updates."""
        await self.db.upgrade()
        # Language models and the search index load now, not on the first question.
        warm_up()
        index_for(self.catalogue)
        default_lexicon()
        # The HTTP server first: in the sandbox it also serves the Bot API we connect to.
        await self._start_http()
        await self._initialize_application()
        await self._warn_if_no_one_can_answer()
        await self.courier.recover()
        await self.pipeline.recover()
        self.pipeline.open()
        self._tasks.append(asyncio.create_task(self.courier.sweep_forever()))
        self._tasks.append(asyncio.create_task(self._publish_command_menus()))
        self._tasks.append(asyncio.create_task(self._tidy_forever()))
        self._tasks.append(asyncio.create_task(self._timers_forever()))
        self._tasks.append(asyncio.create_task(self.usage.flush_forever()))
        bot = self.application.bot
        if self.settings.webhook_url is not None:
            await bot.set_webhook(
                self.settings.webhook_url,
                secret_token=self.settings.secret,
                allowed_updates=ALLOWED_UPDATES,
                max_connections=40,
            )
            log.info("receiving updates by webhook on %s", self.webhook_path)
        else:
            await bot.delete_webhook(drop_pending_updates=False)
            self._tasks.append(asyncio.create_task(poll(bot, self.pipeline)))
            log.info("receiving updates by long polling")

    async def _warn_if_no_one_can_answer(self) -> None:
        """Say at start when urgent cases could reach no one: no staff group, or no staff."""
        if self.settings.staff_chat_id is None and not self.settings.on_call:
            log.warning(
                "NARA_STAFF_CHAT_ID is not set: residents in danger get the safety reply and "
                "the numbers, but no person hears of their case"
            )
        async with self.db.session() as session:
            staff = await queries.list_staff(session)
        if not staff:
            log.warning(
                "no staff registered: no one can claim a case; add people with `nara staff add`"
            )

    async def _initialize_application(self) -> None:
        wait = 1.0
        while True:
            try:
                await self.application.initialize()
                me = self.application.bot.bot
                log.info("connected to the Bot API as @%s", me.username)
                return
            except NetworkError as error:
                log.warning(
                    "Bot API not reachable (%s); retrying in %.0f s", type(error).__name__, wait
                )
                await asyncio.sleep(wait)
                wait = min(wait * 2, 30.0)

    async def _start_http(self) -> None:
        probes = Probes(
            db=self.db, bot=self.application.bot, metrics=self.metrics, pipeline=self.pipeline
        )
        app = build_web_app(
            probes=probes,
            pipeline=self.pipeline,
            webhook_path=self.webhook_path,
            secret=self.settings.secret,
        )
        if self._add_routes is not None:
            self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.http_host, self.settings.http_port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.http_port
        log.info("HTTP server on %s:%s", self.settings.http_host, self.port)

    async def _publish_command_menus(self) -> None:
        """Tell Telegram our command menu in every language (Swedish by default)."""
        bot = self.application.bot
        wait = 1.0
        while True:
            try:
                await bot.do_api_request(
                    "setMyCommands",
                    api_kwargs=handlers.command_menu(DEFAULT_LOCALE, for_language=False),
                )
                for locale in LOCALES:
                    await bot.do_api_request(
                        "setMyCommands", api_kwargs=handlers.command_menu(locale)
                    )
                await self._publish_staff_menus()
                return
            except TelegramError as error:
                log.warning(
                    "could not publish command menus (%s: %s); retrying",
                    type(error).__name__,
                    error.message,
                )
                await asyncio.sleep(wait)
                wait = min(wait * 2, 300.0)

    async def _publish_staff_menus(self) -> None:
        """Give staff their own menu: in each one's private chat, and in the staff group.

        Someone no longer on staff gets the residents' menu back. A staff member who never
        opened a chat with the bot cannot get one yet: they get it at their /start.
        """
        locale = self.settings.staff_locale
        async with self.db.session() as session:
            staff = await queries.list_staff(session, include_removed=True)
            residents = await queries.residents_by_user(
                session, [m.telegram_user_id for m in staff if m.removed_at is not None]
            )
        menus: list[tuple[str, dict[str, object]]] = []
        if self.settings.staff_chat_id is not None:
            group = self.settings.staff_chat_id
            menus.append(("setMyCommands", casework.staff_menu(locale, group, group=True)))
        for member in staff:
            chat_id = member.telegram_user_id
            scope = BotCommandScopeChat(chat_id)
            resident = residents.get(chat_id)
            if member.removed_at is None:
                menus.append(("setMyCommands", casework.staff_menu(locale, chat_id)))
            elif resident is not None and resident.locale_chosen:
                menus.append(("setMyCommands", handlers.command_menu(resident.locale, scope=scope)))
            else:
                menus.append(("deleteMyCommands", {"scope": scope.to_dict()}))
        for method, params in menus:
            try:
                await self.application.bot.do_api_request(method, api_kwargs=params)
            except (BadRequest, Forbidden) as error:
                log.info("no staff menu for one chat: %s", error.message)

    async def _timers_forever(self) -> None:
        """Run timers when they fall due (they live in the database).

        A full batch means more are due (a busy morning of check-ins): the next batch is
        taken at once, not after the pause.
        """
        while True:
            ran = 0
            try:
                ran = int(await self.pipeline.run_job(timers.run_due_timers))  # type: ignore[call-overload]
            except Exception:
                self.metrics.errors.labels("timers").inc()
                log.exception("running timers failed; trying again")
            if ran < timers.BATCH:
                await asyncio.sleep(TIMER_INTERVAL)
            else:
                await asyncio.sleep(0)

    async def _tidy_forever(self) -> None:
        """Forget, every hour, what Nära no longer needs to keep."""
        while True:
            try:
                await self.tidy()
            except Exception:
                self.metrics.errors.labels("tidy").inc()
                log.exception("tidying the database failed; trying again in an hour")
            await asyncio.sleep(TIDY_INTERVAL)

    async def tidy(self) -> None:
        """Delete kept questions and triage feedback past their retention time, and old updates."""
        now = self.clock()
        async with self.db.session() as session, session.begin():
            retention = timedelta(days=self.settings.question_retention_days)
            questions = await queries.forget_unanswered(session, now - retention)
            # Triage feedback is kept as long as the questions: the same scrubbed texts.
            await triage_feedback.forget_before(session, now - retention)
            updates = await queries.forget_handled_updates(session, now - HANDLED_UPDATES_KEPT)
            await casework_queries.forget_old_texts(session, now)
            await casework_queries.forget_closed_case_texts(session, now - CLOSED_CASE_TEXTS_KEPT)
        if questions or updates:
            log.info("forgot %d old questions and %d handled updates", questions, updates)

    async def stop(self) -> None:
        """Stop taking updates, finish the ones under way, and close everything."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.pipeline.drain(), 10)
        await self.pipeline.cancel()
        with contextlib.suppress(Exception):
            await self.usage.flush()
        with contextlib.suppress(Exception):
            await self.application.shutdown()
        await self.db.close()

    async def run(self) -> None:
        """Run until SIGINT or SIGTERM."""
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        await self.start()
        try:
            await stopping.wait()
        finally:
            log.info("stopping")
            await self.stop()


def run_bot(settings: Settings) -> None:
    """Run ``nara run`` in the foreground."""
    configure_logging(settings.log_level, settings.token)
    asyncio.run(Nara(settings).run())
