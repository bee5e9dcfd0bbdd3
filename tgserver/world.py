"""The in-memory Telegram: bots, users, chats, messages and the updates bots have not yet seen.

Everything the Bot API and the control API do goes through a :class:`World`; it keeps the
rules that belong to Telegram itself (who may write to whom, what a bot in privacy mode sees,
which command menu a user gets) so both APIs agree on them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import itertools
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tgserver.formatting import Entity, finish_text, to_html
from tgserver.limits import Faults, RateLimiter, RateLimits

T = TypeVar("T")

# Update types a bot gets when it never said which it wants (Telegram's default).
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post", "inline_query",
        "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query",
        "poll", "poll_answer", "my_chat_member", "chat_join_request", "business_connection",
        "business_message", "edited_business_message", "deleted_business_messages",
        "message_reaction_count", "chat_boost", "removed_chat_boost", "purchased_paid_media",
    }
)
ALL_UPDATE_TYPES = DEFAULT_ALLOWED_UPDATES | {"chat_member", "message_reaction"}

MEMBER_STATUSES = ("creator", "administrator", "member")

# Service-message fields: a bot in privacy mode still receives these.
_SERVICE_FIELDS = ("new_chat_members", "left_chat_member", "group_chat_created",
                   "supergroup_chat_created", "new_chat_title")


class WorldError(ValueError):
    """A control action a real Telegram client could not perform (e.g. press a missing button)."""


class UnknownError(WorldError, LookupError):
    """A control action names a user, bot, chat or message that does not exist."""


@dataclass
class User:
    """A Telegram account: a person, or a bot's own user."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    @property
    def full_name(self) -> str:
        """Return first and last name, as clients show them."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def to_api(self) -> dict[str, Any]:
        """Return the Bot API ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass
class Webhook:
    """A bot's webhook settings and the delivery errors Telegram reports in getWebhookInfo."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class Update:
    """One update waiting for its bot; ``payload`` is a snapshot taken when it happened."""

    update_id: int
    kind: str
    payload: dict[str, Any]
    chat_id: int | None

    def to_api(self) -> dict[str, Any]:
        """Return the Bot API ``Update`` object."""
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass(eq=False)
class Bot:
    """A bot account and everything Telegram keeps for it."""

    token: str
    user: User
    privacy_mode: bool = True
    can_join_groups: bool = True
    updates: list[Update] = field(default_factory=list)
    next_update_id: int = 1
    allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
    webhook: Webhook | None = None
    # (scope key, language code) -> commands; the scope key is a tuple like ("chat", -100...).
    commands: dict[tuple[tuple[Any, ...], str], list[dict[str, str]]] = field(default_factory=dict)
    menu_buttons: dict[int | None, dict[str, Any]] = field(default_factory=dict)
    # (field, language code) -> value, for setMyName/setMyDescription/setMyShortDescription.
    profile: dict[tuple[str, str], str] = field(default_factory=dict)
    blocked_by: set[int] = field(default_factory=set)
    # The pending getUpdates request, so a newer one can terminate it like Telegram does.
    poller: Any = None

    @property
    def id(self) -> int:
        """Return the bot's user id (the number before the colon in its token)."""
        return self.user.id

    @property
    def username(self) -> str:
        """Return the bot's username."""
        return self.user.username or ""

    def to_api(self) -> dict[str, Any]:
        """Return the ``User`` object getMe answers, with the bot-only fields."""
        data = self.user.to_api()
        data.update(
            {
                "can_join_groups": self.can_join_groups,
                "can_read_all_group_messages": not self.privacy_mode,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        )
        return data


@dataclass(eq=False)
class Chat:
    """A private chat between a bot and a user, or a group/supergroup.

    A private chat's id is the user's id; each bot has its own private chat with a user.
    """

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    bot_id: int | None = None
    user: User | None = None
    members: dict[int, str] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: dict[str, Any] | None = None
    last_bot_sender: int | None = None
    # A private chat is started once its user wrote to the bot; until then the bot can't write.
    started: bool = False

    @property
    def is_group(self) -> bool:
        """Return True for groups and supergroups."""
        return self.type in ("group", "supergroup")

    def is_member(self, user_id: int) -> bool:
        """Return True if the user or bot is currently in this group."""
        return self.members.get(user_id) in MEMBER_STATUSES

    def to_api(self) -> dict[str, Any]:
        """Return the Bot API ``Chat`` object (as a bot sees it)."""
        if self.type == "private":
            assert self.user is not None
            data: dict[str, Any] = {"id": self.id, "first_name": self.user.first_name}
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
            data["type"] = "private"
            return data
        data = {"id": self.id, "title": self.title, "type": self.type}
        if self.username:
            data["username"] = self.username
        return data


@dataclass(eq=False)
class CallbackQuery:
    """A press on an inline button, and the bot's answer to it if any."""

    id: str
    bot: Bot
    user: User
    message: Message
    data: str
    chat_instance: str
    created: float
    forged: bool = False
    answered: bool = False
    answer: dict[str, Any] | None = None

    def to_api(self) -> dict[str, Any]:
        """Return the Bot API ``CallbackQuery`` object."""
        return {
            "id": self.id,
            "from": self.user.to_api(),
            "message": self.message.to_api(),
            "chat_instance": self.chat_instance,
            "data": self.data,
        }

    def view(self) -> dict[str, Any]:
        """Return what the control API shows of this press and its answer."""
        answer = self.answer or {}
        return {
            "id": self.id,
            "from_id": self.user.id,
            "data": self.data,
            "forged": self.forged,
            "answered": self.answered,
            "text": answer.get("text"),
            "show_alert": answer.get("show_alert", False),
            "url": answer.get("url"),
        }


@dataclass(eq=False)
class Message:
    """A message in a chat, in either direction."""

    chat: Chat
    message_id: int
    sender: User
    date: int
    text: str | None = None
    entities: list[Entity] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[Entity] = field(default_factory=list)
    # Media and other Bot API fields merged into the message object ("sticker", "photo", ...).
    media: dict[str, Any] = field(default_factory=dict)
    reply_markup: dict[str, Any] | None = None
    reply_to: Message | None = None
    edit_date: int | None = None
    deleted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # Send options that are not part of the Message object (disable_notification...).
    options: dict[str, Any] = field(default_factory=dict)
    callback_queries: list[CallbackQuery] = field(default_factory=list)
    version: int = 1

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        """Return the inline keyboard rows, or an empty list."""
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            rows: list[list[dict[str, Any]]] = self.reply_markup["inline_keyboard"]
            return rows
        return []

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        """Return the Bot API ``Message`` object."""
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if with_reply and self.reply_to is not None:
            # Telegram nests one level only: a replied-to message carries no reply of its own.
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        data.update(self.media)
        if self.caption:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = self.caption_entities
        data.update(self.extra)
        # Only inline keyboards are part of a Message; reply keyboards live in the client.
        if self.inline_keyboard:
            data["reply_markup"] = {"inline_keyboard": self.inline_keyboard}
        return data


@dataclass
class StoredFile:
    """A file the world knows: uploaded by a bot or sent by a user."""

    file_id: str
    file_unique_id: str
    content: bytes
    file_path: str
    mime_type: str | None = None
    file_name: str | None = None

    def to_api(self) -> dict[str, Any]:
        """Return the Bot API ``File`` object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


class World:
    """All state of the sandboxed Telegram, shared by the Bot API and the control API.

    Args:
        clock: Wall clock in seconds, for message dates.
        monotonic: Monotonic clock for flood limits; tests pass a fake one to stay exact.
        rate_limits: Flood limits (off by default).
        webhook_retry_start: First pause before re-sending a failed webhook update, seconds.
        webhook_retry_cap: Longest pause between webhook retries, seconds.
        webhook_timeout: How long a webhook receiver may take to answer, seconds.
        callback_query_ttl: Seconds after which an unanswered callback query can no longer be
            answered (Telegram: a few seconds); None keeps them answerable.
        max_events: How many feed events to keep.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        rate_limits: RateLimits | None = None,
        webhook_retry_start: float = 0.05,
        webhook_retry_cap: float = 2.0,
        webhook_timeout: float = 10.0,
        callback_query_ttl: float | None = None,
        max_events: int = 10_000,
    ):
        self.clock = clock
        self.monotonic = monotonic
        self.rate_limiter = RateLimiter(rate_limits, monotonic)
        self.faults = Faults()
        self.webhook_retry_start = webhook_retry_start
        self.webhook_retry_cap = webhook_retry_cap
        self.webhook_timeout = webhook_timeout
        self.callback_query_ttl = callback_query_ttl
        self.max_events = max_events

        self.bots: dict[int, Bot] = {}
        self.users: dict[int, User] = {}
        self.groups: dict[int, Chat] = {}
        self.private_chats: dict[tuple[int, int], Chat] = {}
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.files: dict[str, StoredFile] = {}
        self.events: list[dict[str, Any]] = []
        self.event_seq = 0

        self._user_ids = itertools.count(7_100_000_001)
        self._group_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._changed: asyncio.Event | None = None
        self._changed_loop: asyncio.AbstractEventLoop | None = None

    # -- time and waiting ----------------------------------------------------------------------

    def now(self) -> int:
        """Return the current date in integer seconds, as Telegram dates are."""
        return int(self.clock())

    def notify(self) -> None:
        """Wake everyone waiting for a change."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def change_signal(self) -> asyncio.Event:
        """Return an event set at the next change (take it before checking, then wait)."""
        loop = asyncio.get_running_loop()
        # An event belongs to one loop; a world may outlive a test's loop.
        if self._changed is None or self._changed_loop is not loop:
            self._changed = asyncio.Event()
            self._changed_loop = loop
        return self._changed

    async def wait_for(
        self,
        predicate: Callable[[], T],
        seconds: float,
        *,
        stop: Callable[[], bool] = lambda: False,
    ) -> T:
        """Wait until ``predicate()`` is truthy or ``seconds`` pass; return its last value."""
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            signal = self.change_signal()
            result = predicate()
            remaining = deadline - time.monotonic()
            if result or remaining <= 0 or stop():
                return result
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signal.wait(), remaining)

    def emit(self, kind: str, **data: Any) -> dict[str, Any]:
        """Record an event for the feed and wake waiters."""
        self.event_seq += 1
        event = {"seq": self.event_seq, "type": kind, "time": self.now(), **data}
        self.events.append(event)
        if len(self.events) > self.max_events:
            del self.events[: len(self.events) - self.max_events]
        self.notify()
        return event

    # -- accounts ------------------------------------------------------------------------------

    def add_bot(
        self,
        token: str,
        *,
        first_name: str = "Sandbox Bot",
        username: str | None = None,
        privacy_mode: bool = True,
    ) -> Bot:
        """Register a bot by its token (``<bot id>:<secret>``)."""
        bot_id = int(token.split(":", 1)[0])
        if bot_id in self.bots:
            raise WorldError(f"a bot with id {bot_id} already exists")
        user = User(bot_id, first_name, username=username or f"sandbox{bot_id}_bot", is_bot=True)
        bot = Bot(token, user, privacy_mode=privacy_mode)
        self.bots[bot_id] = bot
        self.users[bot_id] = user
        self.emit("bot_added", bot_id=bot_id, user=user.to_api())
        return bot

    def revoke_token(self, token: str) -> str:
        """Give the bot a new token, as BotFather's /revoke does; the old one stops working at once.

        Returns:
            The new token (same bot id, new secret).
        """
        bot = self.bot_for_token(token)
        if bot is None:
            raise WorldError("no bot has this token")
        bot.token = f"{bot.id}:{secrets.token_urlsafe(26)[:35]}"
        self.emit("token_revoked", bot_id=bot.id)
        return bot.token

    def bot_for_token(self, token: str) -> Bot | None:
        """Return the bot with this exact token, if any."""
        bot_id = token.split(":", 1)[0]
        bot = self.bots.get(int(bot_id)) if bot_id.isdigit() else None
        return bot if bot is not None and bot.token == token else None

    def find_bot(self, ref: int | str | None = None) -> Bot:
        """Return a bot by id, username or token; the first bot when ``ref`` is None."""
        if ref is None or ref == "":
            if not self.bots:
                raise UnknownError("no bot registered")
            return next(iter(self.bots.values()))
        for bot in self.bots.values():
            text = str(ref).lstrip("@")
            if str(bot.id) == text or bot.username.lower() == text.lower() or bot.token == ref:
                return bot
        raise UnknownError(f"no such bot: {ref}")

    def add_user(
        self,
        first_name: str,
        last_name: str | None = None,
        *,
        username: str | None = None,
        language_code: str | None = None,
        user_id: int | None = None,
    ) -> User:
        """Create a person's Telegram account."""
        if not first_name:
            raise WorldError("first_name is required")
        if user_id is None:
            user_id = next(self._user_ids)
            while user_id in self.users:
                user_id = next(self._user_ids)
        elif user_id in self.users:
            raise WorldError(f"user {user_id} already exists")
        user = User(user_id, first_name, last_name, username, language_code)
        self.users[user_id] = user
        self.emit("user_added", user=user.to_api())
        return user

    def find_user(self, user_id: int) -> User:
        """Return the user with this id."""
        user = self.users.get(int(user_id))
        if user is None:
            raise UnknownError(f"no such user: {user_id}")
        return user

    # -- chats ---------------------------------------------------------------------------------

    def private_chat(self, bot: Bot, user: User) -> Chat:
        """Return the private chat between ``bot`` and ``user``, opening it if needed."""
        chat = self.private_chats.get((bot.id, user.id))
        if chat is None:
            chat = Chat(user.id, "private", bot_id=bot.id, user=user)
            self.private_chats[(bot.id, user.id)] = chat
        return chat

    def add_group(
        self,
        title: str,
        members: Iterable[User] = (),
        *,
        bots: Iterable[Bot] = (),
        admins: Iterable[User | Bot] = (),
        supergroup: bool = False,
        username: str | None = None,
    ) -> Chat:
        """Create a group: the first member creates it, then adds the others and the bots.

        Bots listed in ``admins`` join as administrators (and so see every message even in
        privacy mode).
        """
        people = list(members)
        if not people:
            raise WorldError("a group needs at least one member to create it")
        number = next(self._group_ids)
        chat_id = -(1_000_000_000_000 + 1_000_000_000 + number) if supergroup else -(
            4_000_000_000 + number
        )
        chat = Chat(chat_id, "supergroup" if supergroup else "group", title=title,
                    username=username)
        self.groups[chat_id] = chat
        admin_ids = {a.id for a in admins}
        creator = people[0]
        chat.members[creator.id] = "creator"
        self._service_message(
            chat, creator,
            {"supergroup_chat_created" if supergroup else "group_chat_created": True},
        )
        self.emit("chat_created", chat=self.chat_view(chat))
        for person in people[1:]:
            self.add_member(chat, person, by=creator,
                            admin=person.id in admin_ids)
        for bot in bots:
            self.add_member(chat, bot.user, by=creator, admin=bot.id in admin_ids)
        return chat

    def add_member(self, chat: Chat, user: User, *, by: User | None = None,
                   admin: bool = False) -> None:
        """Add a user or a bot to a group, with the service message and bot updates."""
        if not chat.is_group:
            raise WorldError("members can only be added to groups")
        old = chat.members.get(user.id, "left")
        new = "administrator" if admin else "member"
        chat.members[user.id] = new
        actor = by or user
        self._service_message(chat, actor, {"new_chat_members": [user.to_api()]})
        if user.is_bot and user.id in self.bots:
            self._my_chat_member(self.bots[user.id], chat, actor, old, new)
        self.emit("member_changed", chat_id=chat.id, user_id=user.id, status=new)

    def remove_member(self, chat: Chat, user: User, *, by: User | None = None) -> None:
        """Remove a user or bot from a group (they leave, or ``by`` removes them)."""
        old = chat.members.get(user.id, "left")
        if old not in MEMBER_STATUSES:
            raise WorldError(f"user {user.id} is not in chat {chat.id}")
        new = "left" if by is None or by.id == user.id else "kicked"
        chat.members[user.id] = new
        actor = by or user
        self._service_message(chat, actor, {"left_chat_member": user.to_api()})
        if user.is_bot and user.id in self.bots:
            self._my_chat_member(self.bots[user.id], chat, actor, old, new)
        self.emit("member_changed", chat_id=chat.id, user_id=user.id, status=new)

    def find_chat(self, bot: Bot, chat_ref: int | str) -> Chat | None:
        """Return the chat a bot means by a ``chat_id`` (number or ``@username``), if it exists."""
        if isinstance(chat_ref, str) and chat_ref.startswith("@"):
            # Only public groups are reachable by username; bots can't address people so.
            name = chat_ref[1:].lower()
            for group in self.groups.values():
                if group.username and group.username.lower() == name:
                    return group
            return None
        try:
            chat_id = int(chat_ref)
        except (TypeError, ValueError):
            return None
        if chat_id in self.groups:
            return self.groups[chat_id]
        return self.private_chats.get((bot.id, chat_id))

    def chat_for(self, chat_id: int, bot: Bot | None = None) -> Chat:
        """Return a chat for the control API: a group, or ``bot``'s private chat with a user."""
        if chat_id in self.groups:
            return self.groups[chat_id]
        bot = bot or self.find_bot()
        user = self.find_user(chat_id)
        return self.private_chat(bot, user)

    # -- messages ------------------------------------------------------------------------------

    def _store(self, chat: Chat, sender: User, **fields: Any) -> Message:
        message = Message(chat, chat.next_message_id, sender, self.now(), **fields)
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        return message

    def _service_message(self, chat: Chat, actor: User, extra: dict[str, Any]) -> Message:
        message = self._store(chat, actor, extra=extra)
        self.emit("message_new", **self._where(chat), message=self.message_view(message))
        self._deliver_to_bots(message)
        return message

    def user_sends(
        self,
        user: User,
        chat: Chat,
        *,
        text: str | None = None,
        reply_to: int | None = None,
        media: dict[str, Any] | None = None,
        caption: str | None = None,
    ) -> Message:
        """Let a person send a message, as a Telegram client would, and tell the bots.

        Raises:
            WorldError: The user is not in that group, or the message is empty or replies to a
                message that does not exist.
        """
        if chat.is_group and not chat.is_member(user.id):
            raise WorldError(f"user {user.id} is not a member of chat {chat.id}")
        if chat.type == "private" and chat.user is not None and chat.user.id != user.id:
            raise WorldError("only the chat's own user can write in a private chat")
        if text is None and not media:
            raise WorldError("a message needs text or media")
        if text is not None and not text.strip():
            raise WorldError("a client does not send empty messages")
        target = None
        if reply_to is not None:
            target = chat.messages.get(int(reply_to))
            if target is None or target.deleted:
                raise WorldError(f"no message {reply_to} to reply to in chat {chat.id}")
        if chat.type == "private" and chat.bot_id is not None:
            chat.started = True
            bot = self.bots[chat.bot_id]
            if user.id in bot.blocked_by:
                # A client's "Restart" button unblocks the bot before sending.
                self.unblock(user, bot)
        entities: list[Entity] = []
        if text is not None:
            text, entities = finish_text(text, [])
        caption_entities: list[Entity] = []
        if caption:
            caption, caption_entities = finish_text(caption, [])
        message = self._store(
            chat, user, text=text, entities=entities, media=dict(media or {}),
            caption=caption or None, caption_entities=caption_entities, reply_to=target,
        )
        if chat.reply_keyboard and chat.reply_keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        self.emit("message_new", **self._where(chat), message=self.message_view(message))
        self._deliver_to_bots(message)
        return message

    def user_edits(self, user: User, message: Message, text: str) -> Message:
        """Let a person edit their own text message; bots get an ``edited_message``."""
        if message.sender.id != user.id or message.text is None or message.deleted:
            raise WorldError("a user can only edit their own text messages")
        new_text, entities = finish_text(text, [])
        if not new_text:
            raise WorldError("a client does not send empty messages")
        message.text, message.entities = new_text, entities
        message.edit_date = self.now()
        message.version += 1
        self.emit("message_edited", **self._where(message.chat),
                  message=self.message_view(message))
        self._deliver_to_bots(message, kind="edited_message")
        return message

    def bot_sends(self, bot: Bot, chat: Chat, **fields: Any) -> Message:
        """Store a message a bot sent (validated by the Bot API already)."""
        message = self._store(chat, bot.user, **fields)
        if chat.is_group:
            chat.last_bot_sender = bot.id
        markup = message.reply_markup or {}
        if "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        self.emit("message_new", **self._where(chat), message=self.message_view(message))
        return message

    def message_changed(self, message: Message, kind: str = "message_edited") -> None:
        """Record that a message changed (edited, markup changed, deleted)."""
        message.version += 1
        self.emit(kind, **self._where(message.chat), message=self.message_view(message))

    def _where(self, chat: Chat) -> dict[str, Any]:
        return {"chat_id": chat.id, "bot_id": chat.bot_id}

    def _deliver_to_bots(self, message: Message, kind: str = "message") -> None:
        chat = message.chat
        if chat.type == "private":
            if chat.bot_id is not None and message.sender.id != chat.bot_id:
                self.enqueue(self.bots[chat.bot_id], kind, message.to_api(), chat.id)
            return
        for member_id in list(chat.members):
            member_bot = self.bots.get(member_id)
            if member_bot is not None and self._bot_sees(member_bot, chat, message):
                self.enqueue(member_bot, kind, message.to_api(), chat.id)

    def _bot_sees(self, bot: Bot, chat: Chat, message: Message) -> bool:
        """Apply Telegram's privacy mode to a group message."""
        status = chat.members.get(bot.id)
        if status not in MEMBER_STATUSES or message.sender.id == bot.id:
            return False
        if not bot.privacy_mode or status in ("administrator", "creator"):
            return True
        if any(key in message.extra for key in _SERVICE_FIELDS):
            return True
        if message.reply_to is not None and message.reply_to.sender.id == bot.id:
            return True
        text = message.text if message.text is not None else message.caption or ""
        entities = message.entities if message.text is not None else message.caption_entities
        command = next(
            (e for e in entities if e["type"] == "bot_command" and e["offset"] == 0), None
        )
        if command is None:
            return False
        name = text[: command["length"]]
        if "@" in name:
            return name.split("@", 1)[1].lower() == bot.username.lower()
        # A bare /command goes to the bot if it is the only bot here or spoke last.
        other_bots = [
            uid for uid in chat.members
            if uid != bot.id and uid in self.bots and chat.is_member(uid)
        ]
        return not other_bots or chat.last_bot_sender in (None, bot.id)

    # -- updates -------------------------------------------------------------------------------

    def enqueue(self, bot: Bot, kind: str, payload: dict[str, Any], chat_id: int | None) -> None:
        """Queue an update for a bot, unless the bot asked not to get this kind."""
        if kind not in bot.allowed_updates:
            return
        bot.updates.append(Update(bot.next_update_id, kind, payload, chat_id))
        bot.next_update_id += 1
        self.notify()

    def confirm_updates(self, bot: Bot, offset: int) -> None:
        """Forget updates below ``offset``; a negative offset keeps only the last ``-offset``."""
        if offset > 0:
            bot.updates = [u for u in bot.updates if u.update_id >= offset]
        elif offset < 0:
            bot.updates = bot.updates[offset:]

    def drop_update(self, bot: Bot, update_id: int) -> None:
        """Forget one update (delivered to the webhook)."""
        bot.updates = [u for u in bot.updates if u.update_id != update_id]
        self.notify()

    def _my_chat_member(self, bot: Bot, chat: Chat, actor: User, old: str, new: str) -> None:
        payload = {
            "chat": chat.to_api(),
            "from": actor.to_api(),
            "date": self.now(),
            "old_chat_member": chat_member(bot.user, old),
            "new_chat_member": chat_member(bot.user, new),
        }
        self.enqueue(bot, "my_chat_member", payload, chat.id)

    # -- blocking ------------------------------------------------------------------------------

    def block(self, user: User, bot: Bot) -> None:
        """The user blocks the bot: the bot gets ``my_chat_member`` and can't write any more."""
        if user.id in bot.blocked_by:
            return
        chat = self.private_chat(bot, user)
        chat.started = True
        bot.blocked_by.add(user.id)
        self._my_chat_member(bot, chat, user, "member", "kicked")
        self.emit("blocked", bot_id=bot.id, user_id=user.id, chat_id=chat.id)

    def unblock(self, user: User, bot: Bot) -> None:
        """The user unblocks (restarts) the bot."""
        if user.id not in bot.blocked_by:
            return
        chat = self.private_chat(bot, user)
        bot.blocked_by.discard(user.id)
        self._my_chat_member(bot, chat, user, "kicked", "member")
        self.emit("unblocked", bot_id=bot.id, user_id=user.id, chat_id=chat.id)

    # -- buttons -------------------------------------------------------------------------------

    def press(self, user: User, message: Message, data: str, *, forged: bool = False
              ) -> CallbackQuery:
        """Press an inline button (or, ``forged``, send any callback data for the message).

        Raises:
            WorldError: The user can't see the message, or (unless ``forged``) the message has
                no button with this callback data.
        """
        chat = message.chat
        if message.deleted:
            raise WorldError(f"message {message.message_id} was deleted")
        if chat.type == "private" and (chat.user is None or chat.user.id != user.id):
            raise WorldError("the user can't see this message")
        if chat.is_group and not chat.is_member(user.id):
            raise WorldError(f"user {user.id} is not a member of chat {chat.id}")
        bot = self.bots.get(message.sender.id)
        if bot is None:
            raise WorldError("only a bot's message carries inline buttons")
        if not forged:
            datas = [b.get("callback_data") for row in message.inline_keyboard for b in row]
            if data not in datas:
                raise WorldError(
                    f"message {message.message_id} has no button with callback_data {data!r}"
                )
        query_id = str(4_170_000_000_000_000_000 + next(self._query_ids) * 7919)
        query = CallbackQuery(
            query_id, bot, user, message, data, chat_instance(bot.id, chat.id),
            self.monotonic(), forged=forged,
        )
        self.callback_queries[query_id] = query
        message.callback_queries.append(query)
        message.version += 1
        self.enqueue(bot, "callback_query", query.to_api(), chat.id)
        self.emit("callback_query", **self._where(chat), message_id=message.message_id,
                  query=query.view())
        return query

    def answer_callback(self, bot: Bot, query_id: str, answer: dict[str, Any]) -> bool:
        """Record a bot's answer; False if the query is unknown, expired or already answered."""
        query = self.callback_queries.get(query_id)
        if query is None or query.bot is not bot or query.answered:
            return False
        ttl = self.callback_query_ttl
        if ttl is not None and self.monotonic() - query.created > ttl:
            return False
        query.answered = True
        query.answer = answer
        query.message.version += 1
        self.emit("callback_answered", **self._where(query.message.chat),
                  message_id=query.message.message_id, query=query.view())
        return True

    # -- files ---------------------------------------------------------------------------------

    def store_file(self, kind: str, content: bytes, *, file_name: str | None = None,
                   mime_type: str | None = None, suffix: str = "") -> StoredFile:
        """Keep a file and give it a Telegram-looking ``file_id``."""
        number = next(self._file_ids)
        digest = hashlib.sha256(f"{kind}:{number}".encode()).digest()
        file_id = "AgAD" + base64.urlsafe_b64encode(digest + number.to_bytes(4, "big")).decode()
        file_id = file_id.rstrip("=")
        unique = "AQAD" + base64.urlsafe_b64encode(digest[:9]).decode().rstrip("=")
        folder = {"photo": "photos", "voice": "voice", "sticker": "stickers"}.get(kind, "documents")
        stored = StoredFile(file_id, unique, content, f"{folder}/file_{number}{suffix}",
                            mime_type, file_name)
        self.files[file_id] = stored
        return stored

    # -- commands ------------------------------------------------------------------------------

    def commands_for(self, bot: Bot, user: User, chat: Chat
                     ) -> tuple[tuple[Any, ...] | None, str, list[dict[str, str]]]:
        """Return the command menu ``user`` sees in ``chat``, resolved like Telegram clients do.

        Returns:
            (scope key, language code, commands) of the first non-empty list; clients use the
            first two letters of the user's language.
        """
        language = (user.language_code or "")[:2].lower()
        scopes: list[tuple[Any, ...]]
        if chat.type == "private":
            scopes = [("chat", chat.id), ("all_private_chats",), ("default",)]
        else:
            admin = chat.members.get(user.id) in ("creator", "administrator")
            scopes = [("chat_member", chat.id, user.id)]
            if admin:
                scopes.append(("chat_administrators", chat.id))
            scopes.append(("chat", chat.id))
            if admin:
                scopes.append(("all_chat_administrators",))
            scopes += [("all_group_chats",), ("default",)]
        for scope in scopes:
            for code in ([language] if language else []) + [""]:
                commands = bot.commands.get((scope, code))
                if commands:
                    return scope, code, commands
        return None, "", []

    # -- views for the control API -------------------------------------------------------------

    def chat_view(self, chat: Chat) -> dict[str, Any]:
        """Return what the control API shows of a chat."""
        view = chat.to_api()
        view["bot_id"] = chat.bot_id
        if chat.is_group:
            view["members"] = [
                {"user": self.users[uid].to_api(), "status": status}
                for uid, status in chat.members.items() if uid in self.users
            ]
        view["reply_keyboard"] = chat.reply_keyboard
        return view

    def message_view(self, message: Message) -> dict[str, Any]:
        """Return what the control API shows of a message: the Bot API object and more."""
        markup = message.reply_markup or {}
        return {
            "message_id": message.message_id,
            "chat_id": message.chat.id,
            "bot_id": message.chat.bot_id,
            "from": message.sender.to_api(),
            "from_bot": message.sender.is_bot,
            "date": message.date,
            "text": message.text,
            "caption": message.caption,
            "html": to_html(message.text, message.entities) if message.text is not None
            else to_html(message.caption or "", message.caption_entities),
            "reply_to_message_id": message.reply_to.message_id if message.reply_to else None,
            "edit_date": message.edit_date,
            "deleted": message.deleted,
            "version": message.version,
            "inline_keyboard": message.inline_keyboard,
            "reply_keyboard": markup if "keyboard" in markup else None,
            "remove_keyboard": bool(markup.get("remove_keyboard")),
            "force_reply": bool(markup.get("force_reply")),
            "options": message.options,
            "callback_queries": [query.view() for query in message.callback_queries],
            "api": message.to_api(),
        }


def chat_member(user: User, status: str) -> dict[str, Any]:
    """Return a Bot API ``ChatMember`` object with the fields its status requires."""
    data: dict[str, Any] = {"status": status, "user": user.to_api()}
    if status == "kicked":
        data["until_date"] = 0
    elif status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update(
            {
                "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                "can_delete_messages": True, "can_manage_video_chats": True,
                "can_restrict_members": True, "can_promote_members": False,
                "can_change_info": True, "can_invite_users": True, "can_post_stories": False,
                "can_edit_stories": False, "can_delete_stories": False,
                "can_pin_messages": True, "can_manage_topics": False,
            }
        )
    return data


def chat_instance(bot_id: int, chat_id: int) -> str:
    """Return the stable ``chat_instance`` of a bot's chat (a signed 64-bit number as text)."""
    digest = hashlib.sha256(f"{bot_id}:{chat_id}".encode()).digest()
    return str(int.from_bytes(digest[:8], "big", signed=True))
