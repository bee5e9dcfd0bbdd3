"""How triage reads a message: its words, where they stand, and the spellings to try for each.

Built on :func:`flows.language.fold`, with the few extra foldings that matter for
catching distress in the way residents actually type: apostrophes dropped
("can't" and "cant", "б'є" and "бє"), Persian half-spaces joined, Arabic-Indic
digits made ASCII, stretched letters shrunk ("pleeease"), Arabic proclitics
split off ("وبالسكين" -> "سكين"), Ge'ez letters that sound alike made one, and
for Ge'ez a vowel-less skeleton that serves as its "misspelling" form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from flows.language import fold

# Apostrophes inside a word are dropped rather than split on: Ukrainian writes
# "б'є" with one, Somali "ba'an", English "can't", and people leave them out as often.
_APOSTROPHE: Final = re.compile(r"(?<=\w)['’ʼ`´‘](?=\w)")
# Persian half-space (ZWNJ), joiner and soft hyphen: "می‌خواهم" is typed with and without it.
_INVISIBLE: Final = str.maketrans({"\u200c": None, "\u200d": None, "\u00ad": None})
# Letters plus the combining marks that belong to them (Arabic vowel signs are not \w).
_WORD: Final = re.compile(
    r"(?:\w|[\u0300-\u036f\u0483-\u0489\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u135d-\u135f])+"
)
# Punctuation that ends a clause: figures of speech and negations do not reach across it.
_CLAUSE_BREAK: Final = re.compile(r"[.!?;:,\n\u060c\u061b\u061f\u06d4\u1362-\u1368]")
_DIGITS: Final = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_REPEATS: Final = re.compile(r"(.)\1{2,}")
_ARABIC_SCRIPT: Final = re.compile(r"[\u0600-\u06ff]")
_GEEZ_FIRST, _GEEZ_LAST = 0x1200, 0x137F
_ALL_GEEZ: Final = re.compile("[\u1200-\u137f]+")


def _geez_homophones() -> dict[int, int]:
    """Map Ge'ez letter rows that Tigrinya writers interchange to one row each.

    ሠ/ሰ, ፀ/ጸ, ኀ/ሐ/ሀ and ዐ/አ are written interchangeably in everyday typing, and
    Tigrinya's ቐ/ኸ are often typed as the nearer ቀ/ከ on keyboards that lack them.
    """
    table: dict[int, int] = {}
    for source, target in ((0x1220, 0x1230), (0x1340, 0x1338), (0x1280, 0x1200),
                           (0x1210, 0x1200), (0x12D0, 0x12A0), (0x1250, 0x1240),
                           (0x12B8, 0x12A8)):
        for order in range(8):
            table[source + order] = target + order
    return table


_GEEZ_FOLD: Final = _geez_homophones()
# Attached Arabic words: "and", "so", "with", "for", "the" ("وبالسكين" = "and with the knife").
_ARABIC_PROCLITICS: Final = ("وبال", "وال", "بال", "فال", "کال", "لل", "ال", "و", "ف", "ب", "ل")


@dataclass(frozen=True)
class Word:
    """One word of a message, as typed and in the forms triage matches on.

    Attributes:
        text: The word as the resident typed it.
        start: Offset of its first character in the message.
        end: Offset just past its last character.
        folded: Lower case, no diacritics, one form per letter (see :func:`fold_word`).
        variants: Other spellings worth trying: shrunk stretched letters, Arabic
            proclitics split off. Empty for most words.
        skeleton: For Ge'ez words, the consonants without vowels; None otherwise.
        after_break: Whether clause-ending punctuation stands between this word
            and the one before it.
    """

    text: str
    start: int
    end: int
    folded: str
    variants: tuple[str, ...]
    skeleton: str | None
    after_break: bool


# Residents use the same few thousand words: folding each once, not in every message it
# appears in, halves the time it takes to read a message.
@lru_cache(maxsize=65536)
def fold_word(text: str) -> str:
    """Return ``text`` folded the way triage compares words (lexicon and message alike)."""
    folded = fold(_APOSTROPHE.sub("", text.translate(_INVISIBLE))).translate(_DIGITS)
    if any(_GEEZ_FIRST <= ord(ch) <= _GEEZ_LAST for ch in folded):
        folded = folded.translate(_GEEZ_FOLD)
    return folded


def skeleton(folded: str) -> str | None:
    """Return the vowel-less form of a folded Ge'ez word, or None for other scripts.

    Each Ge'ez letter is a consonant-vowel syllable in a row of eight; residents
    often pick the wrong vowel order, so the row alone is what a misspelling keeps.
    """
    if not _ALL_GEEZ.fullmatch(folded):
        return None
    return "".join(chr(ord(ch) - (ord(ch) - _GEEZ_FIRST) % 8) for ch in folded)


@lru_cache(maxsize=65536)
def variants(folded: str) -> tuple[str, ...]:
    """Return other spellings of a folded word worth matching, without the word itself."""
    found: list[str] = []
    if _REPEATS.search(folded):
        found.extend((_REPEATS.sub(r"\1\1", folded), _REPEATS.sub(r"\1", folded)))
    if _ARABIC_SCRIPT.match(folded):
        for clitic in _ARABIC_PROCLITICS:
            # Keep at least three letters: shorter remainders are other words, not stems.
            if folded.startswith(clitic) and len(folded) - len(clitic) >= 3:
                found.append(folded[len(clitic):])
    return tuple(dict.fromkeys(v for v in found if v != folded))


def read_words(text: str) -> tuple[Word, ...]:
    """Return the words of ``text`` in order, with their positions and matching forms."""
    cleaned = _APOSTROPHE.sub("\u2060", text)  # keep offsets: mark, then drop when folding
    found: list[Word] = []
    previous_end = 0
    for match in _WORD_WITH_JOINERS.finditer(cleaned):
        typed = text[match.start():match.end()]
        folded = fold_word(typed)
        if not folded:
            continue
        found.append(
            Word(
                text=typed,
                start=match.start(),
                end=match.end(),
                folded=folded,
                variants=variants(folded),
                skeleton=skeleton(folded),
                after_break=bool(found) and bool(_CLAUSE_BREAK.search(text, previous_end,
                                                                      match.start())),
            )
        )
        previous_end = match.end()
    return tuple(found)


def folded_words(text: str) -> list[str]:
    """Return just the folded words of ``text`` (for lexicon phrases)."""
    return [word.folded for word in read_words(text)]


# A word may continue across an apostrophe (marked as U+2060) or a Persian half-space.
_WORD_WITH_JOINERS: Final = re.compile(
    r"(?:" + _WORD.pattern + r")(?:[\u2060\u200c\u200d\u00ad]+(?:" + _WORD.pattern + r"))*"
)
