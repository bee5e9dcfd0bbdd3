"""An async client for the control API, for writing end-to-end tests that read like a chat.

Example::

    async with SandboxClient(base_url) as tg:
        alice = await tg.add_user("Alice", language_code="ar")
        await alice.say("/start")
        welcome = await alice.next_message()
        await alice.press("English")
        reply = await alice.next_message()

Waiting is generous (30 s by default) and only a failsafe: a test never depends on speed, and
when the bot stays silent the error shows the chat's last messages.
"""

from __future__ import annotations

import json as _json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

DEFAULT_TIMEOUT = 30.0
_POLL = 25.0  # longest single long poll; the server caps waits at 60 s


class SandboxError(RuntimeError):
    """The control API refused a request (e.g. pressing a button that does not exist)."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class SandboxTimeout(AssertionError):
    """Waited the whole failsafe timeout for something the bot never did."""


@dataclass(frozen=True)
class ChatMessage:
    """A message as the sandbox shows it (either direction)."""

    raw: dict[str, Any]

    @property
    def id(self) -> int:
        """Return the message id."""
        return int(self.raw["message_id"])

    @property
    def chat_id(self) -> int:
        """Return the chat id."""
        return int(self.raw["chat_id"])

    @property
    def text(self) -> str | None:
        """Return the plain text (entities removed), or None for media."""
        value = self.raw.get("text")
        return None if value is None else str(value)

    @property
    def caption(self) -> str | None:
        """Return a media message's caption."""
        value = self.raw.get("caption")
        return None if value is None else str(value)

    @property
    def html(self) -> str:
        """Return the text rendered back to Telegram HTML (entities as tags)."""
        return str(self.raw.get("html") or "")

    @property
    def from_bot(self) -> bool:
        """Return True if a bot sent it."""
        return bool(self.raw.get("from_bot"))

    @property
    def sender_id(self) -> int:
        """Return the sender's user id."""
        return int(self.raw["from"]["id"])

    @property
    def entities(self) -> list[dict[str, Any]]:
        """Return the Bot API entities."""
        return list(self.raw["api"].get("entities", []))

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        """Return the inline keyboard rows."""
        return list(self.raw.get("inline_keyboard") or [])

    @property
    def button_texts(self) -> list[str]:
        """Return the labels of all inline buttons, row by row."""
        return [button["text"] for row in self.buttons for button in row]

    @property
    def reply_keyboard(self) -> list[list[str]]:
        """Return the labels of the reply keyboard this message brought, if any."""
        keyboard = self.raw.get("reply_keyboard") or {}
        return [[button["text"] for button in row] for row in keyboard.get("keyboard", [])]

    @property
    def reply_to_message_id(self) -> int | None:
        """Return the id of the message this one replies to."""
        value = self.raw.get("reply_to_message_id")
        return None if value is None else int(value)

    @property
    def callback_queries(self) -> list[dict[str, Any]]:
        """Return the presses on this message's buttons and the bot's answers."""
        return list(self.raw.get("callback_queries") or [])

    @property
    def deleted(self) -> bool:
        """Return True if the message was deleted."""
        return bool(self.raw.get("deleted"))

    @property
    def edited(self) -> bool:
        """Return True if the message was edited."""
        return self.raw.get("edit_date") is not None

    @property
    def version(self) -> int:
        """Return a number that grows with every change to the message."""
        return int(self.raw.get("version", 1))

    @property
    def api(self) -> dict[str, Any]:
        """Return the Bot API ``Message`` object, as the bot saw it."""
        return dict(self.raw["api"])

    def button(self, text: str) -> dict[str, Any]:
        """Return the inline button labelled ``text``.

        Raises:
            LookupError: No such button.
        """
        for row in self.buttons:
            for button in row:
                if button["text"] == text:
                    return button
        raise LookupError(f"no button {text!r}; the buttons are {self.button_texts}")

    def __str__(self) -> str:
        who = "bot" if self.from_bot else f"user {self.sender_id}"
        body = self.text if self.text is not None else self.caption or f"<{self._kind()}>"
        return f"#{self.id} {who}: {body}"

    def _kind(self) -> str:
        api = self.raw.get("api", {})
        for kind in ("sticker", "photo", "voice", "document", "location", "contact", "venue"):
            if kind in api:
                return kind
        return "service message"


@dataclass(frozen=True)
class Press:
    """A press on an inline button: the callback query the bot received."""

    id: str
    message_id: int
    data: str



class SandboxClient:
    """The control API over HTTP.

    Args:
        base_url: The server's root, e.g. ``http://127.0.0.1:8081``.
        session: An aiohttp session to use; one is created (and closed) otherwise.
        timeout: Failsafe for every wait, in seconds.
    """

    def __init__(self, base_url: str, *, session: aiohttp.ClientSession | None = None,
                 timeout: float = DEFAULT_TIMEOUT):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._session is not None and self._own_session:
            await self._session.close()
        self._session = None

    async def request(self, method: str, path: str, *, json: Any = None,
                      params: dict[str, Any] | None = None) -> Any:
        """Call the control API and return its JSON answer.

        Raises:
            SandboxError: The API answered with an error.
        """
        if self._session is None:
            self._session = aiohttp.ClientSession(trust_env=False)
            self._own_session = True
        query = {k: str(v).lower() if isinstance(v, bool) else str(v)
                 for k, v in (params or {}).items() if v is not None}
        url = f"{self.base_url}/sandbox/api{path}"
        async with self._session.request(method, url, json=json, params=query) as response:
            body = await response.text()
            try:
                data = _json.loads(body)
            except ValueError:
                data = {"error": body.strip() or response.reason}
            if response.status >= 400:
                message = data.get("error", "") if isinstance(data, dict) else str(data)
                raise SandboxError(response.status, message)
            return data

    # -- people and chats ------------------------------------------------------------------------

    async def add_user(self, first_name: str, last_name: str | None = None, *,
                       language_code: str | None = None, username: str | None = None,
                       bot: int | str | None = None) -> SandboxUser:
        """Create a person; ``bot`` picks which bot their private chat is with."""
        data = await self.request("POST", "/users", json={
            "first_name": first_name, "last_name": last_name,
            "language_code": language_code, "username": username,
        })
        return SandboxUser(self, data, bot=bot)

    async def user(self, user_id: int, *, bot: int | str | None = None) -> SandboxUser:
        """Return a handle on an existing person."""
        return SandboxUser(self, await self.request("GET", f"/users/{user_id}"), bot=bot)

    async def add_group(self, title: str, members: list[SandboxUser], *,
                        bots: list[int | str] | bool = True, admins: Sequence[SandboxUser] = (),
                        bot_is_admin: bool = False, supergroup: bool = False) -> SandboxGroup:
        """Create a group: the first member creates it and adds the others and the bot."""
        if isinstance(bots, bool):
            bot_list: Any = bots
            admin_bots = [(await self.default_bot())["id"]] if bot_is_admin and bots else []
        else:
            bot_list = list(bots)
            admin_bots = bot_list if bot_is_admin else []
        data = await self.request("POST", "/groups", json={
            "title": title, "member_ids": [m.id for m in members], "bots": bot_list,
            "admin_ids": [a.id for a in admins], "admin_bots": admin_bots,
            "supergroup": supergroup,
        })
        return SandboxGroup(self, data)

    async def default_bot(self) -> dict[str, Any]:
        """Return the first registered bot."""
        bots = (await self.request("GET", "/bots"))["bots"]
        if not bots:
            raise SandboxError(404, "no bot registered")
        return dict(bots[0])

    async def commands_for(self, user: SandboxUser, chat: SandboxGroup | int | None = None
                           ) -> list[dict[str, str]]:
        """Return the command menu ``user`` sees in ``chat`` (default: the private chat)."""
        return list((await self.command_menu(user, chat))["commands"])

    async def command_menu(self, user: SandboxUser, chat: SandboxGroup | int | None = None
                           ) -> dict[str, Any]:
        """Return the menu with the scope and language it was resolved from."""
        return dict(await self.request("GET", f"/users/{user.id}/commands", params={
            "chat_id": _chat_id(chat), "bot": user.bot,
        }))

    # -- transcripts and events ------------------------------------------------------------------

    async def chat_messages(self, chat_id: int, *, after: int = 0, bot: int | str | None = None,
                            include_deleted: bool = False) -> list[ChatMessage]:
        """Return a chat's messages in both directions."""
        data = await self.request("GET", f"/chats/{chat_id}/messages",
                                  params={"after": after, "bot": bot, "limit": 1000})
        messages = [ChatMessage(m) for m in data["messages"]]
        return [m for m in messages if include_deleted or not m.deleted]

    async def wait_for_bot_message(self, chat_id: int, after: int, *,
                                   bot: int | str | None = None, who: str = "The test",
                                   within: float | None = None) -> ChatMessage:
        """Wait for the first bot message in a chat with an id above ``after``.

        Raises:
            SandboxTimeout: None came within the failsafe timeout.
        """
        deadline = time.monotonic() + (self.timeout if within is None else within)
        while True:
            remaining = deadline - time.monotonic()
            data = await self.request("GET", f"/chats/{chat_id}/messages", params={
                "after": after, "from_bot": True, "bot": bot, "limit": 1,
                "wait": round(max(0.0, min(remaining, _POLL)), 3),
            })
            if data["messages"]:
                return ChatMessage(data["messages"][0])
            if time.monotonic() >= deadline:
                tail = await self.chat_messages(chat_id, bot=bot, include_deleted=True)
                shown = "\n  ".join(str(m) for m in tail[-8:]) or "(no messages)"
                raise SandboxTimeout(
                    f"{who} waited {self.timeout if within is None else within:g} s for a "
                    f"bot message in chat {chat_id} after message {after}; the chat ends "
                    f"with:\n  {shown}"
                )

    async def message(self, chat_id: int, message_id: int, *, bot: int | str | None = None,
                      newer_than: int = 0, wait: float = 0.0) -> ChatMessage:
        """Return one message; with ``newer_than`` and ``wait`` wait for it to change."""
        data = await self.request("GET", f"/chats/{chat_id}/messages/{message_id}", params={
            "bot": bot, "newer_than": newer_than, "wait": wait,
        })
        return ChatMessage(data)

    async def events(self, after: int = 0, *, wait: float = 0.0,
                     chat_id: int | None = None) -> list[dict[str, Any]]:
        """Return feed events after sequence number ``after``."""
        data = await self.request("GET", "/events", params={
            "after": after, "wait": wait, "chat_id": chat_id,
        })
        return list(data["events"])

    async def callback_answer(self, press: Press | str, *, within: float | None = None
                              ) -> dict[str, Any]:
        """Wait until the bot answered a press; return the answer (``text``, ``show_alert``).

        Raises:
            SandboxTimeout: The bot never answered within the failsafe timeout.
        """
        query_id = press.id if isinstance(press, Press) else press
        deadline = time.monotonic() + (self.timeout if within is None else within)
        while True:
            remaining = deadline - time.monotonic()
            data = await self.request("GET", f"/callback_queries/{query_id}", params={
                "wait": round(max(0.0, min(remaining, _POLL)), 3),
            })
            if data["answered"]:
                return dict(data)
            if time.monotonic() >= deadline:
                raise SandboxTimeout(
                    f"the bot never answered callback query {query_id} (data {data['data']!r})"
                )

    # -- faults and limits -----------------------------------------------------------------------

    async def fail_next(self, method: str | None = None, *, count: int = 1, status: int = 500,
                        lose_response: bool = False) -> None:
        """Make the next ``count`` Bot API calls of ``method`` fail (500/502...)."""
        await self.request("POST", "/faults", json={
            "method": method, "count": count, "status": status, "lose_response": lose_response,
        })

    async def throttle_next(self, method: str | None = None, *, retry_after: int = 1,
                            count: int = 1) -> None:
        """Make the next ``count`` calls answer 429 with ``retry_after``."""
        await self.request("POST", "/faults", json={
            "method": method, "count": count, "status": 429, "retry_after": retry_after,
        })

    async def delay(self, method: str | None, seconds: float, *, count: int | None = None
                    ) -> None:
        """Delay calls of ``method`` by ``seconds``."""
        await self.request("POST", "/faults", json={
            "method": method, "count": count, "status": None, "delay": seconds,
        })

    async def set_fail_rate(self, rate: float, *, seed: int | None = None,
                            status: int = 500) -> None:
        """Fail a fraction of calls at random, reproducibly for a seed."""
        await self.request("POST", "/faults", json={"fail_rate": rate, "seed": seed,
                                                    "status": status})

    async def clear_faults(self) -> None:
        """Remove all injected faults."""
        await self.request("DELETE", "/faults")

    async def set_rate_limits(self, **limits: Any) -> dict[str, Any]:
        """Change flood limits, e.g. ``enabled=True, per_chat_burst=3``."""
        return dict(await self.request("PUT", "/rate_limits", json=limits))


class _Chatter:
    """Waiting for bot messages in one chat, with a cursor of what was already read."""

    client: SandboxClient
    _cursors: dict[int, int]

    async def _next(self, chat_id: int, bot: int | str | None, who: str,
                    within: float | None) -> ChatMessage:
        after = self._cursors.get(chat_id, 0)
        message = await self.client.wait_for_bot_message(chat_id, after, bot=bot, who=who,
                                                         within=within)
        self._cursors[chat_id] = message.id
        return message


class SandboxUser(_Chatter):
    """A person using Telegram: writes, presses buttons, reads what the bot sends.

    ``chat`` arguments take a :class:`SandboxGroup`, a chat id, or None for the private chat
    with the bot.
    """

    def __init__(self, client: SandboxClient, data: dict[str, Any], *,
                 bot: int | str | None = None):
        self.client = client
        self.data = data
        self.id = int(data["id"])
        self.first_name = str(data["first_name"])
        self.language_code = data.get("language_code")
        self.bot = bot
        self._cursors = {}

    def __repr__(self) -> str:
        return f"SandboxUser({self.first_name!r}, id={self.id})"

    def _chat(self, chat: SandboxGroup | int | None) -> int:
        return _chat_id(chat) or self.id

    def _target(self, chat: SandboxGroup | int | None) -> dict[str, Any]:
        return {"chat_id": _chat_id(chat), "bot": self.bot}

    async def _send(self, body: dict[str, Any], chat: SandboxGroup | int | None) -> ChatMessage:
        data = await self.client.request("POST", f"/users/{self.id}/messages",
                                         json={**self._target(chat), **body})
        return ChatMessage(data)

    async def say(self, text: str, *, chat: SandboxGroup | int | None = None,
                  reply_to: ChatMessage | int | None = None) -> ChatMessage:
        """Send a text message (commands too: ``await alice.say("/start")``)."""
        reply_id = reply_to.id if isinstance(reply_to, ChatMessage) else reply_to
        return await self._send({"text": text, "reply_to_message_id": reply_id}, chat)

    async def send_sticker(self, emoji: str = "👍", *, chat: SandboxGroup | int | None = None
                           ) -> ChatMessage:
        """Send a sticker."""
        return await self._send({"sticker": {"emoji": emoji}}, chat)

    async def send_photo(self, caption: str | None = None, *,
                         chat: SandboxGroup | int | None = None) -> ChatMessage:
        """Send a photo, optionally with a caption."""
        return await self._send({"photo": {}, "caption": caption}, chat)

    async def send_voice(self, duration: int = 3, *, chat: SandboxGroup | int | None = None
                         ) -> ChatMessage:
        """Send a voice message."""
        return await self._send({"voice": {"duration": duration}}, chat)

    async def send_location(self, latitude: float, longitude: float, *,
                            chat: SandboxGroup | int | None = None) -> ChatMessage:
        """Share a location."""
        return await self._send({"location": {"latitude": latitude, "longitude": longitude}},
                                chat)

    async def send_document(self, file_name: str = "document.pdf", *,
                            mime_type: str = "application/pdf", content: str | None = None,
                            caption: str | None = None, chat: SandboxGroup | int | None = None
                            ) -> ChatMessage:
        """Send a file."""
        spec = {"file_name": file_name, "mime_type": mime_type, "content": content}
        return await self._send({"document": spec, "caption": caption}, chat)

    async def send_contact(self, phone_number: str, first_name: str | None = None, *,
                           chat: SandboxGroup | int | None = None) -> ChatMessage:
        """Share a contact (by default their own, as a "share my phone number" button does)."""
        spec = {"phone_number": phone_number, "first_name": first_name or self.first_name,
                "user_id": None if first_name else self.id}
        return await self._send({"contact": spec}, chat)

    async def edit(self, message: ChatMessage | int, text: str, *,
                   chat: SandboxGroup | int | None = None) -> ChatMessage:
        """Edit one of their own text messages."""
        message_id = message.id if isinstance(message, ChatMessage) else message
        data = await self.client.request("POST", f"/users/{self.id}/edits", json={
            **self._target(chat), "message_id": message_id, "text": text,
        })
        return ChatMessage(data)

    async def next_message(self, *, chat: SandboxGroup | int | None = None,
                           within: float | None = None) -> ChatMessage:
        """Return the next bot message in the chat this person has not read yet.

        Each call consumes one message, so a test reads the bot's replies in order.

        Raises:
            SandboxTimeout: The bot sent nothing within the failsafe timeout.
        """
        return await self._next(self._chat(chat), self.bot, self.first_name, within)

    async def unread_messages(self, *, chat: SandboxGroup | int | None = None
                              ) -> list[ChatMessage]:
        """Return bot messages not yet read with :meth:`next_message`, without waiting."""
        chat_id = self._chat(chat)
        messages = await self.client.chat_messages(chat_id, after=self._cursors.get(chat_id, 0),
                                                   bot=self.bot)
        return [m for m in messages if m.from_bot]

    async def chat_messages(self, *, chat: SandboxGroup | int | None = None,
                            include_deleted: bool = False) -> list[ChatMessage]:
        """Return the whole chat, both directions."""
        return await self.client.chat_messages(self._chat(chat), bot=self.bot,
                                               include_deleted=include_deleted)

    async def refresh(self, message: ChatMessage, *, chat: SandboxGroup | int | None = None
                      ) -> ChatMessage:
        """Return the current state of a message (after edits)."""
        return await self.client.message(message.chat_id, message.id, bot=self.bot)

    async def next_edit(self, message: ChatMessage, *, within: float | None = None
                        ) -> ChatMessage:
        """Wait until a message changes (edited, keyboard changed, deleted); return it.

        Raises:
            SandboxTimeout: It did not change within the failsafe timeout.
        """
        deadline = time.monotonic() + (self.client.timeout if within is None else within)
        while True:
            remaining = deadline - time.monotonic()
            current = await self.client.message(
                message.chat_id, message.id, bot=self.bot, newer_than=message.version,
                wait=round(max(0.0, min(remaining, _POLL)), 3),
            )
            if current.version > message.version:
                return current
            if time.monotonic() >= deadline:
                raise SandboxTimeout(f"message {message.id} did not change: {current}")

    async def press(self, text: str, *, message: ChatMessage | int | None = None,
                    chat: SandboxGroup | int | None = None) -> Press:
        """Press the inline button labelled ``text``.

        By default on the latest message with inline buttons in the chat. Refused (like a real
        client can't press it) when that message has no such button.
        """
        message_id = message.id if isinstance(message, ChatMessage) else message
        data = await self.client.request("POST", f"/users/{self.id}/press", json={
            **self._target(chat), "message_id": message_id, "text": text,
        })
        return _press(data)

    async def press_data(self, message: ChatMessage | int, data: str, *,
                         chat: SandboxGroup | int | None = None) -> Press:
        """Press the button with this callback data on a message (refused if it has none)."""
        message_id = message.id if isinstance(message, ChatMessage) else message
        answer = await self.client.request("POST", f"/users/{self.id}/press", json={
            **self._target(chat), "message_id": message_id, "callback_data": data,
        })
        return _press(answer)

    async def forge_callback(self, message: ChatMessage | int, data: str, *,
                             chat: SandboxGroup | int | None = None) -> Press:
        """Send any callback data for a message, as a modified client can."""
        message_id = message.id if isinstance(message, ChatMessage) else message
        answer = await self.client.request("POST", f"/users/{self.id}/callbacks", json={
            **self._target(chat), "message_id": message_id, "data": data,
        })
        return _press(answer)

    async def callback_answer(self, press: Press, *, within: float | None = None
                              ) -> dict[str, Any]:
        """Wait for the bot's answer to a press (``text``, ``show_alert``...)."""
        return await self.client.callback_answer(press, within=within)

    async def press_reply(self, text: str, *, chat: SandboxGroup | int | None = None
                          ) -> ChatMessage:
        """Tap a reply-keyboard button: sends its text (or the contact/location it asks for).

        Raises:
            SandboxError: The current reply keyboard has no such button.
        """
        chat_data = await self.client.request("GET", f"/chats/{self._chat(chat)}",
                                              params={"bot": self.bot})
        keyboard = chat_data.get("reply_keyboard") or {}
        for row in keyboard.get("keyboard", []):
            for button in row:
                if button["text"] != text:
                    continue
                if button.get("request_contact"):
                    return await self.send_contact(f"+4670{self.id % 10_000_000:07d}", chat=chat)
                if button.get("request_location"):
                    return await self.send_location(59.3293, 18.0686, chat=chat)
                return await self.say(text, chat=chat)
        labels = [b["text"] for row in keyboard.get("keyboard", []) for b in row]
        raise SandboxError(400, f"no reply keyboard button {text!r}; the keyboard has {labels}")

    async def block(self) -> None:
        """Block the bot."""
        await self.client.request("POST", f"/users/{self.id}/block", json={"bot": self.bot})

    async def unblock(self) -> None:
        """Unblock (restart) the bot."""
        await self.client.request("POST", f"/users/{self.id}/unblock", json={"bot": self.bot})

    async def commands(self, *, chat: SandboxGroup | int | None = None) -> list[dict[str, str]]:
        """Return the command menu this person sees."""
        return await self.client.commands_for(self, chat)


class SandboxGroup(_Chatter):
    """A group chat; ``next_message`` reads the bot's messages there in order."""

    def __init__(self, client: SandboxClient, data: dict[str, Any]):
        self.client = client
        self.data = data
        self.id = int(data["id"])
        self.title = str(data.get("title") or "")
        self._cursors = {}

    def __repr__(self) -> str:
        return f"SandboxGroup({self.title!r}, id={self.id})"

    async def next_message(self, *, within: float | None = None) -> ChatMessage:
        """Return the next unread bot message in the group."""
        return await self._next(self.id, None, f"Group {self.title!r}", within)

    async def messages(self, *, include_deleted: bool = False) -> list[ChatMessage]:
        """Return the group's messages."""
        return await self.client.chat_messages(self.id, include_deleted=include_deleted)

    async def add(self, user: SandboxUser, *, admin: bool = False) -> None:
        """Add a person to the group."""
        await self.client.request("POST", f"/groups/{self.id}/members",
                                  json={"user_id": user.id, "admin": admin})


def _chat_id(chat: SandboxGroup | int | None) -> int | None:
    if chat is None:
        return None
    return chat.id if isinstance(chat, SandboxGroup) else int(chat)


def _press(data: dict[str, Any]) -> Press:
    query = data["callback_query"]
    return Press(str(query["id"]), int(data["message_id"]), str(query["data"]))
