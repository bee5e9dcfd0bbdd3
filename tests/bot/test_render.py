"""Rendering flow texts into Telegram HTML in the resident's language."""

from __future__ import annotations

from bot.core.i18n import plain, render
from bot.core.render import MESSAGE_LIMIT, send_message_params
from flows.replies import Button, Reply, Text
from tgserver.formatting import find_entities


def test_parameters_are_escaped_but_the_translation_is_not() -> None:
    text = Text.of("In an emergency, call 112.")
    assert render(text, "sv") != text.msgid
    hostile = Text.of("Okay. From now on I write to you in {language}.", language="<b>x</b>&")
    assert "&lt;b&gt;x&lt;/b&gt;&amp;" in render(hostile, "en")


def test_written_versions_pick_the_locale_and_fall_back_to_swedish() -> None:
    text = Text.written({"sv": "Ekonomiskt bistånd", "ar": "المساعدة <المالية>"})
    assert render(text, "ar") == "المساعدة &lt;المالية&gt;"
    assert render(text, "so") == "Ekonomiskt bistånd"
    assert plain(text, "ar") == "المساعدة <المالية>"


def test_long_replies_are_split_at_paragraphs_and_buttons_stay_on_the_last() -> None:
    paragraph = Text.raw("ord " * 500)
    reply = Reply.of(paragraph, paragraph, paragraph, buttons=((Button(Text.raw("OK"), "ok"),),))
    calls = send_message_params(reply, chat_id=5, locale="sv")
    assert len(calls) >= 2
    assert all(len(call["text"]) <= MESSAGE_LIMIT for call in calls)
    assert "reply_markup" in calls[-1] and all("reply_markup" not in c for c in calls[:-1])
    assert "".join(c["text"] for c in calls).count("ord") == 1500


def test_one_endless_paragraph_is_cut_without_losing_words() -> None:
    reply = Reply.of(Text.raw("x" * (MESSAGE_LIMIT * 2 + 10)))
    calls = send_message_params(reply, chat_id=5, locale="sv")
    assert sum(len(c["text"]) for c in calls) == MESSAGE_LIMIT * 2 + 10


def test_commands_in_right_to_left_sentences_keep_their_slash_in_front() -> None:
    for locale in ("ar", "fa_AF"):
        text = plain(Text.of("I do not know that command. Send /help to see what I can do."), locale)
        assert "\u200e/help" in text, locale
        # Telegram still finds the command, so it stays tappable.
        commands = [e for e in find_entities(text) if e["type"] == "bot_command"]
        assert len(commands) == 1, locale
    english = plain(Text.of("I do not know that command. Send /help to see what I can do."), "en")
    assert "\u200e" not in english and "/help" in english


def test_right_to_left_replies_and_buttons_keep_numbers_whole_and_in_order() -> None:
    reply = Reply.of(
        Text.raw("اتصل بالرقم 020-50 50 50 الآن."),
        buttons=((Button(Text.raw("الرقم 114 14"), "x"),),),
    )
    for locale in ("ar", "fa_AF"):
        (call,) = send_message_params(reply, chat_id=5, locale=locale)
        assert "\u2066020-50\u00a050\u00a050\u2069" in call["text"], locale
        label = call["reply_markup"]["inline_keyboard"][0][0]["text"]
        assert label == "الرقم \u2066114\u00a014\u2069", locale
    # Left-to-right languages get the text as written.
    (call,) = send_message_params(reply, chat_id=5, locale="sv")
    assert call["text"] == "اتصل بالرقم 020-50 50 50 الآن."
    assert call["reply_markup"]["inline_keyboard"][0][0]["text"] == "الرقم 114 14"


def test_isolated_commands_in_right_to_left_replies_are_still_commands() -> None:
    reply = Reply.of(Text.of("I do not know that command. Send /help to see what I can do."))
    for locale in ("ar", "fa_AF"):
        (call,) = send_message_params(reply, chat_id=5, locale=locale)
        assert "\u2066/help\u2069" in call["text"], locale
        commands = [e for e in find_entities(call["text"]) if e["type"] == "bot_command"]
        assert len(commands) == 1, locale
