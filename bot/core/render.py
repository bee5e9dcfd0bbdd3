"""Turn a flow's :class:`Reply` into Bot API parameters, in the resident's language."""

from __future__ import annotations

from typing import Any, Final

from bot.core.i18n import plain, render
from flows.bidi import for_right_to_left
from flows.language import is_right_to_left
from flows.replies import Reply, Text

# Telegram refuses more than 4096 characters in one message; stay well clear of it.
MESSAGE_LIMIT: Final = 3800
PARAGRAPH_BREAK: Final = "\n\n"


def _split(paragraphs: list[str]) -> list[str]:
    messages: list[str] = []
    current = ""
    for paragraph in paragraphs:
        candidate = f"{current}{PARAGRAPH_BREAK}{paragraph}" if current else paragraph
        if len(candidate) <= MESSAGE_LIMIT:
            current = candidate
            continue
        if current:
            messages.append(current)
        # One paragraph longer than a message is cut at a line break or a space.
        while len(paragraph) > MESSAGE_LIMIT:
            cut = max(
                paragraph.rfind("\n", 0, MESSAGE_LIMIT), paragraph.rfind(" ", 0, MESSAGE_LIMIT)
            )
            cut = cut if cut > 0 else MESSAGE_LIMIT
            messages.append(paragraph[:cut])
            paragraph = paragraph[cut:].lstrip()
        current = paragraph
    if current:
        messages.append(current)
    return messages


# In Arabic and Dari, numbers and commands stay left to right (see flows/bidi.py): every text
# a resident reads passes through here, so no flow has to think of it.
def _paragraph(text: Text, locale: str) -> str:
    shown = render(text, locale)
    return for_right_to_left(shown) if is_right_to_left(locale) else shown


def _label(text: Text, locale: str) -> str:
    shown = plain(text, locale)
    return for_right_to_left(shown, html=False) if is_right_to_left(locale) else shown


def keyboard(reply: Reply, locale: str) -> dict[str, Any] | None:
    """Return the inline keyboard of ``reply`` as Telegram's JSON, or None without buttons."""
    if not reply.buttons:
        return None
    return {
        "inline_keyboard": [
            [{"text": _label(button.label, locale), "callback_data": button.data} for button in row]
            for row in reply.buttons
        ]
    }


def send_message_params(reply: Reply, chat_id: int, locale: str) -> list[dict[str, Any]]:
    """Return one ``sendMessage`` parameter set per message; buttons go on the last one."""
    texts = _split([_paragraph(text, locale) for text in reply.paragraphs])
    calls: list[dict[str, Any]] = [
        {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        for text in texts
    ]
    markup = keyboard(reply, locale)
    if markup is not None and calls:
        calls[-1]["reply_markup"] = markup
    return calls
