"""Triage of every free-text message: is someone in danger now, and of what kind?

Two readers decide together, and either can raise an alarm:

- the **vocabulary**, explainable and exact: phrases in every language's file
  (``catalogue/triage/<locale>.yaml``) and rules of meaning made of word classes
  (``concepts.yaml``: swallowing + all or many + medicine), matched on folded words,
  stems, misspellings and words written together, in every language at once
  because residents mix languages. Figures of speech and negations are listed as
  exemptions; an exemption only cancels the alarm words it covers, so "dying of
  laughter, but honestly I want to die" still raises the alarm;
- the **model** (:mod:`flows.triage.model`), a small linear model over pieces of
  words trained on the labelled corpus: it catches what no one wrote down yet.

The outcome has three levels:

- ``urgent``: the vocabulary found an alarm, or the model is sure. Safety reply,
  a case, the staff alerted.
- ``ask``: not sure. The right numbers and one plain question: "Are you safe right
  now?". This is where a vocabulary alarm goes when the message also carries a
  calming signal (a joke, a past that is over, a question for a school project)
  and the model does not think it calm, and where the model goes when it is
  unsure.
- ``calm``: no sign of danger; the bot answers the question.

When in doubt it errs towards asking: a caseworker reading a false alarm costs
minutes, a miss can cost a life.

Priority when several categories match (the first is the one acted on):

1. ``self-harm``: a life at risk by the person's own hand; safe-messaging reply.
2. ``medical``: a life at risk from illness, injury, overdose or poison.
3. ``child-at-risk``: a child cannot protect themselves, and staff must report.
4. ``violence``: violence or threats, including at home.
5. ``homeless-tonight``: nowhere safe to sleep tonight.
6. ``no-food``: nothing to eat today.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final, Literal

from flows.language import DEFAULT_LOCALE, LOCALES, detect_language
from flows.triage.lexicon import (
    CALMING_REACH,
    CATEGORIES,
    EXACT,
    WHOLE_MESSAGE_KINDS,
    CalmingFound,
    Exemption,
    Found,
    Lexicon,
    read_lexicon,
)
from flows.triage.model import Classifier, ModelError, Risk, load_classifier
from flows.triage.text import Word, read_words

__all__ = [
    "ASK",
    "CALM",
    "CATEGORIES",
    "PRIORITY",
    "URGENT",
    "Evidence",
    "Ignored",
    "ModelError",
    "Triage",
    "default_classifier",
    "default_lexicon",
    "read_vocabulary",
    "triage",
]

PRIORITY: Final = CATEGORIES
LEXICON_FOLDER: Final = Path(__file__).resolve().parents[2] / "catalogue" / "triage"
MODEL_FILE: Final = "model.json.gz"
URGENT: Final = "urgent"
ASK: Final = "ask"
CALM: Final = "calm"
Level = Literal["urgent", "ask", "calm"]
# What the vocabulary alone says: "soft" is an alarm next to a calming signal.
RuleLevel = Literal["urgent", "soft", "calm"]

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
        level: "urgent" (a person now), "ask" (ask if they are safe) or "calm".
        category: The category to act on (the first of ``categories``, or the model's
            when only the model saw danger); None when calm.
        language: The locale given, or detected from the text ("sv" when unclear).
        categories: Every category the vocabulary found, in :data:`PRIORITY` order.
        evidence: The phrases that raised the categories.
        ignored: Alarm phrases set aside as figures of speech or negations.
        calming: The calming signals found, as "kind: words" (a joke, a past that is over).
        rule_level: What the vocabulary alone says: "urgent", "soft" (an alarm next to
            a calming signal) or "calm".
        model: The model's probability that the message is urgent (None: no model).
        model_category: The category the model finds most likely.
    """

    level: Level
    category: str | None
    language: str
    categories: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    ignored: tuple[Ignored, ...] = ()
    calming: tuple[str, ...] = ()
    rule_level: RuleLevel = "calm"
    model: float | None = None
    model_category: str | None = None

    @property
    def urgent(self) -> bool:
        """Whether a person should look at this now (the urgent level only)."""
        return self.level == URGENT

    @property
    def caught(self) -> bool:
        """Whether the message raised anything: urgent, or a question whether they are safe."""
        return self.level != CALM

    @property
    def explanation(self) -> str:
        """Say in plain words why the message got its level."""
        lines = [e.describe() for e in self.evidence]
        lines += [i.describe() for i in self.ignored]
        lines += [f"calming signal ({c})" for c in self.calming]
        if self.model is not None:
            lines.append(f"model: {self.model:.2f} urgent, most like {self.model_category}")
        if not lines:
            return "no urgent phrase found"
        return "; ".join(lines)

    def as_json(self) -> dict[str, object]:
        """Return the contract's JSON shape: urgent, category, language, and the level."""
        return {"urgent": self.urgent, "category": self.category, "language": self.language,
                "level": self.level}


@cache
def default_lexicon() -> Lexicon:
    """Return the shipped vocabulary, compiled once per process."""
    return read_lexicon(LEXICON_FOLDER)


@cache
def default_classifier() -> Classifier:
    """Return the shipped model, read once per process."""
    return load_classifier(LEXICON_FOLDER / MODEL_FILE)


def classifier_for(folder: Path) -> Classifier:
    """Return the model in a vocabulary folder (a staff copy), or the shipped one.

    Raises:
        ModelError: The folder has a model file that cannot be used.
    """
    path = folder / MODEL_FILE
    if path.resolve() == (LEXICON_FOLDER / MODEL_FILE).resolve() or not path.exists():
        return default_classifier()
    return load_classifier(path)


def read_vocabulary(folder: Path) -> Lexicon:
    """Read a vocabulary folder (``NARA_TRIAGE``): its files and its model, or the shipped model.

    Raises:
        LexiconError: A vocabulary file is malformed.
        ModelError: The folder's model file cannot be used.
    """
    lexicon = read_lexicon(folder)
    lexicon.classifier = classifier_for(folder)
    return lexicon


_SHIPPED: Final = object()


def triage(text: str, *, locale: str | None = None, lexicon: Lexicon | None = None,
           classifier: Classifier | object | None = _SHIPPED) -> Triage:
    """Decide whether ``text`` needs a person now, should be asked about, or is calm.

    Args:
        text: The resident's message, exactly as received.
        locale: The resident's language if known; detected from ``text`` when None.
        lexicon: The vocabulary to use; the shipped one when None.
        classifier: The model to use; the shipped one unless given; None for the
            vocabulary alone.

    Returns:
        The level, the category, and the phrases and scores behind them.

    Raises:
        ValueError: ``locale`` is not one of :data:`flows.language.LOCALES`.
    """
    if locale is not None and locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}; use one of {', '.join(LOCALES)}")
    language = locale or detect_language(text) or DEFAULT_LOCALE
    words = read_words(text)
    matches = (lexicon or default_lexicon()).find(words, text)
    alarms, exemptions = matches.alarms, matches.exemptions
    evidence: list[Evidence] = []
    ignored: list[Ignored] = []
    seen: set[tuple[str, str, str]] = set()
    softened: set[str] = set()
    signals: set[str] = set()
    for found in sorted(alarms, key=lambda f: (f.first, f.last)):
        category = found.phrase.category
        assert category is not None  # alarms always carry their category
        item = _evidence(found, category, words)
        if (item.category, item.phrase, item.words) in seen:
            continue
        seen.add((item.category, item.phrase, item.words))
        cancelled_by = (_cancelling(found, category, exemptions)
                        or _governed(found, matches.unless, words))
        if cancelled_by is None:
            evidence.append(item)
            near = [c for c in matches.calming if _reaches(c, found, words)]
            if near:
                softened.add(item.words)
                signals.update(f"{c.calming.kind}: {c.calming.source}" for c in near)
        else:
            ignored.append(Ignored(item, cancelled_by.phrase.source, cancelled_by.phrase.language,
                                   cancelled_by.reason))
    present = {e.category for e in evidence}
    categories = tuple(c for c in PRIORITY if c in present)
    # Evidence for the category acted on comes first: that is what a caseworker reads first.
    evidence.sort(key=lambda e: PRIORITY.index(e.category))
    calming = tuple(sorted(signals))
    rule_level: RuleLevel = CALM
    if categories:
        # Soft only when every alarm has a calming signal beside it.
        rule_level = "soft" if all(e.words in softened for e in evidence) else URGENT
    chosen = lexicon.classifier if lexicon is not None else None
    model = (chosen or default_classifier()) if classifier is _SHIPPED else classifier
    assert model is None or isinstance(model, Classifier)
    risk = model.risk(text, words) if model is not None and words else None
    level = (combine(rule_level, risk, model.thresholds) if model is not None
             else combine(rule_level, None, {}))
    category = None
    if level != CALM:
        category = categories[0] if categories else (risk.category if risk else None)
    return Triage(
        level=level,
        category=category,
        language=language,
        categories=categories,
        evidence=tuple(evidence),
        ignored=tuple(ignored),
        calming=calming,
        rule_level=rule_level,
        model=risk.urgent if risk else None,
        model_category=risk.category if risk else None,
    )


def combine(rule_level: str, risk: Risk | None, thresholds: Mapping[str, float]) -> Level:
    """Combine what the vocabulary says with the model's reading into one level.

    Args:
        rule_level: The vocabulary's "urgent", "soft" (an alarm beside a calming
            signal) or "calm".
        risk: The model's reading, or None without a model (or for too short a text).
        thresholds: The model's "ask", "urgent" and "calm" thresholds.
    """
    if rule_level == URGENT:
        return URGENT
    if risk is None:
        return ASK if rule_level == "soft" else CALM
    if rule_level == "soft":
        # A calming signal never silences an alarm alone: the model must find it calm too.
        return ASK if risk.urgent >= thresholds["calm"] else CALM
    if risk.urgent >= thresholds["urgent"] and risk.can_be_sure:
        return URGENT
    return ASK if risk.urgent >= thresholds["ask"] else CALM


def _reaches(signal: CalmingFound, alarm: Found, words: tuple[Word, ...]) -> bool:
    """Whether a calming signal speaks for this alarm: same clause and near, or the message."""
    if signal.calming.kind in WHOLE_MESSAGE_KINDS:
        return True
    return _near(signal.first, signal.last, alarm, words)


def _near(first: int, last: int, alarm: Found, words: tuple[Word, ...]) -> bool:
    """Whether words ``first``..``last`` stand in the alarm's clause, at most CALMING_REACH away."""
    gap = max(alarm.first - last, first - alarm.last, 0)
    if gap > CALMING_REACH:
        return False
    first, last = min(first, alarm.first), max(last, alarm.last)
    return not any(words[i].after_break for i in range(first + 1, min(last + 1, len(words))))


def _governed(found: Found, unless: list[Found], words: tuple[Word, ...]) -> Exemption | None:
    """Return the rule's own exception that governs this match of it, if one does.

    One of the rule's ``unless`` phrases, in its clause and within a calming signal's
    reach; it sets aside this rule only, never another alarm ("lexicon" docstring).
    """
    for exemption in found.phrase.unless:
        for where in unless:
            if where.phrase is exemption.phrase and _near(where.first, where.last, found, words):
                return exemption
    return None


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
