"""The control API: JSON over HTTP under ``/sandbox/api/`` for tests and the browser sandbox.

It plays the Telegram clients (people write, press buttons, block the bot) and shows what
happened (chat transcripts, an event feed, the command menu a person sees). Every endpoint is
documented in ``tgserver/README.md``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tgserver.limits import FaultRule, RateLimits
from tgserver.media import MEDIA_KINDS, build_media
from tgserver.world import Bot, Chat, Message, UnknownError, User, World, WorldError

PREFIX = "/sandbox/api"
MAX_WAIT = 60.0

Handler = Callable[[web.Request], Awaitable[web.Response]]


class ControlError(Exception):
    """A control request that can't be served; answered as ``{"error": ...}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status,
                             dumps=lambda obj: json.dumps(obj, ensure_ascii=False))


def _endpoint(handler: Handler) -> Handler:
    """Turn world and request errors into JSON error answers."""

    async def wrapped(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except ControlError as exc:
            return _json({"error": exc.message}, exc.status)
        except UnknownError as exc:
            return _json({"error": str(exc)}, 404)
        except WorldError as exc:
            return _json({"error": str(exc)}, 400)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise ControlError(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ControlError(400, f"{name} must be an integer") from None


def _wait(request: web.Request) -> float:
    try:
        return min(max(float(request.query.get("wait", 0)), 0.0), MAX_WAIT)
    except ValueError:
        raise ControlError(400, "wait must be a number of seconds") from None


def _scope_json(scope: tuple[Any, ...] | None) -> dict[str, Any] | None:
    if scope is None:
        return None
    data: dict[str, Any] = {"type": scope[0]}
    if len(scope) > 1:
        data["chat_id"] = scope[1]
    if len(scope) > 2:
        data["user_id"] = scope[2]
    return data


class ControlApi:
    """The control API's handlers over one world.

    Args:
        world: The sandboxed Telegram.
        closing: Tells long polls to return because the application shuts down.
    """

    def __init__(self, world: World, closing: Callable[[], bool] = lambda: False):
        self.world = world
        self.closing = closing

    # -- helpers ---------------------------------------------------------------------------------

    def _bot(self, ref: Any) -> Bot:
        return self.world.find_bot(ref)

    def _user(self, request: web.Request) -> User:
        return self.world.find_user(_int(request.match_info["user_id"], "user_id"))

    def _chat(self, chat_id: Any, bot_ref: Any) -> Chat:
        chat_id = _int(chat_id, "chat_id")
        if chat_id in self.world.groups:
            return self.world.groups[chat_id]
        return self.world.chat_for(chat_id, self._bot(bot_ref))

    def _chat_of_user(self, user: User, body: dict[str, Any]) -> Chat:
        chat_id = body.get("chat_id")
        if chat_id is None or _int(chat_id, "chat_id") == user.id:
            return self.world.private_chat(self._bot(body.get("bot")), user)
        return self._chat(chat_id, body.get("bot"))

    def _message(self, chat: Chat, message_id: Any) -> Message:
        message = chat.messages.get(_int(message_id, "message_id"))
        if message is None:
            raise UnknownError(f"no message {message_id} in chat {chat.id}")
        return message

    # -- bots and users --------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        """Summarise the world: bots, users and chats."""
        world = self.world
        return _json(
            {
                "bots": [self._bot_view(bot) for bot in world.bots.values()],
                "users": [u.to_api() for u in world.users.values() if not u.is_bot],
                "chats": [world.chat_view(chat) for chat in self._chats(None)],
                "last_event_seq": world.event_seq,
            }
        )

    def _bot_view(self, bot: Bot) -> dict[str, Any]:
        hook = bot.webhook
        return {
            **bot.to_api(),
            "privacy_mode": bot.privacy_mode,
            "pending_update_count": len(bot.updates),
            "webhook": None if hook is None else {
                "url": hook.url, "max_connections": hook.max_connections,
                "has_secret_token": bool(hook.secret_token),
                "last_error_date": hook.last_error_date,
                "last_error_message": hook.last_error_message,
            },
            "blocked_by": sorted(bot.blocked_by),
        }

    async def list_bots(self, request: web.Request) -> web.Response:
        """List the bots."""
        return _json({"bots": [self._bot_view(bot) for bot in self.world.bots.values()]})

    async def add_bot(self, request: web.Request) -> web.Response:
        """Register a bot token."""
        body = await _body(request)
        token = str(body.get("token", ""))
        if ":" not in token or not token.split(":", 1)[0].isdigit():
            raise ControlError(400, "token must look like <bot id>:<secret>")
        bot = self.world.add_bot(
            token,
            first_name=body.get("first_name") or "Sandbox Bot",
            username=body.get("username"),
            privacy_mode=bool(body.get("privacy_mode", True)),
        )
        return _json(self._bot_view(bot), 201)

    async def get_bot(self, request: web.Request) -> web.Response:
        """Show one bot."""
        return _json(self._bot_view(self._bot(request.match_info["bot"])))

    async def update_bot(self, request: web.Request) -> web.Response:
        """Change a bot's privacy mode."""
        bot = self._bot(request.match_info["bot"])
        body = await _body(request)
        if "privacy_mode" in body:
            bot.privacy_mode = bool(body["privacy_mode"])
        return _json(self._bot_view(bot))

    async def list_users(self, request: web.Request) -> web.Response:
        """List the people."""
        return _json({"users": [u.to_api() for u in self.world.users.values() if not u.is_bot]})

    async def add_user(self, request: web.Request) -> web.Response:
        """Create a person."""
        body = await _body(request)
        user = self.world.add_user(
            str(body.get("first_name") or ""),
            body.get("last_name"),
            username=body.get("username"),
            language_code=body.get("language_code"),
            user_id=_int(body["id"], "id") if body.get("id") is not None else None,
        )
        return _json(user.to_api(), 201)

    async def get_user(self, request: web.Request) -> web.Response:
        """Show one person."""
        return _json(self._user(request).to_api())

    # -- what people do --------------------------------------------------------------------------

    async def user_sends(self, request: web.Request) -> web.Response:
        """A person sends text or media to a private chat with a bot or to a group."""
        user = self._user(request)
        body = await _body(request)
        chat = self._chat_of_user(user, body)
        kinds = [kind for kind in MEDIA_KINDS if body.get(kind) not in (None, False)]
        if len(kinds) > 1 or (kinds and body.get("text") is not None):
            raise ControlError(400, "send either text or one kind of media")
        media = None
        if kinds:
            spec = body[kinds[0]]
            media = build_media(self.world, kinds[0], spec if isinstance(spec, dict) else {})
        reply_to = body.get("reply_to_message_id")
        message = self.world.user_sends(
            user, chat,
            text=body.get("text"),
            reply_to=_int(reply_to, "reply_to_message_id") if reply_to is not None else None,
            media=media,
            caption=body.get("caption"),
        )
        return _json(self.world.message_view(message), 201)

    async def user_edits(self, request: web.Request) -> web.Response:
        """A person edits one of their text messages."""
        user = self._user(request)
        body = await _body(request)
        chat = self._chat_of_user(user, body)
        message = self._message(chat, body.get("message_id"))
        self.world.user_edits(user, message, str(body.get("text") or ""))
        return _json(self.world.message_view(message))

    async def press(self, request: web.Request) -> web.Response:
        """A person presses an inline button that exists on a message."""
        user = self._user(request)
        body = await _body(request)
        chat = self._chat_of_user(user, body)
        label = body.get("text")
        if body.get("message_id") is not None:
            message = self._message(chat, body["message_id"])
        else:
            message = self._latest_with_buttons(chat)
        data = body.get("callback_data")
        if data is None:
            if label is None:
                raise ControlError(400, "give callback_data or the button's text")
            data = self._data_for_label(message, str(label))
        query = self.world.press(user, message, str(data))
        return _json({"callback_query": query.view(), "message_id": message.message_id}, 201)

    def _latest_with_buttons(self, chat: Chat) -> Message:
        for message in reversed(list(chat.messages.values())):
            if not message.deleted and message.inline_keyboard:
                return message
        raise WorldError(f"no message with inline buttons in chat {chat.id}")

    def _data_for_label(self, message: Message, label: str) -> str:
        buttons = [b for row in message.inline_keyboard for b in row]
        for button in buttons:
            if button["text"] == label and "callback_data" in button:
                return str(button["callback_data"])
        labels = ", ".join(repr(b["text"]) for b in buttons)
        raise WorldError(
            f"message {message.message_id} has no callback button {label!r}; it has {labels}"
        )

    async def forge_callback(self, request: web.Request) -> web.Response:
        """A modified client sends any callback data for a message."""
        user = self._user(request)
        body = await _body(request)
        chat = self._chat_of_user(user, body)
        message = self._message(chat, body.get("message_id"))
        data = body.get("data", body.get("callback_data"))
        if not isinstance(data, str):
            raise ControlError(400, "data must be a string")
        query = self.world.press(user, message, data, forged=True)
        return _json({"callback_query": query.view(), "message_id": message.message_id}, 201)

    async def block(self, request: web.Request) -> web.Response:
        """A person blocks a bot."""
        user = self._user(request)
        body = await _body(request)
        self.world.block(user, self._bot(body.get("bot")))
        return _json({"ok": True})

    async def unblock(self, request: web.Request) -> web.Response:
        """A person unblocks (restarts) a bot."""
        user = self._user(request)
        body = await _body(request)
        self.world.unblock(user, self._bot(body.get("bot")))
        return _json({"ok": True})

    async def commands(self, request: web.Request) -> web.Response:
        """The command menu a person sees in a chat."""
        user = self._user(request)
        query = request.query
        bot = self._bot(query.get("bot"))
        chat_id = query.get("chat_id")
        if chat_id is None or _int(chat_id, "chat_id") == user.id:
            chat = self.world.private_chat(bot, user)
        else:
            chat = self._chat(chat_id, bot.id)
        scope, language, commands = self.world.commands_for(bot, user, chat)
        return _json({"scope": _scope_json(scope), "language_code": language,
                      "commands": commands})

    # -- chats -----------------------------------------------------------------------------------

    def _chats(self, bot_ref: Any) -> list[Chat]:
        bot_id = self._bot(bot_ref).id if bot_ref else None
        chats = list(self.world.groups.values())
        chats += [
            chat for (owner, _), chat in self.world.private_chats.items()
            if (bot_id is None or owner == bot_id) and (chat.started or chat.messages)
        ]
        return chats

    async def list_chats(self, request: web.Request) -> web.Response:
        """List groups and the private chats that have begun."""
        chats = self._chats(request.query.get("bot"))
        return _json({"chats": [self.world.chat_view(chat) for chat in chats]})

    async def add_group(self, request: web.Request) -> web.Response:
        """Create a group with members and (by default) the bot."""
        body = await _body(request)
        members = [self.world.find_user(_int(uid, "member_ids")) for uid in
                   body.get("member_ids", [])]
        bots_field = body.get("bots", True)
        if bots_field is True:
            bots = [self.world.find_bot()]
        elif bots_field in (False, None):
            bots = []
        else:
            bots = [self._bot(ref) for ref in bots_field]
        admins: list[User | Bot] = [self.world.find_user(_int(uid, "admin_ids"))
                                    for uid in body.get("admin_ids", [])]
        admins += [self._bot(ref) for ref in body.get("admin_bots", [])]
        chat = self.world.add_group(
            str(body.get("title") or "Group"), members, bots=bots, admins=admins,
            supergroup=bool(body.get("supergroup", False)), username=body.get("username"),
        )
        return _json(self.world.chat_view(chat), 201)

    async def add_member(self, request: web.Request) -> web.Response:
        """Add a person or a bot to a group."""
        chat = self._chat(request.match_info["chat_id"], None)
        body = await _body(request)
        user = self.world.find_user(_int(body.get("user_id"), "user_id"))
        by = self.world.find_user(_int(body["by"], "by")) if body.get("by") else None
        self.world.add_member(chat, user, by=by, admin=bool(body.get("admin", False)))
        return _json(self.world.chat_view(chat))

    async def remove_member(self, request: web.Request) -> web.Response:
        """A person or bot leaves a group (or is removed ``by`` someone)."""
        chat = self._chat(request.match_info["chat_id"], None)
        user = self._user(request)
        by_id = request.query.get("by")
        by = self.world.find_user(_int(by_id, "by")) if by_id else None
        self.world.remove_member(chat, user, by=by)
        return _json(self.world.chat_view(chat))

    async def get_chat(self, request: web.Request) -> web.Response:
        """Show one chat."""
        chat = self._chat(request.match_info["chat_id"], request.query.get("bot"))
        return _json(self.world.chat_view(chat))

    async def chat_messages(self, request: web.Request) -> web.Response:
        """List a chat's messages after ``after``, waiting up to ``wait`` seconds for one."""
        query = request.query
        chat = self._chat(request.match_info["chat_id"], query.get("bot"))
        after = _int(query.get("after", 0), "after")
        limit = min(max(_int(query.get("limit", 100), "limit"), 1), 1000)
        from_bot = query.get("from_bot")
        wanted = None if from_bot is None else from_bot.lower() in ("1", "true", "yes")

        def pick() -> list[Message]:
            return [
                m for m in chat.messages.values()
                if m.message_id > after and (wanted is None or m.sender.is_bot == wanted)
            ][:limit]

        found = await self.world.wait_for(pick, _wait(request), stop=self.closing)
        return _json(
            {
                "chat": self.world.chat_view(chat),
                "messages": [self.world.message_view(m) for m in found],
                "last_message_id": chat.next_message_id - 1,
            }
        )

    async def chat_message(self, request: web.Request) -> web.Response:
        """Show one message; with ``newer_than=<version>`` wait until it changes."""
        query = request.query
        chat = self._chat(request.match_info["chat_id"], query.get("bot"))
        message = self._message(chat, request.match_info["message_id"])
        newer_than = _int(query.get("newer_than", 0), "newer_than")
        await self.world.wait_for(lambda: message.version > newer_than, _wait(request),
                                  stop=self.closing)
        return _json(self.world.message_view(message))

    async def callback_query(self, request: web.Request) -> web.Response:
        """Show a button press; with ``wait`` wait until the bot answered it."""
        query = self.world.callback_queries.get(request.match_info["query_id"])
        if query is None:
            raise UnknownError(f"no callback query {request.match_info['query_id']}")
        await self.world.wait_for(lambda: query.answered, _wait(request), stop=self.closing)
        return _json({**query.view(), "chat_id": query.message.chat.id,
                      "message_id": query.message.message_id})

    async def events(self, request: web.Request) -> web.Response:
        """The event feed after sequence number ``after``, waiting up to ``wait`` seconds."""
        query = request.query
        after = _int(query.get("after", 0), "after")
        limit = min(max(_int(query.get("limit", 500), "limit"), 1), 5000)
        chat_filter = query.get("chat_id")

        def pick() -> list[dict[str, Any]]:
            found = [e for e in self.world.events if e["seq"] > after]
            if chat_filter is not None:
                found = [e for e in found if str(e.get("chat_id")) == chat_filter]
            return found[:limit]

        found = await self.world.wait_for(pick, _wait(request), stop=self.closing)
        return _json({"events": found, "last_seq": self.world.event_seq})

    # -- faults and limits -----------------------------------------------------------------------

    async def get_faults(self, request: web.Request) -> web.Response:
        """Show the fault rules and random failure rate."""
        return _json(self.world.faults.to_json())

    async def add_fault(self, request: web.Request) -> web.Response:
        """Add a fault rule, or set the random failure rate."""
        body = await _body(request)
        faults = self.world.faults
        if "fail_rate" in body:
            try:
                faults.set_fail_rate(float(body["fail_rate"]), seed=body.get("seed"),
                                     status=_int(body.get("status", 500), "status"))
            except ValueError as exc:
                raise ControlError(400, str(exc)) from None
            return _json(faults.to_json(), 201)
        count = body.get("count", 1)
        rule = FaultRule(
            method=body.get("method"),
            count=None if count is None else _int(count, "count"),
            status=None if body.get("status", 500) is None else _int(body.get("status", 500),
                                                                        "status"),
            retry_after=_int(body["retry_after"], "retry_after")
            if body.get("retry_after") is not None else None,
            delay=float(body.get("delay", 0.0)),
            lose_response=bool(body.get("lose_response", False)),
        )
        if rule.status is not None and rule.status not in (429, 500, 502, 503, 504):
            raise ControlError(400, "status must be 429, 500, 502, 503, 504 or null")
        faults.add(rule)
        return _json(faults.to_json(), 201)

    async def clear_faults(self, request: web.Request) -> web.Response:
        """Remove every fault rule and the random failure rate."""
        self.world.faults.clear()
        return _json(self.world.faults.to_json())

    async def get_rate_limits(self, request: web.Request) -> web.Response:
        """Show the flood limits."""
        return _json(self.world.rate_limiter.limits.to_json())

    async def set_rate_limits(self, request: web.Request) -> web.Response:
        """Change the flood limits (any subset of fields); ``reset`` forgets spent quota."""
        body = await _body(request)
        current = self.world.rate_limiter.limits.to_json()
        unknown = set(body) - set(current) - {"reset"}
        if unknown:
            raise ControlError(400, f"unknown fields: {', '.join(sorted(unknown))}")
        current.update({k: v for k, v in body.items() if k != "reset"})
        self.world.rate_limiter.limits = RateLimits(**current)
        if body.get("reset"):
            self.world.rate_limiter.reset()
        return _json(self.world.rate_limiter.limits.to_json())


def setup_control_routes(app: web.Application, world: World, state: Any = None) -> ControlApi:
    """Mount the control API under ``/sandbox/api/``.

    Args:
        app: The aiohttp application.
        world: The sandboxed Telegram.
        state: The Bot API state (its ``closing`` flag ends long polls at shutdown), if any.

    Returns:
        The handlers' object.
    """
    api = ControlApi(world, (lambda: bool(state.closing)) if state is not None else lambda: False)
    routes: list[tuple[str, str, Handler]] = [
        ("GET", "", api.index),
        ("GET", "/", api.index),
        ("GET", "/bots", api.list_bots),
        ("POST", "/bots", api.add_bot),
        ("GET", "/bots/{bot}", api.get_bot),
        ("PATCH", "/bots/{bot}", api.update_bot),
        ("GET", "/users", api.list_users),
        ("POST", "/users", api.add_user),
        ("GET", "/users/{user_id}", api.get_user),
        ("POST", "/users/{user_id}/messages", api.user_sends),
        ("POST", "/users/{user_id}/edits", api.user_edits),
        ("POST", "/users/{user_id}/press", api.press),
        ("POST", "/users/{user_id}/callbacks", api.forge_callback),
        ("POST", "/users/{user_id}/block", api.block),
        ("POST", "/users/{user_id}/unblock", api.unblock),
        ("GET", "/users/{user_id}/commands", api.commands),
        ("GET", "/chats", api.list_chats),
        ("POST", "/groups", api.add_group),
        ("POST", "/groups/{chat_id}/members", api.add_member),
        ("DELETE", "/groups/{chat_id}/members/{user_id}", api.remove_member),
        ("GET", "/chats/{chat_id}", api.get_chat),
        ("GET", "/chats/{chat_id}/messages", api.chat_messages),
        ("GET", "/chats/{chat_id}/messages/{message_id}", api.chat_message),
        ("GET", "/callback_queries/{query_id}", api.callback_query),
        ("GET", "/events", api.events),
        ("GET", "/faults", api.get_faults),
        ("POST", "/faults", api.add_fault),
        ("DELETE", "/faults", api.clear_faults),
        ("GET", "/rate_limits", api.get_rate_limits),
        ("PUT", "/rate_limits", api.set_rate_limits),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, PREFIX + path, _endpoint(handler))
    return api
