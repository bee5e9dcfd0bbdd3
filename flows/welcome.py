"""First contact: greeting, help, choosing a language, and kind answers to what we cannot read."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Final

from flows.ask import PERSON
from flows.language import LOCALES, OWN_NAMES
from flows.replies import N_, Button, Reply, Text

LANGUAGE_BUTTON_PREFIX: Final = "lang:"
# A resident whose Telegram speaks none of our languages is greeted in these, and chooses.
GREETING_LANGUAGES: Final = ("en", "sv")

# The command menu Telegram shows beside the text field, in the resident's language.
COMMANDS: Final = (
    ("start", N_("Start again and see what Nära is")),
    ("services", N_("Support by life situation")),
    ("person", N_("Talk to a person")),
    ("contact", N_("Your own contact person")),
    ("book", N_("Book a call")),
    ("bookings", N_("Your booked calls")),
    ("checkins", N_("Your check-ins")),
    ("language", N_("Choose your language")),
    ("help", N_("What I can do")),
    ("forget", N_("Delete what this chat has saved")),
)


class Unreadable(StrEnum):
    """Kinds of messages the bot cannot read."""

    VOICE = "voice"
    PICTURE = "picture"
    FILE = "file"
    LOCATION = "location"
    CONTACT = "contact"
    OTHER = "other"


EMERGENCY: Final = Text.of(N_("In an emergency, call 112."))


def greeting(*, municipality: str, opens: str, closes: str) -> Reply:
    """Say plainly what this is: an automated service, when a person answers, and 112."""
    return Reply.of(
        Text.of(
            N_("Hello! I am Nära, an automated service of the social services in {municipality}."),
            municipality=municipality,
        ),
        Text.of(N_("I am a computer program, not a person.")),
        Text.of(
            N_(
                "Write your question in your own words. I tell you what help there is and how to get it."  # noqa: E501
            )
        ),
        Text.of(
            N_(
                "A person from social services reads messages on weekdays from {opens} to {closes}."
            ),
            opens=opens,
            closes=closes,
        ),
        EMERGENCY,
        Text.of(
            N_(
                "Please do not send more personal details than needed. Telegram chats are not fully private."  # noqa: E501
            )
        ),
        Text.of(N_("To change the language, send /language.")),
    )


def short_greeting(*, municipality: str) -> tuple[Text, ...]:
    """The few lines that greet a resident whose language we do not know, in each language.

    The shell writes them in every one of :data:`GREETING_LANGUAGES` and passes them
    to :func:`greeting_to_choose_language`.
    """
    return (
        Text.of(
            N_("Hello! I am Nära, an automated service of the social services in {municipality}."),
            municipality=municipality,
        ),
        EMERGENCY,
        Text.of(N_("Choose your language:")),
    )


def greeting_to_choose_language(greetings: Sequence[str]) -> Reply:
    """Greet in a few languages at once (already written out), with every language to choose.

    Telegram's language is not one of ours (German, Turkish, ...) or not known: rather
    than Swedish with no choice, the first greeting asks which language to write in.
    """
    return Reply(tuple(Text.raw(greeting) for greeting in greetings), _language_rows())


def help_text() -> Reply:
    """List what the resident can do, most important first."""
    return Reply.of(
        EMERGENCY,
        Text.of(N_("Write your question in your own words, in any language.")),
        Text.of(N_("/services – support by life situation")),
        Text.of(N_("/person – talk to a person")),
        Text.of(N_("/contact – your own contact person at social services")),
        Text.of(N_("/book – book a call with social services")),
        Text.of(N_("/bookings – your booked calls: move or cancel")),
        Text.of(N_("/language – choose your language")),
        Text.of(N_("/start – see what Nära is")),
        Text.of(N_("/help – see this message again")),
        Text.of(N_("/forget – delete what this chat has saved about you")),
    )


def choose_language() -> Reply:
    """Offer every language, each in its own name, two to a row."""
    return Reply.of(Text.of(N_("Choose your language:")), buttons=_language_rows())


def _language_rows() -> tuple[tuple[Button, ...], ...]:
    buttons = [Button(Text.raw(OWN_NAMES[code]), LANGUAGE_BUTTON_PREFIX + code) for code in LOCALES]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def chosen_language(data: str) -> str | None:
    """Return the locale a language button stands for, or None for anything else."""
    if not data.startswith(LANGUAGE_BUTTON_PREFIX):
        return None
    code = data.removeprefix(LANGUAGE_BUTTON_PREFIX)
    return code if code in LOCALES else None


def language_changed(locale: str) -> Reply:
    """Confirm the new language, written in that language."""
    return Reply.of(
        Text.of(N_("Okay. From now on I write to you in {language}."), language=OWN_NAMES[locale])
    )


def cannot_read(kind: Unreadable, *, words_read: bool = False) -> Reply:
    """Answer a sticker, picture, voice message or location kindly, and say what works.

    ``words_read``: words came with it (a caption), and they were read as a message.
    """
    first = {
        Unreadable.VOICE: N_("I cannot listen to voice messages."),
        Unreadable.PICTURE: N_("I cannot look at pictures."),
        Unreadable.FILE: N_("I cannot open files. Please do not send documents here."),
        Unreadable.LOCATION: N_("Thank you, but I do not need your location."),
        Unreadable.CONTACT: N_("Thank you, but I do not need contact cards."),
        Unreadable.OTHER: N_("I can only read text."),
    }[kind]
    if words_read:
        return Reply.of(Text.of(first), Text.of(N_("I read only the words you wrote with it.")))
    return Reply.of(Text.of(first), Text.of(N_("Please write your question in words.")), EMERGENCY)


def unknown_command() -> Reply:
    """Answer a command we do not have."""
    return Reply.of(Text.of(N_("I do not know that command. Send /help to see what I can do.")))


def wordless(text: str) -> bool:
    """Tell whether a message has something in it, but no letter or digit: emoji, signs alone."""
    return bool(text.strip()) and not any(character.isalnum() for character in text)


def without_words() -> Reply:
    """Answer emoji or signs alone (😢🙏) kindly: ask what is on their mind, and offer a person."""
    return Reply.of(
        Text.of(N_("Thank you for your message. What is on your mind?")),
        Text.of(N_("You can tell me in your own words, in any language, or talk to a person.")),
        EMERGENCY,
        buttons=((Button(Text.of(N_("Talk to a person")), PERSON),),),
    )


def unknown_button() -> Text:
    """Say a button no longer works (old, or not one of ours)."""
    return Text.of(N_("This button does not work any more. Send /start to begin again."))


def something_went_wrong() -> Reply:
    """Apologise for a failure on our side, and point to 112."""
    return Reply.of(
        Text.of(N_("Sorry, something went wrong on our side. Please try again in a moment.")),
        EMERGENCY,
    )
