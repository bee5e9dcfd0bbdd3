"""Our eight languages: codes, own names, detection and the text folding search and triage share."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Final

import snowballstemmer
from lingua import Language, LanguageDetector, LanguageDetectorBuilder

LOCALES: Final = ("sv", "en", "ar", "fa_AF", "so", "ti", "uk", "fi")
DEFAULT_LOCALE: Final = "sv"
RIGHT_TO_LEFT: Final = frozenset({"ar", "fa_AF"})

# Each language in its own name, as a resident looks for it on a button.
OWN_NAMES: Final = {
    "sv": "Svenska",
    "en": "English",
    "ar": "العربية",
    "fa_AF": "دری",
    "so": "Soomaali",
    "ti": "ትግርኛ",
    "uk": "Українська",
    "fi": "Suomi",
}

# Telegram sends IETF tags ("en-GB", "fa", "prs"); Dari has no ISO 639-1 code of its own.
_TELEGRAM_TO_LOCALE: Final = {
    "sv": "sv",
    "en": "en",
    "ar": "ar",
    "fa": "fa_AF",
    "prs": "fa_AF",
    "so": "so",
    "ti": "ti",
    "uk": "uk",
    "fi": "fi",
}

_LINGUA_TO_LOCALE: Final = {
    Language.SWEDISH: "sv",
    Language.ENGLISH: "en",
    Language.ARABIC: "ar",
    Language.PERSIAN: "fa_AF",
    Language.SOMALI: "so",
    Language.UKRAINIAN: "uk",
    Language.FINNISH: "fi",
}

_STEMMERS: Final = {
    "sv": "swedish",
    "en": "english",
    "ar": "arabic",
    "fa_AF": "persian",
    "fi": "finnish",
}

_ETHIOPIC = re.compile(r"[\u1200-\u139f\u2d80-\u2ddf\uab00-\uab2f]")
_WORD = re.compile(r"\w+", re.UNICODE)
# Arabic-script letters that residents type in several ways: fold them to one form.
_ARABIC_FOLD: Final = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ی",
        "ي": "ی",
        "ك": "ک",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ی",
        "ـ": None,  # tatweel, a stretching mark
    }
)


def locale_for_telegram(language_code: str | None) -> str:
    """Return our locale for Telegram's ``language_code``, or the default locale."""
    if not language_code:
        return DEFAULT_LOCALE
    primary = language_code.replace("_", "-").split("-")[0].lower()
    return _TELEGRAM_TO_LOCALE.get(primary, DEFAULT_LOCALE)


def telegram_language_code(locale: str) -> str:
    """Return the two-letter code Telegram's ``setMyCommands`` takes for ``locale``."""
    return "fa" if locale == "fa_AF" else locale


def is_right_to_left(locale: str) -> bool:
    """Tell whether ``locale`` is written right to left."""
    return locale in RIGHT_TO_LEFT


@cache
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*_LINGUA_TO_LOCALE).build()


def warm_up() -> None:
    """Load the language models now, so the first resident does not wait for them."""
    _detector().detect_language_of("hej")


def detect_language(text: str) -> str | None:
    """Return the locale ``text`` is most likely written in, or None when it cannot tell.

    Tigrinya is recognised by its Ge'ez script, which no other of our languages uses.
    """
    letters = sum(ch.isalpha() for ch in text)
    if letters == 0:
        return None
    if len(_ETHIOPIC.findall(text)) * 2 >= letters:
        return "ti"
    found = _detector().detect_language_of(text)
    return _LINGUA_TO_LOCALE.get(found) if found is not None else None


def fold(text: str) -> str:
    """Return ``text`` folded for matching: lower case, no diacritics, one Arabic-script form.

    Residents often type without å, ä, ö or Arabic vowel marks; folding makes
    "forsorjningsstod" and "försörjningsstöd" the same word.
    """
    text = unicodedata.normalize("NFKC", text).casefold().translate(_ARABIC_FOLD)
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept)


def words(text: str) -> list[str]:
    """Return the folded words of ``text`` in order."""
    return _WORD.findall(fold(text))


@cache
def _stemmer(locale: str) -> snowballstemmer.stemmer | None:
    algorithm = _STEMMERS.get(locale)
    return snowballstemmer.stemmer(algorithm) if algorithm else None


def stem(word: str, locale: str) -> str:
    """Return the folded stem of one lower-case word, or the folded word where no stemmer exists."""
    stemmer = _stemmer(locale)
    stemmed = stemmer.stemWord(word) if stemmer is not None else word
    return fold(stemmed)
