"""The Bot API over HTTP: ``/bot{token}/{method}``, answering exactly as Telegram does.

Requests arrive as Telegram accepts them (query string, form-encoded, multipart or JSON; PTB
sends forms with non-string values JSON-encoded), and answers are ``{"ok": true, "result": ...}``
or ``{"ok": false, "error_code": N, "description": ...}`` with Telegram's own texts.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from tgserver.delivery import WebhookDelivery
from tgserver.errors import (
    ApiError,
    EntityParseError,
    bad_request,
    conflict,
    forbidden,
    not_found,
    unauthorized,
)
from tgserver.formatting import (
    FORMATTING_TYPES,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    Entity,
    finish_text,
    parse_text,
    sort_entities,
    utf16_len,
)
from tgserver.limits import MESSAGE_METHODS, RateLimits
from tgserver.markup import check_buttons, parse_reply_markup
from tgserver.media import build_media, reuse_media
from tgserver.world import (
    ALL_UPDATE_TYPES,
    DEFAULT_ALLOWED_UPDATES,
    MEMBER_STATUSES,
    Bot,
    Chat,
    Message,
    StoredFile,
    Webhook,
    World,
    WorldError,
    chat_member,
)

_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,200}$")
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]*$")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note",
     "upload_video_note"}
)
_MESSAGE_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


@dataclass
class BotApiState:
    """What the Bot API routes of one aiohttp application share.

    Attributes:
        world: The sandboxed Telegram.
        max_long_poll: Longest getUpdates timeout honoured, seconds.
        closing: Set while the application shuts down, so long polls answer at once.
        calls_in_progress: Calls being answered right now, long polls aside (they change nothing).
    """

    world: World
    max_long_poll: float = 50.0
    closing: bool = False
    calls_in_progress: int = 0


BOT_API_STATE = web.AppKey("tgserver_bot_api_state", BotApiState)


class Params:
    """A call's parameters, read the way the Bot API reads them.

    Values come as strings (query string, forms: PTB JSON-encodes every non-string value) or as
    JSON values (JSON bodies); files as multipart parts.
    """

    def __init__(self, values: dict[str, Any], files: dict[str, web.FileField]):
        self.values = values
        self.files = files

    def raw(self, name: str) -> Any:
        """Return the value as sent, or None when absent or empty (Telegram treats them alike)."""
        value = self.values.get(name)
        return None if value == "" else value

    def text(self, name: str) -> str | None:
        """Return a string parameter."""
        value = self.raw(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict | list):
            return json.dumps(value)
        return str(value)

    def integer(self, name: str) -> int | None:
        """Return an integer parameter; garbage reads as absent, as in the Bot API."""
        value = self.raw(name)
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            return None

    def number(self, name: str) -> float | None:
        """Return a number parameter, or None."""
        value = self.raw(name)
        if value is None or isinstance(value, bool):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            return None

    def flag(self, name: str) -> bool:
        """Return a boolean parameter (``true``/``1`` are true)."""
        value = self.raw(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        return isinstance(value, str) and value.strip().lower() in ("true", "1")

    def json(self, name: str, what: str) -> Any:
        """Return a JSON parameter, decoding strings.

        Raises:
            ApiError: ``can't parse <what> JSON object`` if it is not valid JSON.
        """
        value = self.raw(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {what} JSON object") from None
        return value


@dataclass
class Call:
    """One Bot API call being answered."""

    state: BotApiState
    bot: Bot
    method: str
    params: Params

    @property
    def world(self) -> World:
        """Return the world."""
        return self.state.world

    # -- chats -----------------------------------------------------------------------------------

    def chat_ref(self, name: str = "chat_id") -> int | str:
        """Return the raw chat reference, which must be present."""
        value = self.params.raw(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        if isinstance(value, str) and not value.startswith("@"):
            try:
                return int(value.strip())
            except ValueError:
                raise bad_request("chat not found") from None
        return value if isinstance(value, str) else int(value)

    def chat(self, ref: int | str) -> Chat:
        """Return a chat the bot can see (for reading), or fail like Telegram."""
        chat = self.world.find_chat(self.bot, ref)
        if chat is None:
            raise bad_request("chat not found")
        if chat.type == "private" and not chat.started:
            raise bad_request("chat not found")
        if chat.is_group and self.bot.id not in chat.members:
            raise bad_request("chat not found")
        return chat

    def writable_chat(self, ref: int | str) -> Chat:
        """Return a chat the bot may write to, or fail with Telegram's 400/403."""
        chat = self.world.find_chat(self.bot, ref)
        if chat is None:
            person = self.world.users.get(ref) if isinstance(ref, int) else None
            if person is not None and not person.is_bot:
                raise forbidden("bot can't initiate conversation with a user")
            if person is not None:
                raise forbidden("bot can't send messages to bots")
            raise bad_request("chat not found")
        if chat.type == "private":
            assert chat.user is not None
            if chat.user.id in self.bot.blocked_by:
                raise forbidden("bot was blocked by the user")
            if not chat.started:
                raise forbidden("bot can't initiate conversation with a user")
            return chat
        kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
        status = chat.members.get(self.bot.id)
        if status is None:
            raise bad_request("chat not found")
        if status == "kicked":
            raise forbidden(f"bot was kicked from the {kind}")
        if status not in MEMBER_STATUSES:
            raise forbidden(f"bot is not a member of the {kind}")
        return chat

    def spend_quota(self, chat: Chat) -> None:
        """Count one message against Telegram's flood limits (raises 429 when over)."""
        if self.method in MESSAGE_METHODS:
            self.world.rate_limiter.spend(self.bot.id, chat.id, is_group=chat.is_group)

    # -- text ------------------------------------------------------------------------------------

    def formatted(
        self, text: str, mode_param: str, entities_param: str
    ) -> tuple[str, list[Entity]]:
        """Parse text with its parse mode or explicit entities, then trim it like Telegram."""
        raw_entities = self.params.json(entities_param, "entities")
        entities: list[Entity]
        if raw_entities:
            entities = self._explicit_entities(raw_entities, text)
        else:
            try:
                text, entities = parse_text(text, self.params.text(mode_param))
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
            except ValueError:
                raise bad_request("unsupported parse_mode") from None
        entities = [e for e in (self._resolve_mention(e) for e in entities) if e is not None]
        return finish_text(text, entities)

    def _explicit_entities(self, raw: Any, text: str) -> list[Entity]:
        if not isinstance(raw, list):
            raise bad_request("can't parse entities JSON object")
        total = utf16_len(text)
        entities = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("type"), str):
                raise bad_request(
                    "can't parse MessageEntity: Field \"type\" must be of type String"
                )
            if item["type"] not in FORMATTING_TYPES:
                continue  # Telegram finds links, mentions and commands by itself.
            try:
                offset, length = int(item["offset"]), int(item["length"])
            except (KeyError, TypeError, ValueError):
                raise bad_request("can't parse MessageEntity: wrong offset or length") from None
            end = min(offset + length, total)
            if offset < 0 or end <= offset:
                continue
            entity = {k: v for k, v in item.items()
                      if k in ("type", "url", "user", "language", "custom_emoji_id")}
            entity.update(offset=offset, length=end - offset)
            if entity["type"] == "text_link" and not entity.get("url"):
                raise bad_request("can't parse MessageEntity: Field \"url\" must be of type String")
            entities.append(entity)
        return sort_entities(entities)

    def _resolve_mention(self, entity: Entity) -> Entity | None:
        if entity["type"] != "text_mention":
            return entity
        user = self.world.users.get(int(entity.get("user", {}).get("id", 0)))
        if user is None:
            return None
        return {**entity, "user": user.to_api()}

    def message_text(self) -> tuple[str, list[Entity]]:
        """Return the ``text`` of sendMessage/editMessageText, checked like Telegram."""
        raw = self.params.text("text")
        if not raw:
            raise bad_request("message text is empty")
        text, entities = self.formatted(raw, "parse_mode", "entities")
        if not text:
            raise bad_request("message must be non-empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return text, entities

    def caption(self) -> tuple[str | None, list[Entity]]:
        """Return a media caption, checked like Telegram."""
        raw = self.params.text("caption")
        if not raw:
            return None, []
        text, entities = self.formatted(raw, "parse_mode", "caption_entities")
        if utf16_len(text) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        return text or None, entities

    # -- sending ---------------------------------------------------------------------------------

    def reply_target(self, chat: Chat) -> Message | None:
        """Return the message a new message replies to, if any."""
        parameters = self.params.json("reply_parameters", "reply parameters")
        if isinstance(parameters, dict):
            message_id = parameters.get("message_id")
            allow_missing = bool(parameters.get("allow_sending_without_reply"))
            other_chat = parameters.get("chat_id")
            if other_chat not in (None, "", chat.id) and str(other_chat) != str(chat.id):
                target_chat = self.chat(other_chat)
            else:
                target_chat = chat
        else:
            message_id = self.params.integer("reply_to_message_id")
            allow_missing = self.params.flag("allow_sending_without_reply")
            target_chat = chat
        if not message_id:
            return None
        try:
            target = target_chat.messages.get(int(message_id))
        except (TypeError, ValueError):
            target = None
        if target is None or target.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return target

    def send_options(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return (Message fields, other options) for the common send parameters."""
        extra: dict[str, Any] = {}
        if self.params.flag("protect_content"):
            extra["has_protected_content"] = True
        preview = self.params.json("link_preview_options", "link preview options")
        if isinstance(preview, dict) and preview:
            extra["link_preview_options"] = preview
        elif self.params.flag("disable_web_page_preview"):
            extra["link_preview_options"] = {"is_disabled": True}
        options = {"disable_notification": self.params.flag("disable_notification")}
        return extra, options

    def reply_markup(self) -> dict[str, Any] | None:
        """Return the parsed ``reply_markup``."""
        return parse_reply_markup(self.params.raw("reply_markup"))

    def input_file(self, name: str) -> tuple[StoredFile | None, bytes | None]:
        """Return a file given as ``name``: (an existing file, or None with uploaded bytes).

        Raises:
            ApiError: No file, or an unknown ``file_id``.
        """
        value = self.params.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self.params.files.get(value[len("attach://"):])
        if isinstance(value, web.FileField):
            return None, value.file.read()
        if isinstance(value, str) and value:
            if value in self.world.files:
                return self.world.files[value], None
            if value.startswith(("http://", "https://")):
                return None, b""  # Telegram would download it; the content does not matter here
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(f"there is no {name} in the request")


Handler = Callable[[Call], Awaitable[Any]]
METHODS: dict[str, Handler] = {}


def api_method(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler under Bot API method names (matched case-insensitively)."""

    def register(handler: Handler) -> Handler:
        for name in names:
            METHODS[name.lower()] = handler
        return handler

    return register


# -- identity and lifecycle ------------------------------------------------------------------------


@api_method("getMe")
async def get_me(call: Call) -> Any:
    """Return the bot's own user."""
    return call.bot.to_api()


@api_method("logOut", "close")
async def log_out(call: Call) -> Any:
    """Accept logOut and close; a local server has no session to end."""
    return True


# -- updates ---------------------------------------------------------------------------------------


@api_method("getUpdates")
async def get_updates(call: Call) -> Any:
    """Return pending updates, long-polling up to ``timeout`` seconds for the first one."""
    bot, world, params = call.bot, call.world, call.params
    webhook_active = conflict(
        "can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
        "webhook first"
    )
    if bot.webhook is not None:
        raise webhook_active
    offset = params.integer("offset") or 0
    limit = min(max(params.integer("limit") or 100, 1), 100)
    timeout = min(max(params.number("timeout") or 0.0, 0.0), call.state.max_long_poll)
    allowed = params.json("allowed_updates", "allowed updates")
    if isinstance(allowed, list):
        bot.allowed_updates = (
            frozenset(str(kind) for kind in allowed) & ALL_UPDATE_TYPES
            if allowed else DEFAULT_ALLOWED_UPDATES
        )
    world.confirm_updates(bot, offset)

    # Like Telegram, a newer request terminates the one still waiting.
    if bot.poller is not None and not bot.poller.done():
        bot.poller.set_result(None)
        world.notify()
    mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    bot.poller = mine
    try:
        await world.wait_for(
            lambda: mine.done() or bool(bot.updates) or bot.webhook is not None,
            timeout,
            stop=lambda: call.state.closing,
        )
    finally:
        if bot.poller is mine:
            bot.poller = None
    if mine.done():
        raise conflict(
            "terminated by other getUpdates request; make sure that only one bot instance is "
            "running"
        )
    if bot.webhook is not None:
        raise webhook_active
    return [update.to_api() for update in bot.updates[:limit]]


@api_method("setWebhook")
async def set_webhook(call: Call) -> Any:
    """Set (or, with an empty url, remove) the bot's webhook."""
    bot, params = call.bot, call.params
    url = params.text("url") or ""
    if not url:
        return await delete_webhook(call)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("bad webhook: Wrong HTTP URL specified")
    secret = params.text("secret_token") or None
    if secret is not None:
        if len(secret) > 256:
            raise bad_request("secret token is too long")
        if not _SECRET_TOKEN.match(secret):
            raise bad_request("secret token contains unallowed characters")
    max_connections = min(max(params.integer("max_connections") or 40, 1), 100)
    allowed = params.json("allowed_updates", "allowed updates")
    allowed_list = [str(kind) for kind in allowed] if isinstance(allowed, list) else None
    if allowed_list is not None:
        bot.allowed_updates = (
            frozenset(allowed_list) & ALL_UPDATE_TYPES if allowed_list else DEFAULT_ALLOWED_UPDATES
        )
    if params.flag("drop_pending_updates"):
        bot.updates.clear()
    old = bot.webhook
    if old is None or (old.url, old.secret_token, old.max_connections) != (
        url, secret, max_connections
    ):
        bot.webhook = Webhook(url, secret, max_connections, allowed_list)
    elif allowed_list is not None:
        old.allowed_updates = allowed_list
    call.world.notify()
    return True


@api_method("deleteWebhook")
async def delete_webhook(call: Call) -> Any:
    """Remove the webhook; pending updates stay unless ``drop_pending_updates``."""
    bot = call.bot
    bot.webhook = None
    if call.params.flag("drop_pending_updates"):
        bot.updates.clear()
    call.world.notify()
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(call: Call) -> Any:
    """Describe the webhook and how many updates wait."""
    bot = call.bot
    hook = bot.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        info["ip_address"] = "127.0.0.1"
        if hook.allowed_updates is not None:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


# -- messages --------------------------------------------------------------------------------------


@api_method("sendMessage")
async def send_message(call: Call) -> Any:
    """Send a text message."""
    ref = call.chat_ref()
    if not call.params.text("text"):
        raise bad_request("message text is empty")
    markup = call.reply_markup()
    chat = call.writable_chat(ref)
    text, entities = call.message_text()
    reply_to = call.reply_target(chat)
    check_buttons(markup)
    extra, options = call.send_options()
    call.spend_quota(chat)
    message = call.world.bot_sends(
        call.bot, chat, text=text, entities=entities, reply_markup=markup, reply_to=reply_to,
        extra=extra, options=options,
    )
    return message.to_api()


def _own_message(call: Call, chat: Chat, missing: str) -> Message:
    message_id = call.params.integer("message_id")
    if call.params.raw("inline_message_id") is not None:
        raise bad_request(missing)
    if not message_id:
        raise bad_request("message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise bad_request(missing)
    return message


def _edit_target(call: Call) -> Message:
    if call.params.raw("chat_id") is None and call.params.raw("inline_message_id") is None:
        raise bad_request("chat_id is empty")
    if call.params.raw("inline_message_id") is not None:
        raise bad_request("message to edit not found")
    chat = call.writable_chat(call.chat_ref())
    message = _own_message(call, chat, "message to edit not found")
    if message.sender.id != call.bot.id:
        raise bad_request("message can't be edited")
    return message


def _same_keyboard(message: Message, markup: dict[str, Any] | None) -> bool:
    return bool(message.inline_keyboard == (markup or {}).get("inline_keyboard", []))


def _edited_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    # An empty inline keyboard removes the keyboard.
    return markup if markup and markup.get("inline_keyboard") else None


@api_method("editMessageText")
async def edit_message_text(call: Call) -> Any:
    """Edit the text (and inline keyboard) of one of the bot's messages."""
    if not call.params.text("text"):
        raise bad_request("message text is empty")
    markup = parse_reply_markup(call.params.raw("reply_markup"), inline_only=True)
    message = _edit_target(call)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = call.message_text()
    check_buttons(markup)
    markup = _edited_markup(markup)
    if message.text == text and message.entities == entities and _same_keyboard(message, markup):
        raise bad_request(_MESSAGE_NOT_MODIFIED)
    call.spend_quota(message.chat)
    extra, _ = call.send_options()
    message.text, message.entities, message.reply_markup = text, entities, markup
    message.extra.update({k: v for k, v in extra.items() if k == "link_preview_options"})
    message.edit_date = call.world.now()
    call.world.message_changed(message)
    return message.to_api()


@api_method("editMessageCaption")
async def edit_message_caption(call: Call) -> Any:
    """Edit the caption of one of the bot's media messages."""
    markup = parse_reply_markup(call.params.raw("reply_markup"), inline_only=True)
    message = _edit_target(call)
    if not message.media:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = call.caption()
    check_buttons(markup)
    markup = _edited_markup(markup)
    if (message.caption, message.caption_entities) == (caption, entities) and _same_keyboard(
        message, markup
    ):
        raise bad_request(_MESSAGE_NOT_MODIFIED)
    call.spend_quota(message.chat)
    message.caption, message.caption_entities, message.reply_markup = caption, entities, markup
    message.edit_date = call.world.now()
    call.world.message_changed(message)
    return message.to_api()


@api_method("editMessageReplyMarkup")
async def edit_message_reply_markup(call: Call) -> Any:
    """Replace (or remove) the inline keyboard of one of the bot's messages."""
    markup = parse_reply_markup(call.params.raw("reply_markup"), inline_only=True)
    message = _edit_target(call)
    check_buttons(markup)
    markup = _edited_markup(markup)
    if _same_keyboard(message, markup):
        raise bad_request(_MESSAGE_NOT_MODIFIED)
    call.spend_quota(message.chat)
    message.reply_markup = markup
    message.edit_date = call.world.now()
    call.world.message_changed(message)
    return message.to_api()


def _check_deletable(call: Call, chat: Chat, message: Message) -> None:
    own = message.sender.id == call.bot.id
    admin = chat.members.get(call.bot.id) in ("administrator", "creator")
    if chat.is_group and not own and not admin:
        raise bad_request("message can't be deleted")
    if call.world.now() - message.date > 48 * 3600 and not (chat.is_group and admin):
        raise bad_request("message can't be deleted for everyone")


@api_method("deleteMessage")
async def delete_message(call: Call) -> Any:
    """Delete a message (the bot's own, any in a private chat, any in a group it administers)."""
    chat = call.chat(call.chat_ref())
    message = _own_message(call, chat, "message to delete not found")
    _check_deletable(call, chat, message)
    message.deleted = True
    call.world.message_changed(message, "message_deleted")
    return True


@api_method("deleteMessages")
async def delete_messages(call: Call) -> Any:
    """Delete several messages; those that can't be deleted are skipped."""
    chat = call.chat(call.chat_ref())
    ids = call.params.json("message_ids", "message identifiers")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message identifiers are not specified")
    for message_id in ids:
        message = chat.messages.get(int(message_id))
        if message is None or message.deleted:
            continue
        try:
            _check_deletable(call, chat, message)
        except ApiError:
            continue
        message.deleted = True
        call.world.message_changed(message, "message_deleted")
    return True


async def _send_media(call: Call, kind: str, spec: dict[str, Any], *, file_param: str | None
                      ) -> Any:
    ref = call.chat_ref()
    markup = call.reply_markup()
    stored: StoredFile | None = None
    content: bytes | None = None
    if file_param is not None:
        stored, content = call.input_file(file_param)
    chat = call.writable_chat(ref)
    caption, caption_entities = call.caption()
    reply_to = call.reply_target(chat)
    check_buttons(markup)
    extra, options = call.send_options()
    call.spend_quota(chat)
    try:
        if stored is not None:
            media = reuse_media(call.world, kind, stored, spec)
        else:
            media = build_media(call.world, kind, spec, content)
    except WorldError as exc:
        raise bad_request(str(exc)) from None
    message = call.world.bot_sends(
        call.bot, chat, media=media, caption=caption, caption_entities=caption_entities,
        reply_markup=markup, reply_to=reply_to, extra=extra, options=options,
    )
    return message.to_api()


def _spec(call: Call, *names: str) -> dict[str, Any]:
    return {name: call.params.raw(name) for name in names if call.params.raw(name) is not None}


@api_method("sendPhoto")
async def send_photo(call: Call) -> Any:
    """Send a photo."""
    return await _send_media(call, "photo", {}, file_param="photo")


@api_method("sendDocument")
async def send_document(call: Call) -> Any:
    """Send a document (a file name comes from the upload)."""
    spec = {}
    upload = call.params.values.get("document")
    if isinstance(upload, web.FileField):
        spec = {"file_name": upload.filename or "document",
                "mime_type": upload.content_type or "application/octet-stream"}
    return await _send_media(call, "document", spec, file_param="document")


@api_method("sendSticker")
async def send_sticker(call: Call) -> Any:
    """Send a sticker."""
    return await _send_media(call, "sticker", _spec(call, "emoji"), file_param="sticker")


@api_method("sendVoice")
async def send_voice(call: Call) -> Any:
    """Send a voice message."""
    return await _send_media(call, "voice", _spec(call, "duration"), file_param="voice")


@api_method("sendAudio")
async def send_audio(call: Call) -> Any:
    """Send an audio file."""
    spec = _spec(call, "duration", "title", "performer")
    return await _send_media(call, "audio", spec, file_param="audio")


@api_method("sendVideo")
async def send_video(call: Call) -> Any:
    """Send a video."""
    spec = _spec(call, "duration", "width", "height")
    return await _send_media(call, "video", spec, file_param="video")


@api_method("sendLocation")
async def send_location(call: Call) -> Any:
    """Send a location."""
    spec = _spec(call, "latitude", "longitude", "horizontal_accuracy")
    if call.params.number("latitude") is None or call.params.number("longitude") is None:
        raise bad_request("wrong latitude or longitude specified")
    return await _send_media(call, "location", spec, file_param=None)


@api_method("sendVenue")
async def send_venue(call: Call) -> Any:
    """Send a venue."""
    spec = _spec(call, "latitude", "longitude", "title", "address")
    if call.params.number("latitude") is None or call.params.number("longitude") is None:
        raise bad_request("wrong latitude or longitude specified")
    return await _send_media(call, "venue", spec, file_param=None)


@api_method("sendContact")
async def send_contact(call: Call) -> Any:
    """Send a contact card."""
    spec = _spec(call, "phone_number", "first_name", "last_name", "vcard")
    if not spec.get("phone_number"):
        raise bad_request("phone number is empty")
    if not spec.get("first_name"):
        raise bad_request("first name is empty")
    return await _send_media(call, "contact", spec, file_param=None)


def _copy_content(source: Message) -> dict[str, Any]:
    return {
        "text": source.text,
        "entities": list(source.entities),
        "media": dict(source.media),
        "caption": source.caption,
        "caption_entities": list(source.caption_entities),
    }


def _source_message(call: Call, missing: str) -> Message:
    source_chat = call.chat(call.chat_ref("from_chat_id"))
    message = source_chat.messages.get(call.params.integer("message_id") or 0)
    if message is None or message.deleted:
        raise bad_request(missing)
    if message.extra.get("has_protected_content"):
        raise bad_request("message can't be forwarded")
    return message


@api_method("forwardMessage")
async def forward_message(call: Call) -> Any:
    """Forward a message, keeping who originally sent it."""
    ref = call.chat_ref()
    source = _source_message(call, "message to forward not found")
    chat = call.writable_chat(ref)
    extra, options = call.send_options()
    extra["forward_origin"] = {"type": "user", "sender_user": source.sender.to_api(),
                               "date": source.date}
    call.spend_quota(chat)
    message = call.world.bot_sends(call.bot, chat, extra=extra, options=options,
                                   **_copy_content(source))
    return message.to_api()


@api_method("copyMessage")
async def copy_message(call: Call) -> Any:
    """Copy a message's content without a link to the original."""
    ref = call.chat_ref()
    source = _source_message(call, "message to copy not found")
    markup = call.reply_markup()
    chat = call.writable_chat(ref)
    content = _copy_content(source)
    if call.params.raw("caption") is not None and source.media:
        content["caption"], content["caption_entities"] = call.caption()
    reply_to = call.reply_target(chat)
    check_buttons(markup)
    extra, options = call.send_options()
    call.spend_quota(chat)
    message = call.world.bot_sends(call.bot, chat, reply_markup=markup, reply_to=reply_to,
                                   extra=extra, options=options, **content)
    return {"message_id": message.message_id}


@api_method("answerCallbackQuery")
async def answer_callback_query(call: Call) -> Any:
    """Answer a button press (a toast, an alert, or nothing)."""
    query_id = call.params.text("callback_query_id") or ""
    text = call.params.text("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    answer = {
        "text": text,
        "show_alert": call.params.flag("show_alert"),
        "url": call.params.text("url"),
        "cache_time": call.params.integer("cache_time") or 0,
    }
    if not call.world.answer_callback(call.bot, query_id, answer):
        raise bad_request(_QUERY_INVALID)
    return True


@api_method("sendChatAction")
async def send_chat_action(call: Call) -> Any:
    """Show "typing..." or a similar status in a chat."""
    ref = call.chat_ref()
    action = call.params.text("action")
    if not action:
        raise bad_request("action is empty")
    chat = call.writable_chat(ref)
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    call.world.emit("chat_action", chat_id=chat.id, bot_id=chat.bot_id, action=action)
    return True


# -- chats -----------------------------------------------------------------------------------------


@api_method("getChat")
async def get_chat(call: Call) -> Any:
    """Return full information about a chat."""
    chat = call.chat(call.chat_ref())
    info = chat.to_api()
    info.update(
        accent_color_id=0,
        max_reaction_count=11,
        accepted_gift_types={
            "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
            "premium_subscription": False, "gifts_from_channels": False,
        },
    )
    return info


def _member_user(call: Call) -> Any:
    user_id = call.params.integer("user_id")
    if user_id is None:
        raise bad_request("user_id is empty" if call.params.raw("user_id") is None
                          else "invalid user_id specified")
    user = call.world.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return user


@api_method("getChatMember")
async def get_chat_member(call: Call) -> Any:
    """Return a user's membership in a chat."""
    chat = call.chat(call.chat_ref())
    user = _member_user(call)
    if chat.type == "private":
        status = "member" if user.id in (chat.id, call.bot.id) else "left"
    else:
        status = chat.members.get(user.id, "left")
    return chat_member(user, status)


@api_method("getChatMemberCount", "getChatMembersCount")
async def get_chat_member_count(call: Call) -> Any:
    """Return how many members a chat has."""
    chat = call.chat(call.chat_ref())
    if chat.type == "private":
        return 2
    return sum(1 for status in chat.members.values() if status in MEMBER_STATUSES)


@api_method("getChatAdministrators")
async def get_chat_administrators(call: Call) -> Any:
    """Return a group's creator and administrators."""
    chat = call.chat(call.chat_ref())
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    return [
        chat_member(call.world.users[uid], status)
        for uid, status in chat.members.items()
        if status in ("creator", "administrator")
    ]


@api_method("leaveChat")
async def leave_chat(call: Call) -> Any:
    """Leave a group."""
    chat = call.chat(call.chat_ref())
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    if not chat.is_member(call.bot.id):
        raise forbidden(f"bot is not a member of the {chat.type} chat")
    call.world.remove_member(chat, call.bot.user)
    return True


# -- commands and menus ----------------------------------------------------------------------------


def _scope(call: Call) -> tuple[Any, ...]:
    scope = call.params.json("scope", "BotCommandScope")
    if scope is None:
        return ("default",)
    if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
        raise bad_request("can't parse BotCommandScope JSON object")
    kind = scope["type"]
    if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
        return (kind,)
    if kind not in ("chat", "chat_administrators", "chat_member"):
        raise bad_request("unsupported scope type specified")
    chat_ref = scope.get("chat_id")
    if chat_ref in (None, ""):
        raise bad_request("chat_id is empty")
    if not (isinstance(chat_ref, str) and chat_ref.startswith("@")):
        try:
            chat_ref = int(chat_ref)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
    chat = call.chat(chat_ref)
    if kind == "chat":
        return (kind, chat.id)
    if chat.type == "private":
        raise bad_request("can't use chat administrators or members scope in a private chat")
    if kind == "chat_administrators":
        return (kind, chat.id)
    try:
        user_id = int(scope.get("user_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise bad_request("user_id is empty") from None
    if not chat.is_member(user_id):
        raise bad_request("user not found")
    return (kind, chat.id, user_id)


def _language(call: Call) -> str:
    code = call.params.text("language_code") or ""
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise bad_request("invalid language code specified")
    return code


@api_method("setMyCommands")
async def set_my_commands(call: Call) -> Any:
    """Set the command list for a scope and language (an empty list deletes it)."""
    raw = call.params.json("commands", "BotCommand array")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise bad_request("Field \"commands\" must be an Array")
    scope = _scope(call)
    language = _language(call)
    commands = []
    # The checks tdlib makes first, in its order; then the server's.
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("BotCommand must be an Object")
        command = str(item.get("command", "")).strip().removeprefix("/")
        description = str(item.get("description", "")).strip()
        if not command:
            raise bad_request("command must be non-empty")
        if len(command) > 32:
            raise bad_request("command length must not exceed 32")
        if not description:
            raise bad_request("command description must be non-empty")
        if len(description) > 256:
            raise bad_request("command description length must not exceed 256")
        commands.append({"command": command, "description": description})
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    if any(not _COMMAND.match(c["command"]) for c in commands):
        raise bad_request("BOT_COMMAND_INVALID")
    if commands:
        call.bot.commands[(scope, language)] = commands
    else:
        call.bot.commands.pop((scope, language), None)
    call.world.emit(
        "commands_changed", bot_id=call.bot.id, scope=list(scope), language_code=language
    )
    return True


@api_method("getMyCommands")
async def get_my_commands(call: Call) -> Any:
    """Return the commands set for exactly this scope and language."""
    return call.bot.commands.get((_scope(call), _language(call)), [])


@api_method("deleteMyCommands")
async def delete_my_commands(call: Call) -> Any:
    """Delete the commands of a scope and language."""
    scope, language = _scope(call), _language(call)
    call.bot.commands.pop((scope, language), None)
    call.world.emit(
        "commands_changed", bot_id=call.bot.id, scope=list(scope), language_code=language
    )
    return True


@api_method("setChatMenuButton")
async def set_chat_menu_button(call: Call) -> Any:
    """Set the menu button of a private chat, or the default one."""
    chat_id = None
    if call.params.raw("chat_id") is not None:
        chat = call.chat(call.chat_ref())
        if chat.type != "private":
            raise bad_request("menu button can be set only in private chats")
        chat_id = chat.id
    button = call.params.json("menu_button", "MenuButton") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app",
                                                                   "default"):
        raise bad_request("unsupported menu button type")
    if button["type"] == "web_app" and (not button.get("text") or not button.get("web_app")):
        raise bad_request("text and web_app must be specified for a web_app menu button")
    if button["type"] == "default":
        call.bot.menu_buttons.pop(chat_id, None)
    else:
        call.bot.menu_buttons[chat_id] = button
    return True


@api_method("getChatMenuButton")
async def get_chat_menu_button(call: Call) -> Any:
    """Return the menu button of a private chat or the default one."""
    chat_id = None
    if call.params.raw("chat_id") is not None:
        chat_id = call.chat(call.chat_ref()).id
    button = call.bot.menu_buttons.get(chat_id) or call.bot.menu_buttons.get(None)
    return button or {"type": "commands"}


def _profile_field(name: str, limit: int) -> tuple[Handler, Handler]:
    async def setter(call: Call) -> Any:
        value = call.params.text(name) or ""
        if len(value) > limit:
            raise bad_request(f"{name.replace('_', ' ')} is too long")
        language = _language(call)
        if value:
            call.bot.profile[(name, language)] = value
        else:
            call.bot.profile.pop((name, language), None)
        return True

    async def getter(call: Call) -> Any:
        language = _language(call)
        profile = call.bot.profile
        value = profile.get((name, language), profile.get((name, ""), ""))
        if name == "name" and not value:
            value = call.bot.user.first_name
        return {name: value}

    return setter, getter


for _field, _limit, _suffix in (("name", 64, "Name"), ("description", 512, "Description"),
                                ("short_description", 120, "ShortDescription")):
    _setter, _getter = _profile_field(_field, _limit)
    api_method(f"setMy{_suffix}")(_setter)
    api_method(f"getMy{_suffix}")(_getter)


@api_method("getFile")
async def get_file(call: Call) -> Any:
    """Return a file's path for downloading from ``/file/bot<token>/<path>``."""
    file_id = call.params.text("file_id") or ""
    stored = call.world.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id" if file_id else "file_id is empty")
    return stored.to_api()


# -- HTTP ------------------------------------------------------------------------------------------


async def _read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    files: dict[str, web.FileField] = {}
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                values.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = value
                values[key] = value
    return Params(values, files)


def _json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(
        body, status=status, dumps=lambda obj: json.dumps(obj, ensure_ascii=False)
    )


def _error_response(error: ApiError) -> web.Response:
    return _json_response(error.to_json(), error.error_code)


def _bot_for(state: BotApiState, token: str) -> Bot:
    if not _TOKEN.match(token):
        raise not_found()
    bot = state.world.bot_for_token(token)
    if bot is None:
        raise unauthorized()
    return bot


def make_handler(state: BotApiState) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Return the aiohttp handler answering ``/bot{token}/{method}``."""

    async def handle(request: web.Request) -> web.Response:
        counted = request.match_info["method"].lower() != "getupdates"
        state.calls_in_progress += counted
        try:
            return await answer(request)
        finally:
            state.calls_in_progress -= counted

    async def answer(request: web.Request) -> web.Response:
        try:
            bot = _bot_for(state, request.match_info["token"])
            method = request.match_info["method"].lower()
            handler = METHODS.get(method)
            if handler is None:
                raise not_found()
            # The fault is decided when the call arrives, before its body is read, so a test that
            # clears its faults knows every call that arrived earlier has already been failed.
            fault = state.world.faults.take(method)
            params = await _read_params(request)
            if fault is not None and fault.delay > 0:
                await asyncio.sleep(fault.delay)
            if fault is not None and fault.error is not None and not fault.lose_response:
                raise fault.error
            result = await handler(Call(state, bot, method, params))
            if fault is not None and fault.error is not None:
                raise fault.error
        except ApiError as error:
            return _error_response(error)
        return _json_response({"ok": True, "result": result})

    return handle


def make_file_handler(state: BotApiState) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Return the handler serving ``/file/bot{token}/{path}`` downloads."""

    async def handle(request: web.Request) -> web.Response:
        try:
            _bot_for(state, request.match_info["token"])
        except ApiError as error:
            return _error_response(error)
        path = request.match_info["path"]
        for stored in state.world.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.content,
                                    content_type=stored.mime_type or "application/octet-stream")
        return _error_response(not_found())

    return handle


_TOKEN_IN_PATH = re.compile(r"^(/(?:file/)?bot)[^/]+")


class RedactingAccessLogger(AbstractAccessLogger):
    """Access log lines with bot tokens cut out of the paths (they are credentials)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        """Log one request."""
        path = _TOKEN_IN_PATH.sub(r"\1<token>", request.path)
        self.logger.info("%s %s %s %.3fs", request.method, path, response.status, time)


def setup_routes(
    app: web.Application,
    world: World,
    *,
    control_api: bool = True,
    webhook_delivery: bool = True,
    max_long_poll: float = 50.0,
) -> BotApiState:
    """Mount the Bot API (and by default the control API) on an aiohttp application.

    Args:
        app: The application; routes are added at its root.
        world: The sandboxed Telegram to serve.
        control_api: Also mount the control API under ``/sandbox/api/``.
        webhook_delivery: Deliver updates to webhooks while the application runs.
        max_long_poll: Longest getUpdates timeout honoured, seconds.

    Returns:
        The state shared by the routes (also stored as ``app[BOT_API_STATE]``).
    """
    state = BotApiState(world, max_long_poll=max_long_poll)
    app[BOT_API_STATE] = state
    app.router.add_route("*", "/bot{token}/{method}", make_handler(state))
    app.router.add_get("/file/bot{token}/{path:.+}", make_file_handler(state))

    async def wake_long_polls(_app: web.Application) -> None:
        state.closing = True
        world.notify()

    app.on_shutdown.append(wake_long_polls)
    if webhook_delivery:

        async def deliver_webhooks(_app: web.Application) -> AsyncIterator[None]:
            state.closing = False
            delivery = WebhookDelivery(world)
            await delivery.start()
            yield
            await delivery.stop()

        app.cleanup_ctx.append(deliver_webhooks)
    if control_api:
        from tgserver.control import setup_control_routes

        setup_control_routes(app, world, state)
    return state


def create_app(
    world: World | None = None,
    *,
    tokens: tuple[str, ...] | list[str] = (),
    bot_name: str = "Sandbox Bot",
    bot_username: str | None = None,
    privacy_mode: bool = True,
    rate_limits: bool | RateLimits = False,
    fail_rate: float = 0.0,
    seed: int | None = None,
    control_api: bool = True,
    max_long_poll: float = 50.0,
    **world_options: Any,
) -> web.Application:
    """Create a standalone Bot API server application.

    Args:
        world: An existing world; a new one (with ``world_options``) when None.
        tokens: Bot tokens to register (the first gets ``bot_name`` and ``bot_username``).
        bot_name: First name of the first bot.
        bot_username: Username of the first bot.
        privacy_mode: Whether registered bots run in group privacy mode (Telegram's default).
        rate_limits: True for Telegram's limits, or specific :class:`RateLimits`.
        fail_rate: Fraction of calls to fail at random with 500.
        seed: Seed for the random failures.
        control_api: Mount the control API under ``/sandbox/api/``.
        max_long_poll: Longest getUpdates timeout honoured, seconds.
        **world_options: Passed to :class:`World` when creating one.

    Returns:
        The application; run it with ``web.run_app`` or an ``AppRunner``.
    """
    world = world or World(**world_options)
    for index, token in enumerate(tokens):
        if world.bot_for_token(token) is None:
            world.add_bot(
                token,
                first_name=bot_name if index == 0 else f"{bot_name} {index + 1}",
                username=bot_username if index == 0 else None,
                privacy_mode=privacy_mode,
            )
    if isinstance(rate_limits, RateLimits):
        world.rate_limiter.limits = rate_limits
    elif rate_limits:
        world.rate_limiter.limits.enabled = True
    if fail_rate:
        world.faults.set_fail_rate(fail_rate, seed=seed)
    app = web.Application(client_max_size=50 * 1024 * 1024)
    setup_routes(app, world, control_api=control_api, max_long_poll=max_long_poll)
    return app
