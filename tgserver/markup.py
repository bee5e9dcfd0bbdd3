"""Reply markup (inline and reply keyboards, keyboard removal, force reply) as Telegram checks it.

First the Bot API parses the markup, then Telegram's servers check the buttons' contents; the
two steps are separate here too, because they happen at different points of a call.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from tgserver.errors import bad_request

MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_REPLY_BUTTONS = 300

# The fields of InlineKeyboardButton that say what pressing it does; exactly one is allowed.
INLINE_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)
_INLINE_OPTIONAL = ("style", "icon_custom_emoji_id")
_REPLY_BUTTON_FIELDS = (
    "text", "request_users", "request_chat", "request_contact", "request_location",
    "request_poll", "web_app", "style", "icon_custom_emoji_id",
)


def parse_reply_markup(value: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Parse a ``reply_markup`` parameter into a normalised markup object.

    Args:
        value: The raw parameter: a JSON string (form-encoded requests) or an object (JSON body).
        inline_only: For edit methods, which accept only an inline keyboard.

    Returns:
        The markup, or None when there is none (or it has no field Telegram knows).

    Raises:
        ApiError: 400 with the Bot API's text for malformed markup.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(value, dict):
        raise bad_request("Object expected as reply markup")
    if "inline_keyboard" in value:
        return {"inline_keyboard": _inline_keyboard(value["inline_keyboard"])}
    if inline_only:
        if any(key in value for key in ("keyboard", "remove_keyboard", "force_reply")):
            raise bad_request("inline keyboard expected")
        return None
    if "keyboard" in value:
        return _reply_keyboard(value)
    if value.get("remove_keyboard") or value.get("hide_keyboard"):
        markup: dict[str, Any] = {"remove_keyboard": True}
        if value.get("selective"):
            markup["selective"] = True
        return markup
    if value.get("force_reply"):
        markup = {"force_reply": True}
        for key in ("input_field_placeholder", "selective"):
            if value.get(key):
                markup[key] = value[key]
        return markup
    return None


def _inline_keyboard(rows: Any) -> list[list[dict[str, Any]]]:
    if not isinstance(rows, list):
        raise bad_request('Field "inline_keyboard" of the InlineKeyboardMarkup should be an Array')
    keyboard = []
    for row in rows:
        if not isinstance(row, list):
            raise bad_request(
                'Field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        buttons = []
        for button in row:
            if not isinstance(button, dict):
                raise bad_request("InlineKeyboardButton should be an Object")
            buttons.append(_inline_button(button))
        keyboard.append(buttons)
    return keyboard


def _inline_button(button: dict[str, Any]) -> dict[str, Any]:
    prefix = "can't parse inline keyboard button: "
    if "text" not in button:
        raise bad_request(prefix + 'Can\'t find field "text"')
    if not isinstance(button["text"], str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    # An empty string counts as absent, exactly as the Bot API reads these fields.
    actions = [key for key in INLINE_ACTIONS if key in button and button[key] not in ("", None)]
    if not actions:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        # Telegram silently uses the first field it checks; refusing catches the bot's mistake.
        raise bad_request(
            prefix + "exactly one of the optional fields must be used to specify type of the "
            f"button, found {', '.join(actions)}"
        )
    action = actions[0]
    if action in ("url", "callback_data", "switch_inline_query",
                  "switch_inline_query_current_chat") and not isinstance(button[action], str):
        raise bad_request(prefix + f'Field "{action}" must be of type String')
    normalized = {"text": button["text"], action: button[action]}
    for key in _INLINE_OPTIONAL:
        if key in button:
            normalized[key] = button[key]
    return normalized


def _reply_keyboard(value: dict[str, Any]) -> dict[str, Any]:
    rows = value["keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'Field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
        )
    keyboard = []
    for row in rows:
        buttons = []
        for button in row:
            if isinstance(button, str):
                buttons.append({"text": button})
                continue
            if not isinstance(button, dict):
                raise bad_request("KeyboardButton should be a String or an Object")
            if "text" not in button:
                raise bad_request('can\'t parse keyboard button: Can\'t find field "text"')
            if not isinstance(button["text"], str):
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )
            buttons.append({k: button[k] for k in _REPLY_BUTTON_FIELDS if k in button})
        keyboard.append(buttons)
    markup: dict[str, Any] = {"keyboard": keyboard}
    for key in ("is_persistent", "resize_keyboard", "one_time_keyboard",
                "input_field_placeholder", "selective"):
        if value.get(key):
            markup[key] = value[key]
    return markup


def check_buttons(markup: dict[str, Any] | None) -> None:
    """Apply the checks Telegram's servers make on button contents.

    Raises:
        ApiError: ``BUTTON_DATA_INVALID`` for callback data outside 1-64 bytes, an invalid
            button URL, an empty button text or too many buttons.
    """
    if not markup:
        return
    if "inline_keyboard" in markup:
        buttons = [b for row in markup["inline_keyboard"] for b in row]
        if len(buttons) > MAX_INLINE_BUTTONS:
            raise bad_request("reply markup is too long")
        for button in buttons:
            _check_inline_button(button)
    elif "keyboard" in markup:
        buttons = [b for row in markup["keyboard"] for b in row]
        if len(buttons) > MAX_REPLY_BUTTONS:
            raise bad_request("reply markup is too long")
        for button in buttons:
            if not button["text"].strip():
                raise bad_request("BUTTON_TEXT_INVALID")


def _check_inline_button(button: dict[str, Any]) -> None:
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    if "callback_data" in button:
        data = button["callback_data"]
        # The limit is in bytes: an Arabic letter takes 2, a Tigrinya syllable 3.
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        scheme = urlsplit(url).scheme.lower() if "://" in url or ":" in url else ""
        if scheme not in ("http", "https", "tg"):
            reason = "Unsupported URL protocol" if scheme else "Wrong HTTP URL"
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: {reason}")


def callback_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Return the inline buttons of a markup that send callback data."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [b for row in markup["inline_keyboard"] for b in row if "callback_data" in b]

