"""Hello and thank you: a message made only of a greeting or thanks gets a kind word back.

Residents often open with "hej" or "سلام" and wait, or end with "tack". Searching the
catalogue for a greeting finds nothing and would answer "no support fits": wrong and cold.
Only a message made *entirely* of greetings and thanks counts (in any of our languages,
whatever the resident's language is), so a greeting never hides what follows it
("hej, min man slår mig" is searched and triaged as usual; triage runs first anyway).
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Final

from flows.ask import PERSON, TOPICS
from flows.replies import N_, Button, Reply, Text


def _phrases(by_language: dict[str, str]) -> frozenset[str]:
    """Every language's phrases, written "a | b c | d", as one set of phrases."""
    return frozenset(
        " ".join(phrase.split())
        for phrases in by_language.values()
        for phrase in phrases.split("|")
    )


class SmallTalk(StrEnum):
    """What a message made only of small talk says."""

    HELLO = "hello"
    THANKS = "thanks"


# Written as residents type them: without diacritics where people often leave them out.
# Several words in a row are one phrase ("good morning"); a message may join a few.
# Any language's phrases count whatever the resident's language ("salam" in Swedish).
HELLO: Final = _phrases(
    {
        "sv": "hej | hejsan | hallå | halla | tjena | tja | tjabba | god morgon | god dag"
        " | goddag | god kväll | god kvall | hej hej",
        "en": "hi | hello | hey | hiya | good morning | good afternoon | good evening"
        " | hi there | hello there",
        "salam": "salam | salaam | salam alaikum | salaam alaikum | assalamu alaikum"
        " | asalamu alaikum | as salamu alaykum | salamu alaykum | asc | aslm",
        "ar": "مرحبا | مرحبه | مرحبتين | اهلا | أهلا | هلا | السلام عليكم | سلام عليكم | سلام"
        " | صباح الخير | مساء الخير",
        "fa_AF": "سلام | السلام علیکم | سلام علیکم | صبح بخیر | روز بخیر | شام بخیر | درود"
        " | سلام و احترام",
        "so": "salaan | iska warran | is ka warran | haye | nabad | subax wanaagsan"
        " | galab wanaagsan | salaamu calaykum | assalaamu calaykum | asalaamu calaykum",
        "ti": "ሰላም | ሰላማት | ሰላም ኣለኹም | ሰላም አለኹም | ከመይ ኣለኹም | ከመይ አለኹም | ከመይ ዊዕልኩም"
        " | ከመይ ሓዲርኩም | selam",
        "uk": "привіт | вітаю | добрий день | доброго дня | добрий ранок | доброго ранку"
        " | добрий вечір | доброго вечора | здрастуйте | здравствуйте | привет | добрый день"
        " | доброе утро | добрый вечер",
        "fi": "hei | moi | moikka | moro | terve | hei hei | huomenta | hyvää huomenta"
        " | hyvaa huomenta | päivää | paivaa | hyvää päivää | hyvaa paivaa | iltaa"
        " | hyvää iltaa | hyvaa iltaa",
    }
)
THANKS: Final = _phrases(
    {
        "sv": "tack | tack så mycket | tack sa mycket | tusen tack | tackar | stort tack"
        " | tack tack",
        "en": "thanks | thank you | thx | ty | thank you so much | thanks a lot | many thanks"
        " | thank u",
        "ar": "شكرا | شكرا جزيلا | شكرا كتير | مشكور | مشكورة | يعطيك العافية"
        " | الله يعطيك العافية | shukran",
        "fa_AF": "تشکر | تشکر زیاد | تشکر از شما | مرسی | سپاس | ممنون | ممنونم | tashakor"
        " | tashakur",
        "so": "mahadsanid | mahadsanidiin | waad mahadsantahay | aad baad u mahadsantahay"
        " | mahadsanid aad | mahadsanid walaal",
        "ti": "የቐንየለይ | የቀንየለይ | የቐንየልና | የቀንየልና | ብዙሕ የቐንየለይ | yekenyeley",
        "uk": "дякую | дуже дякую | дякую вам | спасибі | спасибо | большое спасибо",
        "fi": "kiitos | kiitti | kiitoksia | kiitos paljon | paljon kiitoksia | kiitos kiitos",
    }
)
# Friendly words that may come along ("hi again", "ok thanks") without changing what it is.
ALONG: Final = frozenset({"ok", "okay", "okej", "again", "igen"})
LONGEST_PHRASE: Final = 4
LONGEST_MESSAGE: Final = 8  # words; anything longer is a question, not small talk

_NOT_A_LETTER = re.compile(r"[^\w\s]", re.UNICODE)
_STRETCHED = re.compile(r"(\w)\1{2,}", re.UNICODE)


def _words(text: str) -> list[str]:
    """Lower-case words without punctuation, emoji or stretched letters ("hejjj!!" -> hej)."""
    text = unicodedata.normalize("NFC", text).casefold()
    text = _STRETCHED.sub(r"\1", _NOT_A_LETTER.sub(" ", text))
    return text.split()


def small_talk(text: str) -> SmallTalk | None:
    """Tell whether a message is only a greeting or thanks (a greeting wins when both).

    The message is cut into known phrases from left to right (longest phrase first,
    with a step back when a shorter cut makes the rest fit); one unknown word and it
    is not small talk.
    """
    words = _words(text)
    if not words or len(words) > LONGEST_MESSAGE:
        return None
    # found[i]: the kinds of phrase used to cover words[:i], or None if they cannot be.
    found: list[frozenset[SmallTalk] | None] = [frozenset()] + [None] * len(words)
    for end in range(1, len(words) + 1):
        for start in range(max(0, end - LONGEST_PHRASE), end):
            before = found[start]
            if before is None:
                continue
            phrase = " ".join(words[start:end])
            if phrase in HELLO:
                found[end] = before | {SmallTalk.HELLO}
            elif phrase in THANKS:
                found[end] = before | {SmallTalk.THANKS}
            elif phrase in ALONG:
                found[end] = before
            if found[end] is not None:
                break
    kinds = found[-1]
    if not kinds:
        return None
    return SmallTalk.HELLO if SmallTalk.HELLO in kinds else SmallTalk.THANKS


def reply(kind: SmallTalk, *, municipality: str) -> Reply:
    """Greet back and say what the bot can do, or answer thanks, with the ways on."""
    buttons = (
        (Button(Text.of(N_("Choose a topic")), TOPICS),),
        (Button(Text.of(N_("Talk to a person")), PERSON),),
    )
    if kind is SmallTalk.THANKS:
        return Reply.of(
            Text.of(N_("You are welcome. Write to me again whenever you need help.")),
            buttons=buttons,
        )
    return Reply.of(
        Text.of(
            N_("Hello! I am Nära, an automated service of the social services in {municipality}."),
            municipality=municipality,
        ),
        Text.of(
            N_(
                "Write your question in your own words. I tell you what help there is and how to get it."  # noqa: E501
            )
        ),
        buttons=buttons,
    )
