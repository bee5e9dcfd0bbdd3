"""Measuring triage against labelled messages (``tests/data/triage/``), for tests and the bench.

A labelled file has ``language``, ``source`` (who wrote it, and how), ``urgent``
(category -> messages, each a text or ``{text, also, source}``) and ``not-urgent`` (a
list of texts); see the README beside them. A split is a folder with one folder per
language, one file per author in it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import yaml

from flows.language import LOCALES
from flows.triage.classify import Triage
from flows.triage.lexicon import CATEGORIES


@dataclass(frozen=True)
class Labelled:
    """One labelled message: its text, expected category (None: not urgent), accepted others.

    ``source`` says who wrote it and how (an author id and their style), from the file.
    """

    text: str
    category: str | None
    also: frozenset[str] = frozenset()
    source: str = ""


@dataclass(frozen=True)
class LabelledSet:
    """The labelled messages of one language in one split."""

    language: str
    messages: tuple[Labelled, ...]

    @property
    def urgent(self) -> tuple[Labelled, ...]:
        """The messages that must raise an alarm."""
        return tuple(m for m in self.messages if m.category is not None)

    @property
    def calm(self) -> tuple[Labelled, ...]:
        """The messages that must not raise an alarm."""
        return tuple(m for m in self.messages if m.category is None)


@dataclass(frozen=True)
class Scores:
    """How triage did on one labelled set, level by level.

    Attributes:
        language: The set's locale.
        urgent: How many urgent messages there were.
        calm: How many non-urgent messages there were.
        missed: Urgent messages left calm.
        asked: Urgent messages that only got the question "are you safe?", with the result.
        wrong_category: Caught urgent messages with an unexpected category, with the result.
        false_alarms: Calm messages judged urgent, with the result.
        asked_calm: Calm messages that got the question "are you safe?", with the result.
    """

    language: str
    urgent: int
    calm: int
    missed: tuple[Labelled, ...] = ()
    asked: tuple[tuple[Labelled, Triage], ...] = field(default=(), repr=False)
    wrong_category: tuple[tuple[Labelled, Triage], ...] = field(default=(), repr=False)
    false_alarms: tuple[tuple[Labelled, Triage], ...] = field(default=(), repr=False)
    asked_calm: tuple[tuple[Labelled, Triage], ...] = field(default=(), repr=False)

    @property
    def recall(self) -> float:
        """Share of urgent messages caught: judged urgent, or asked about."""
        return (self.urgent - len(self.missed)) / self.urgent if self.urgent else 1.0

    @property
    def urgent_recall(self) -> float:
        """Share of urgent messages judged urgent (the urgent level alone)."""
        alone = self.urgent - len(self.missed) - len(self.asked)
        return alone / self.urgent if self.urgent else 1.0

    @property
    def category_accuracy(self) -> float:
        """Share of caught urgent messages whose category was the expected one (or accepted)."""
        flagged = self.urgent - len(self.missed)
        return (flagged - len(self.wrong_category)) / flagged if flagged else 1.0

    @property
    def false_alarm_rate(self) -> float:
        """Share of calm messages judged urgent."""
        return len(self.false_alarms) / self.calm if self.calm else 0.0

    @property
    def asked_rate(self) -> float:
        """Share of calm messages asked about ("are you safe?")."""
        return len(self.asked_calm) / self.calm if self.calm else 0.0


def read_labelled(path: Path) -> LabelledSet:
    """Read one labelled file.

    Raises:
        ValueError: The file does not follow the format; the message names file and key.
    """
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, Mapping) or raw.get("language") not in LOCALES:
        raise ValueError(f"{path}: language: must be one of {LOCALES}")
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"{path}: source: say who wrote these messages, and how")
    messages: list[Labelled] = []
    urgent = raw.get("urgent")
    if not isinstance(urgent, Mapping):
        raise ValueError(f"{path}: urgent: must map categories to messages")
    for category, items in urgent.items():
        if category not in CATEGORIES:
            raise ValueError(f"{path}: urgent.{category}: unknown category")
        for item in items or ():
            if isinstance(item, str):
                messages.append(Labelled(item, str(category), source=source))
            elif isinstance(item, Mapping) and isinstance(item.get("text"), str):
                also = frozenset(str(a) for a in item.get("also") or ())
                if not also <= set(CATEGORIES):
                    raise ValueError(f"{path}: urgent.{category}: {item!r}: unknown 'also'")
                messages.append(Labelled(item["text"], str(category), also,
                                         str(item.get("source") or source)))
            else:
                raise ValueError(f"{path}: urgent.{category}: {item!r} is not a message")
    for item in raw.get("not-urgent") or []:
        if not isinstance(item, str):
            raise ValueError(f"{path}: not-urgent: {item!r} is not a text")
        messages.append(Labelled(item, None, source=source))
    return LabelledSet(str(raw["language"]), tuple(messages))


def read_split(folder: Path, authors: tuple[str, ...] = ()) -> dict[str, LabelledSet]:
    """Read every labelled file in ``folder`` (e.g. ``holdout/``), merged by locale.

    Files sit in one folder per language (``holdout/sv/holdout-1.yaml``); a message
    written twice in one language is kept once. ``authors`` keeps only the files of those
    names (``("holdout-4",)``), e.g. to measure one fresh author alone.
    """
    merged: dict[str, dict[str, Labelled]] = {}
    for path in sorted(folder.glob("*/*.yaml")):
        if authors and path.stem not in authors:
            continue
        labelled = read_labelled(path)
        if path.parent.name != labelled.language:
            raise ValueError(f"{path}: language: {labelled.language} is in the folder "
                             f"{path.parent.name}")
        kept = merged.setdefault(labelled.language, {})
        for message in labelled.messages:
            kept.setdefault(message.text.strip(), message)
    return {language: LabelledSet(language, tuple(kept.values()))
            for language, kept in sorted(merged.items())}


# Search questions about these services may well be urgent: not counted as ordinary.
MAYBE_URGENT_SERVICES: Final = frozenset({
    "domestic-violence", "after-hours-emergency", "report-concern", "housing-first",
    "financial-aid",
})


def read_ordinary(folder: Path) -> dict[str, tuple[str, ...]]:
    """Read everyday questions from the search corpus (``tests/data/search/<split>/``).

    These are what most residents write: questions about support, not emergencies.
    Questions for services where an emergency is plausible are left out.
    """
    found: dict[str, tuple[str, ...]] = {}
    for path in sorted(folder.glob("*.yaml")):
        rows = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[path.stem] = tuple(str(text) for service, text in rows
                                 if service not in MAYBE_URGENT_SERVICES)
    return found


def score(labelled: LabelledSet, decide: Callable[[str, str], Triage]) -> Scores:
    """Run ``decide(text, locale)`` on every message of ``labelled`` and count the outcome."""
    missed: list[Labelled] = []
    asked: list[tuple[Labelled, Triage]] = []
    wrong: list[tuple[Labelled, Triage]] = []
    false_alarms: list[tuple[Labelled, Triage]] = []
    asked_calm: list[tuple[Labelled, Triage]] = []
    for message in labelled.messages:
        result = decide(message.text, labelled.language)
        if message.category is None:
            if result.level == "urgent":
                false_alarms.append((message, result))
            elif result.level == "ask":
                asked_calm.append((message, result))
            continue
        if result.level == "calm":
            missed.append(message)
            continue
        if result.level == "ask":
            asked.append((message, result))
        if result.category != message.category and result.category not in message.also:
            wrong.append((message, result))
    return Scores(labelled.language, len(labelled.urgent), len(labelled.calm), tuple(missed),
                  tuple(asked), tuple(wrong), tuple(false_alarms), tuple(asked_calm))
