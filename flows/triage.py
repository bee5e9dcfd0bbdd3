"""Triage of every free-text message: is someone in danger now, and of what kind?

The decision is an explainable lexicon match, not a model: phrases in every
language's vocabulary file (``catalogue/triage/<locale>.yaml``) are matched on
folded words, stems, misspellings and words written together, in every
language at once because residents mix languages. Figures of speech and
negations are listed in the same files as exemptions; an exemption only
cancels the alarm words it overlaps, so "dying of laughter, but honestly I want
to die" still raises the alarm. When in doubt the lexicon errs towards an
alarm: a caseworker reading a false alarm costs minutes, a miss can cost a life.

Priority when several categories match (the first is the one acted on):

1. ``self-harm``: a life at risk by the person's own hand; safe-messaging reply.
2. ``medical``: a life at risk from illness, injury, overdose or poison.
3. ``child-at-risk``: a child cannot protect themselves, and staff must report.
4. ``violence``: violence or threats, including at home.
5. ``homeless-tonight``: nowhere safe to sleep tonight.
6. ``no-food``: nothing to eat today.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from flows.language import DEFAULT_LOCALE, LOCALES, detect_language
from flows.triage_lexicon import CATEGORIES, EXACT, Exemption, Found, Lexicon, read_lexicon
from flows.triage_text import Word, read_words

__all__ = [
    "CATEGORIES",
    "PRIORITY",
    "Evidence",
    "Ignored",
    "Triage",
    "default_lexicon",
    "triage",
]

PRIORITY: Final = CATEGORIES
LEXICON_FOLDER: Final = Path(__file__).resolve().parent.parent / "catalogue" / "triage"

_HOW_WORDS: Final = {
    "stem": "another form of the word",
    "joined": "words written together",
    "misspelled": "a misspelling",
}


@dataclass(frozen=True)
class Evidence:
    """One lexicon phrase found in a message.

    Attributes:
        category: The category the phrase raises.
        phrase: The phrase as written in the vocabulary file.
        lexicon: The locale of the vocabulary file it comes from.
        words: The resident's own words that matched, as typed.
        how: "exact", or how loosely it matched: "stem", "joined", "misspelled".
    """

    category: str
    phrase: str
    lexicon: str
    words: str
    how: str

    def describe(self) -> str:
        """Return one line for a caseworker: what matched, where from, and how."""
        loose = sorted({_HOW_WORDS[h] for h in self.how.split("+") if h in _HOW_WORDS})
        note = f", {' and '.join(loose)}" if loose else ""
        return f"{self.category}: {self.words!r} ~ {self.phrase!r} ({self.lexicon}{note})"


@dataclass(frozen=True)
class Ignored:
    """An alarm phrase cancelled by an exemption (a figure of speech or a negation).

    Attributes:
        evidence: The alarm that was cancelled.
        exemption: The exemption phrase as written in the vocabulary file.
        lexicon: The locale of the file the exemption comes from.
        reason: Why the file says this is not an emergency.
    """

    evidence: Evidence
    exemption: str
    lexicon: str
    reason: str

    def describe(self) -> str:
        """Return one line saying which alarm was set aside, and why."""
        return (f"not {self.evidence.category}: {self.evidence.words!r} is part of "
                f"{self.exemption!r} ({self.lexicon}: {self.reason})")


@dataclass(frozen=True)
class Triage:
    """The outcome of triage for one message.

    Attributes:
        urgent: Whether a person should look at this now.
        category: The category to act on (the first of ``categories``), or None.
        language: The locale given, or detected from the text ("sv" when unclear).
        categories: Every category found, in :data:`PRIORITY` order.
        evidence: The phrases that raised the categories.
        ignored: Alarm phrases set aside as figures of speech or negations.
    """

    urgent: bool
    category: str | None
    language: str
    categories: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    ignored: tuple[Ignored, ...] = ()

    @property
    def explanation(self) -> str:
        """Say in plain words why the message was, or was not, judged urgent."""
        lines = [e.describe() for e in self.evidence]
        lines += [i.describe() for i in self.ignored]
        if not lines:
            return "no urgent phrase found"
        return "; ".join(lines)

    def as_json(self) -> dict[str, object]:
        """Return the contract's JSON shape: urgent, category and language."""
        return {"urgent": self.urgent, "category": self.category, "language": self.language}


@cache
def default_lexicon() -> Lexicon:
    """Return the shipped vocabulary, compiled once per process."""
    return read_lexicon(LEXICON_FOLDER)


def triage(text: str, *, locale: str | None = None, lexicon: Lexicon | None = None) -> Triage:
    """Decide whether ``text`` needs a person now, and in which category.

    Args:
        text: The resident's message, exactly as received.
        locale: The resident's language if known; detected from ``text`` when None.
        lexicon: The vocabulary to use; the shipped one when None.

    Returns:
        The decision, every category found, and the phrases behind it.

    Raises:
        ValueError: ``locale`` is not one of :data:`flows.language.LOCALES`.
    """
    if locale is not None and locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}; use one of {', '.join(LOCALES)}")
    language = locale or detect_language(text) or DEFAULT_LOCALE
    words = read_words(text)
    alarms, exemptions = (lexicon or default_lexicon()).find(words)
    evidence: list[Evidence] = []
    ignored: list[Ignored] = []
    seen: set[tuple[str, str, str]] = set()
    for found in sorted(alarms, key=lambda f: (f.first, f.last)):
        category = found.phrase.category
        assert category is not None  # alarms always carry their category
        item = _evidence(found, category, words)
        if (item.category, item.phrase, item.words) in seen:
            continue
        seen.add((item.category, item.phrase, item.words))
        cancelled_by = _cancelling(found, category, exemptions)
        if cancelled_by is None:
            evidence.append(item)
        else:
            ignored.append(Ignored(item, cancelled_by.phrase.source, cancelled_by.phrase.language,
                                   cancelled_by.reason))
    present = {e.category for e in evidence}
    categories = tuple(c for c in PRIORITY if c in present)
    # Evidence for the category acted on comes first: that is what a caseworker reads first.
    evidence.sort(key=lambda e: PRIORITY.index(e.category))
    return Triage(
        urgent=bool(categories),
        category=categories[0] if categories else None,
        language=language,
        categories=categories,
        evidence=tuple(evidence),
        ignored=tuple(ignored),
    )


def _evidence(found: Found, category: str, words: tuple[Word, ...]) -> Evidence:
    first, last = words[found.first], words[found.last]
    hows = sorted({h for h in found.hows if h != EXACT})
    return Evidence(
        category=category,
        phrase=found.phrase.source,
        lexicon=found.phrase.language,
        words=_typed(words, first, last),
        how="+".join(hows) if hows else EXACT,
    )


def _typed(words: tuple[Word, ...], first: Word, last: Word) -> str:
    """Return the resident's text from ``first`` to ``last``, spaces normalised."""
    return " ".join(w.text for w in words if first.start <= w.start and w.end <= last.end)


def _cancelling(found: Found, category: str,
                exemptions: list[tuple[Exemption, Found]]) -> Exemption | None:
    """Return an exemption that covers every word of this alarm, if one does.

    Containment rather than overlap: "I'm so tired of it all, dying of laughter
    haha, but I want to die" keeps its alarm, because the figure of speech does
    not reach the words "want to die".
    """
    for exemption, where in exemptions:
        if category in exemption.cancels and where.first <= found.first \
                and found.last <= where.last:
            return exemption
    return None
