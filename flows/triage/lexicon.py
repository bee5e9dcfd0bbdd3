"""The triage vocabulary: staff-reviewable YAML files, compiled once into fast lookups.

One file per language under ``catalogue/triage/``. Each file has::

    language: sv                 # one of flows.language.LOCALES
    stemming: true               # compare Snowball stems of plain words (where one exists)
    classes:                     # word groups a phrase in ANY language may use as @name
      tonight: [inatt, i natt, ikväll]
    urgent:                      # category -> phrases that raise it
      self-harm:
        - självmord*
        - vill ... {dö|död}
    exceptions:                  # figures of speech and negations; they cancel only
      - phrase: dör av skratt    # the alarms whose words they overlap
        cancels: [self-harm, medical]     # optional, default: every category
        when: [middag, lunch]    # optional: only if one of these is also in the message
        reason: figure of speech
    ordinary: [skjuts]           # real words never to be read as a misspelling of a key word
    calming:                     # signals that a message may not be an emergency after all
      jest: ["😂", haha*]         # a joke; no letters: looked for as written (emoji)
      past: [för * år sedan]     # a past that is over
      for-others: [skolarbete]   # asking for study, work or someone else, in general

One more file, ``concepts.yaml`` with ``language: any``, holds rules built only from
classes (``@swallow & @all & @medicine``): the meaning is written once, and the words
for each part of it come from every language's ``classes:``. Its categories are optional.

A rule under ``urgent:`` (in any file; made for ``concepts.yaml``) may carry its own
exceptions, as a mapping instead of a text::

    medical:
      - phrase: "@chest-pain & {@heart-signs|@right-now}"
        unless: ["@over-now", "@asking-generally"]   # phrases; here made of classes too
        reason: a heart attack that is over, or a question about the signs

The rule does not fire where one of its ``unless`` phrases governs it: stands in the
same clause as the words the rule matched and at most :data:`CALMING_REACH` words
from them (the reach of a calming signal): "had a heart attack in 2019 and now needs
help" is set aside, "had a heart attack in 2019. Now he has chest pain" is not. It
cancels that rule only, never another alarm in the message (a language's plain phrase
still rings; a calming signal may soften it). The alarm set aside is explained with
the reason, as an exception's. An alarm whose own words span a clause break is never
governed. Write unless words a negation cannot contain ("we found him", not "found him").

A calming signal never cancels an alarm on its own: it turns "urgent" into "ask",
and the statistical model (:mod:`flows.triage.model`) decides between asking and
calm. It only reaches an alarm in its own clause and at most
:data:`CALMING_REACH` words away ("lol dying of laughter, but I want to die" stays
urgent); ``for-others`` (a school project) speaks for the whole message.
Exceptions, by contrast, cancel the alarm words they cover.

Phrase syntax, word by word (every word is folded like a message word):

- ``word``: the word itself, its Snowball stem (``stemming: true``, four letters
  or more) and, for longer words, a misspelling of it (one edit from six
  letters, two from nine; Arabic script one from seven; Ge'ez by its skeleton).
- ``=word``: this exact word only (not its stem, a misspelling, or the word
  with an Arabic proclitic split off).
- ``word*``, ``*word``, ``*word*``: the word begins with, ends with, contains it.
- ``{a|b c|d*}``: one of the alternatives; an alternative may be several words in a row.
- ``@name``: any member of class ``name``, from every language's file; also as one
  alternative among others (``{me|@kids}``).
- Between two words up to two other words may stand ("want to … die" matches
  "want to just die"); ``...`` allows up to six.
- ``a b & c d``: all parts, in any order, within ten words (fourteen for three parts
  or more).

Exceptions never reach across clause-ending punctuation; alarms do, since
people in distress rarely punctuate.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import yaml
from rapidfuzz.distance import OSA

try:
    # PyYAML's safe loader in C, where PyYAML was built with libyaml: the same documents
    # in a seventh of the time (the pure-Python one took 1.6 s of the bot's start).
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - a PyYAML without libyaml
    from yaml import SafeLoader  # type: ignore[assignment]

from flows.language import LOCALES, stem
from flows.triage.model import Classifier
from flows.triage.text import Word, folded_words, skeleton

CATEGORIES: Final = (
    "self-harm",
    "medical",
    "child-at-risk",
    "violence",
    "homeless-tonight",
    "no-food",
)
SHORT_GAP: Final = 2
LONG_GAP: Final = 6
UNORDERED_WINDOW: Final = 10
# Three parts or more ("@swallow & @lots & @medicine") are specific enough to be let
# spread further: voice-to-text run-ons put the parts of one meaning far apart.
WIDE_WINDOW: Final = 14
# The concepts file: rules made of classes, for every language at once.
ANY_LANGUAGE: Final = "any"
CALMING_KINDS: Final = ("jest", "past", "for-others")
CALMING_REACH: Final = 6
WHOLE_MESSAGE_KINDS: Final = frozenset({"for-others"})

# How a word matched, best first; the explanation names it.
EXACT, STEM, JOINED, MISSPELLED = "exact", "stem", "joined", "misspelled"
_HOW_RANK: Final = {EXACT: 0, STEM: 1, JOINED: 2, MISSPELLED: 3}

_stem = lru_cache(maxsize=200_000)(stem)
# Class members repeat across rules and expansions: fold each piece of text once.
_folded = lru_cache(maxsize=200_000)(lambda text: tuple(folded_words(text)))
_Adder = Callable[[Iterable[int], str], None]
_STEMMED: Final = frozenset({"sv", "en", "ar", "fa_AF", "fi"})
_ARABIC_SCRIPT: Final = re.compile(r"[\u0600-\u06ff]")
_GEEZ: Final = re.compile(r"[\u1200-\u137f]")
_TERM: Final = re.compile(r"\{[^{}]*\}|\S+")
_KEYS: Final = frozenset({"language", "stemming", "classes", "urgent", "exceptions", "ordinary",
                          "calming"})
_EXCEPTION_KEYS: Final = frozenset({"phrase", "cancels", "when", "reason"})
_RULE_KEYS: Final = frozenset({"phrase", "unless", "reason"})


class LexiconError(ValueError):
    """A triage vocabulary file is malformed; the message names the file and the key."""


# -- atoms: the smallest thing a message word is compared with ---------------------------

WORD, EXACT_ONLY, PREFIX, SUFFIX, INFIX = "word", "exact-only", "prefix", "suffix", "infix"


@dataclass(frozen=True)
class _Atom:
    kind: str
    text: str
    language: str


def _max_edits(text: str) -> int:
    """Return how many typing errors a key word of this spelling may carry and still match."""
    if _GEEZ.search(text):
        return 0  # Ge'ez misspellings are caught by the consonant skeleton instead
    if _ARABIC_SCRIPT.search(text):
        # Arabic roots are dense: one letter off is usually another real word.
        return 1 if len(text) >= 7 else 0
    if len(text) >= 9:
        return 2
    # Five-letter words are one typo away from too many ordinary words ("vägen"/"vapen").
    return 1 if len(text) >= 6 else 0


def _expand(member: str, where: str) -> list[str]:
    """Spell out a class member's alternatives: "jag är {11|12}" -> "jag är 11", "jag är 12"."""
    if "&" in member.split() or "@" in member or "..." in member:
        raise LexiconError(f"{where}: class member {member!r} may use only words, * and {{a|b}}")
    choices = [
        [o.strip() for o in piece[1:-1].split("|")] if piece.startswith("{") else [piece]
        for piece in _TERM.findall(member)
    ]
    if any(not c or not all(c) for c in choices):
        raise LexiconError(f"{where}: empty alternative in class member {member!r}")
    return [" ".join(parts) for parts in itertools.product(*choices)]


def _deletions(text: str, depth: int) -> set[str]:
    """Return ``text`` with up to ``depth`` letters deleted (SymSpell candidates)."""
    found = {text}
    frontier = {text}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


# -- phrases ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # one per class or alternative, shared by identity
class _Runs:
    """Runs of atoms written as one alternative of a slot: a class, or words in a row.

    As a tree of atoms: a word tries only the branches its own atoms open, so a class
    with hundreds of multi-word members costs what the message's words match, not what
    the class holds (a 4,096-character message stays fast).
    """

    runs: tuple[tuple[int, ...], ...]
    tree: Mapping[int, Any] = field(repr=False)

    @classmethod
    def of(cls, runs: Iterable[tuple[int, ...]]) -> _Runs:
        """Return these runs (each once) with their tree."""
        unique = tuple(dict.fromkeys(runs))
        if not all(unique):
            # The matcher skips positions where no first atom stands: an empty run would
            # match there. Lexicon._run refuses words without letters, so none is.
            raise ValueError("a run must have an atom")
        tree: dict[int, Any] = {}
        for run in unique:
            node = tree
            for atom in run:
                child = node.get(atom)
                if child is None:  # not setdefault: it would make a dict for every atom
                    child = node[atom] = {}
                node = child
            node[_RUN_ENDS] = None  # only the key is ever read
        return cls(unique, tree)


def _union(trees: Sequence[Mapping[int, Any]]) -> Mapping[int, Any]:
    """Return the tree of all these trees' runs, sharing the branches only one of them has.

    The same tree, key order included, as built from all the runs one after the other,
    without copying what is not shared: "{@thrown-out|@no-home}" reuses both classes' trees
    below the words they begin differently with. Trees are never changed once built.
    """
    if len(trees) == 1:
        return trees[0]
    branches: dict[int, list[Mapping[int, Any]]] = {}
    for tree in trees:
        for atom, child in tree.items():
            branches.setdefault(atom, []).append(child)
    return {atom: None if atom == _RUN_ENDS else _union(children)
            for atom, children in branches.items()}


@dataclass(frozen=True)
class _Slot:
    """One position in a phrase: any of several runs of atoms."""

    alternatives: tuple[_Runs, ...]
    gap: int  # words that may stand between this slot and the previous one
    # The alternatives' runs as one tree of atoms, and the atoms the runs begin with.
    tree: Mapping[int, Any] = field(default_factory=dict, compare=False, repr=False)
    firsts: frozenset[int] = field(default=frozenset(), compare=False, repr=False)


# A key no atom has: a run of atoms ends at this node of a slot's tree.
_RUN_ENDS: Final = -1


@dataclass(frozen=True)
class Phrase:
    """A compiled lexicon phrase.

    Attributes:
        source: The phrase as written in the file.
        language: The file's locale.
        category: The category it raises; None for exceptions and "when" phrases.
        where: File and key, for explanations and errors.
    """

    source: str
    language: str
    category: str | None
    where: str
    parts: tuple[tuple[_Slot, ...], ...] = field(repr=False, default=())
    # A rule's own exceptions: it does not fire where one of them governs it.
    unless: tuple[Exemption, ...] = field(repr=False, default=())


@dataclass(frozen=True)
class Exemption:
    """A figure of speech or negation: it cancels the alarms whose words it overlaps."""

    phrase: Phrase
    cancels: frozenset[str]
    when: tuple[Phrase, ...]
    reason: str


@dataclass(frozen=True)
class Calming:
    """A sign that a message is not an emergency after all: a joke, a past that is over.

    Attributes:
        kind: One of :data:`CALMING_KINDS`.
        source: The signal as written in the file.
        language: The file's locale.
        phrase: The compiled phrase, or None for a mark looked for as written (an emoji).
    """

    kind: str
    source: str
    language: str
    phrase: Phrase | None


@dataclass(frozen=True)
class CalmingFound:
    """Where a calming signal stands: its first and last word (a mark: the word after it)."""

    calming: Calming
    first: int
    last: int


@dataclass(frozen=True)
class Matches:
    """What a message contains: alarm phrases, exemptions that apply, calming signals.

    ``unless`` holds where the ``unless`` phrases of the alarms found stand (each match
    names its phrase, shared by every rule that lists it); whether one governs an alarm
    is decided beside the alarm (see :mod:`flows.triage.classify`).
    """

    alarms: list[Found]
    exemptions: list[tuple[Exemption, Found]]
    calming: list[CalmingFound]
    unless: list[Found] = field(default_factory=list)


@dataclass(frozen=True)
class Found:
    """One place a phrase matched: the words it used and how they matched."""

    phrase: Phrase
    positions: tuple[int, ...]
    hows: tuple[str, ...]

    @property
    def first(self) -> int:
        """The index of the first word used."""
        return self.positions[0]

    @property
    def last(self) -> int:
        """The index of the last word used."""
        return self.positions[-1]


# -- the compiled lexicon ---------------------------------------------------------------


class Lexicon:
    """Every language's triage vocabulary, compiled into lookups that take microseconds."""

    def __init__(self, files: Mapping[str, Mapping[str, object]]) -> None:
        """Compile parsed vocabulary files, keyed by the name used in error messages.

        Raises:
            LexiconError: A file is malformed; the message names file and key.
        """
        self._atoms: dict[_Atom, int] = {}
        self._class_cache: dict[str, _Runs] = {}
        self._slots: dict[tuple[_Runs, ...], _Slot] = {}
        self._lone_runs: dict[tuple[int, ...], _Runs] = {}
        self._word_atoms: dict[tuple[str, str], tuple[int, ...]] = {}
        self._atom_list: list[_Atom] = []
        self.languages: tuple[str, ...] = ()
        self.alarms: list[Phrase] = []
        self.exceptions: list[Exemption] = []
        self.calming: list[Calming] = []
        # The rules' unless phrases, each compiled once however many rules list it.
        self._unless: dict[tuple[str, str], Phrase] = {}
        # The statistical model read from the same folder
        # (see flows.triage.classify.read_vocabulary).
        self.classifier: Classifier | None = None
        self._ordinary: set[str] = set()
        self._stemming: set[str] = set()
        specs = [_FileSpec.parse(name, raw) for name, raw in files.items()]
        seen: dict[str, str] = {}
        for spec in specs:
            if spec.language in seen:
                raise LexiconError(f"{spec.name}: language: {spec.language} is also in "
                                   f"{seen[spec.language]}")
            seen[spec.language] = spec.name
        self.languages = tuple(sorted(lang for lang in seen if lang != ANY_LANGUAGE))
        for spec in specs:
            self._ordinary.update(spec.ordinary)
            if spec.stemming:
                self._stemming.add(spec.language)
        classes = self._gather_classes(specs)
        for spec in specs:
            for category, rules in spec.urgent.items():
                for index, rule in enumerate(rules):
                    where = f"{spec.name}: urgent.{category}[{index}]"
                    alarm = self._phrase(rule.phrase, spec.language, category, where, classes)
                    if rule.unless:
                        unless = tuple(
                            Exemption(self._unless_phrase(text, spec.language,
                                                          f"{where}.unless[{j}]", classes),
                                      frozenset({category}), (), rule.reason)
                            for j, text in enumerate(rule.unless)
                        )
                        alarm = replace(alarm, unless=unless)
                    self.alarms.append(alarm)
            for index, exc in enumerate(spec.exceptions):
                where = f"{spec.name}: exceptions[{index}]"
                when = tuple(
                    self._phrase(w, spec.language, None, f"{where}.when[{j}]", classes)
                    for j, w in enumerate(exc.when)
                )
                self.exceptions.append(
                    Exemption(self._phrase(exc.phrase, spec.language, None, where, classes),
                               exc.cancels, when, exc.reason)
                )
            for kind, signals in spec.calming.items():
                for index, source in enumerate(signals):
                    where = f"{spec.name}: calming.{kind}[{index}]"
                    phrase = (self._phrase(source, spec.language, None, where, classes)
                              if folded_words(source) else None)
                    self.calming.append(Calming(kind, source, spec.language, phrase))
        self._build_indexes()
        self._cache: dict[str, dict[int, str]] = {}

    # ---- compiling

    def _gather_classes(self, specs: Sequence[_FileSpec]) -> dict[str, list[tuple[str, str]]]:
        members: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for spec in specs:
            for name, words in spec.classes.items():
                members[name].extend((spec.language, w) for w in words)
        return members

    def _atom(self, kind: str, text: str, language: str) -> int:
        key = _Atom(kind, text, language)
        found = self._atoms.get(key)
        if found is None:
            found = self._atoms[key] = len(self._atom_list)
            self._atom_list.append(key)
        return found

    def _run(self, text: str, language: str, where: str) -> tuple[int, ...]:
        """Compile words written in a row ("ta livet av", "hem*") into atom ids."""
        atoms: list[int] = []
        for raw in text.split():
            # Class members spelled out ({a|b} {c|d}) repeat the same few words thousands
            # of times: each is compiled once (it gets the same atoms either way).
            known = self._word_atoms.get((raw, language))
            if known is None:
                known = self._word_atoms[raw, language] = self._word(raw, language, where)
            atoms.extend(known)
        return tuple(atoms)

    def _word(self, raw: str, language: str, where: str) -> tuple[int, ...]:
        """Compile one word of a phrase ("=hem", "själv*") into its atoms."""
        atoms: list[int] = []
        exact = raw.startswith("=")
        core = raw.lstrip("=")
        head, tail = core.startswith("*"), core.endswith("*")
        core = core.strip("*")
        pieces = _folded(core)
        if not pieces:
            raise LexiconError(f"{where}: {raw!r} has no letters to match")
        for i, piece in enumerate(pieces):
            first, last = i == 0, i == len(pieces) - 1
            if head and first and tail and last:
                kind = INFIX
            elif head and first:
                kind = SUFFIX
            elif tail and last:
                kind = PREFIX
            else:
                kind = EXACT_ONLY if exact else WORD
            atoms.append(self._atom(kind, piece, language))
        return tuple(atoms)

    def _class_runs(self, name: str, where: str,
                    classes: Mapping[str, list[tuple[str, str]]]) -> _Runs:
        if name not in classes:
            raise LexiconError(f"{where}: unknown class @{name}")
        # A class is compiled once, however many rules use it (some have hundreds of members).
        cached = self._class_cache.get(name)
        if cached is None:
            cached = self._class_cache[name] = _Runs.of(
                self._run(text, lang, f"{where} (@{name})")
                for lang, member in classes[name] for text in _expand(member, where)
            )
        return cached

    def _slot(self, term: str, gap: int, language: str, where: str,
              classes: Mapping[str, list[tuple[str, str]]]) -> _Slot:
        if term.startswith("@"):
            groups = [self._class_runs(term[1:], where, classes)]
        elif term.startswith("{"):
            if not term.endswith("}"):
                raise LexiconError(f"{where}: unclosed brace in {term!r}")
            options = [o.strip() for o in term[1:-1].split("|")]
            if not all(options):
                raise LexiconError(f"{where}: empty alternative in {term!r}")
            groups = []
            for option in options:
                # "{me|@kids}": a class is one more alternative, every member of it.
                if option.startswith("@") and " " not in option:
                    groups.append(self._class_runs(option[1:], where, classes))
                else:
                    groups.append(self._alone(self._run(option, language, where)))
        else:
            if "{" in term or "}" in term or "|" in term:
                raise LexiconError(f"{where}: stray brace or bar in {term!r}")
            groups = [self._alone(self._run(term, language, where))]
        return self._shared_slot(groups, gap)

    def _alone(self, run: tuple[int, ...]) -> _Runs:
        """Return words written in a row as an alternative, the same object every time."""
        found = self._lone_runs.get(run)
        if found is None:
            found = self._lone_runs[run] = _Runs.of([run])
        return found

    def _shared_slot(self, alternatives: Sequence[_Runs], gap: int) -> _Slot:
        """Return a slot of these alternatives, sharing its tree with every slot like it.

        A class is the same runs wherever it is used: one tree for all its uses costs a
        third of the compile time and memory, and lets a message unfold it once per
        position for every phrase that uses it (see :class:`_Matcher`).
        """
        key = tuple(alternatives)  # classes and runs are one object each: a cheap key
        shared = self._slots.get(key)
        if shared is None:
            tree = _union([runs.tree for runs in alternatives])
            shared = self._slots[key] = _Slot(key, gap, tree, frozenset(tree))
        return shared if shared.gap == gap else replace(shared, gap=gap)

    def _sequence(self, text: str, language: str, where: str,
                  classes: Mapping[str, list[tuple[str, str]]]) -> tuple[_Slot, ...]:
        slots: list[_Slot] = []
        gap = SHORT_GAP
        for term in _TERM.findall(text):
            if term in ("...", "…"):
                gap = LONG_GAP
                continue
            slots.append(self._slot(term, gap, language, where, classes))
            gap = SHORT_GAP
        if not slots:
            raise LexiconError(f"{where}: empty phrase")
        return tuple(slots)

    def _phrase(self, source: str, language: str, category: str | None, where: str,
                classes: Mapping[str, list[tuple[str, str]]]) -> Phrase:
        parts = tuple(self._sequence(p, language, where, classes) for p in source.split(" & "))
        return Phrase(source, language, category, where, parts)

    def _unless_phrase(self, source: str, language: str, where: str,
                       classes: Mapping[str, list[tuple[str, str]]]) -> Phrase:
        """Return an unless phrase, the same object for every rule of a file that lists it."""
        key = (source, language)
        found = self._unless.get(key)
        if found is None:
            found = self._unless[key] = self._phrase(source, language, None, where, classes)
        return found

    def _build_indexes(self) -> None:
        self._exact: dict[str, list[int]] = defaultdict(list)
        self._exact_only: dict[str, list[int]] = defaultdict(list)
        self._prefix: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self._suffix: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self._stems: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self._stem_heads: dict[str, set[str]] = defaultdict(set)
        self._fuzzy_words: dict[str, list[int]] = defaultdict(list)
        self._fuzzy_prefixes: dict[int, dict[str, list[int]]] = defaultdict(
            lambda: defaultdict(list))
        self._skeleton_words: dict[str, list[int]] = defaultdict(list)
        self._skeleton_prefixes: dict[int, dict[str, list[int]]] = defaultdict(
            lambda: defaultdict(list))
        infixes: dict[str, list[int]] = defaultdict(list)
        for atom_id, atom in enumerate(self._atom_list):
            text = atom.text
            bone = skeleton(text)
            if atom.kind == WORD:
                self._exact[text].append(atom_id)
            elif atom.kind == EXACT_ONLY:
                self._exact_only[text].append(atom_id)
            elif atom.kind == PREFIX:
                self._prefix[len(text)][text].append(atom_id)
            elif atom.kind == SUFFIX:
                self._suffix[len(text)][text].append(atom_id)
            else:
                infixes[text].append(atom_id)
            if atom.kind == WORD:
                if atom.language in self._stemming and atom.language in _STEMMED \
                        and len(text) >= 4:
                    root = _stem(text, atom.language)
                    # Three-letter stems join unrelated words ("kännissä", "kanssa" -> "kan").
                    if len(root) >= 4:
                        self._stems[atom.language][root].append(atom_id)
                        self._stem_heads[atom.language].add(root[:3])
                for variant in _deletions(text, _max_edits(text)) if _max_edits(text) else ():
                    self._fuzzy_words[variant].append(atom_id)
                if bone is not None and len(bone) >= 3:
                    self._skeleton_words[bone].append(atom_id)
            elif atom.kind == PREFIX:
                edits = min(_max_edits(text), 1)
                if edits:
                    for variant in _deletions(text, edits):
                        self._fuzzy_prefixes[len(text)][variant].append(atom_id)
                if bone is not None and len(bone) >= 3:
                    self._skeleton_prefixes[len(bone)][bone].append(atom_id)
        self._infix_atoms = dict(infixes)
        # Ge'ez roots keep their consonants through every inflection ("ክቐትለኒ", "ቐቲሉ"):
        # an infix written in Ge'ez is also looked for in the word's skeleton.
        bones: dict[str, list[int]] = defaultdict(list)
        for text, ids in infixes.items():
            bone = skeleton(text)
            if bone is not None and len(bone) >= 2:
                bones[bone].extend(ids)
        self._infix_bone_atoms = dict(bones)
        self._infix_bones = (
            re.compile("(?=(" + "|".join(map(re.escape, sorted(bones, key=len,
                                                                 reverse=True))) + "))")
            if bones else None
        )
        self._infix = (
            re.compile("(?=(" + "|".join(map(re.escape, sorted(infixes, key=len,
                                                                 reverse=True))) + "))")
            if infixes else None
        )
        self._whens: list[Phrase] = []
        self._when_numbers: dict[int, int] = {}
        for exc in self.exceptions:
            for when in exc.when:
                self._when_numbers[id(when)] = len(self._whens)
                self._whens.append(when)
        self._calming_phrases = [c for c in self.calming if c.phrase is not None]
        self._calming_marks = [c for c in self.calming if c.phrase is None]
        self._alarm_index = _PhraseIndex(self.alarms)
        self._exception_index = _PhraseIndex([e.phrase for e in self.exceptions])
        self._when_index = _PhraseIndex(self._whens)
        self._calming_index = _PhraseIndex([c.phrase for c in self._calming_phrases
                                            if c.phrase is not None])
        self._unless_phrases = list(self._unless.values())
        self._unless_index = _PhraseIndex(self._unless_phrases)

    # ---- matching words

    def atoms_for(self, folded: str, variants: Sequence[str] = (),
                  bone: str | None = None, *, loose: bool = True) -> dict[int, str]:
        """Return the atoms a folded word matches, and how.

        Args:
            folded: The word, folded with :func:`flows.triage.text.fold_word`.
            variants: Other spellings of it to try.
            bone: Its Ge'ez skeleton, if any.
            loose: Also try stems and misspellings; off for two words read as one.
        """
        key = folded if loose else " " + folded
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        found: dict[int, str] = {}

        def add(ids: Iterable[int], how: str) -> None:
            for atom_id in ids:
                current = found.get(atom_id)
                if current is None or _HOW_RANK[how] < _HOW_RANK[current]:
                    found[atom_id] = how

        add(self._exact_only.get(folded, ()), EXACT)
        for form in (folded, *variants):
            add(self._exact.get(form, ()), EXACT)
            for length, table in self._prefix.items():
                if len(form) >= length:
                    add(table.get(form[:length], ()), EXACT)
            for length, table in self._suffix.items():
                if len(form) >= length:
                    add(table.get(form[-length:], ()), EXACT)
            if self._infix is not None:
                for hit in self._infix.finditer(form):
                    add(self._infix_atoms[hit.group(1)], EXACT)
        if loose and folded not in self._ordinary:
            for form in (folded, *variants):
                for language, roots in self._stems.items():
                    if len(form) >= 4 and form[:3] in self._stem_heads[language]:
                        add(roots.get(_stem(form, language), ()), STEM)
            for form in (folded, *variants):
                self._add_misspellings(form, add)
            if bone is not None:
                if self._infix_bones is not None:
                    for hit in self._infix_bones.finditer(bone):
                        add(self._infix_bone_atoms[hit.group(1)], STEM)
                add(self._skeleton_words.get(bone, ()), MISSPELLED)
                for length, table in self._skeleton_prefixes.items():
                    if len(bone) >= length:
                        add(table.get(bone[:length], ()), MISSPELLED)
        if len(self._cache) > 100_000:
            self._cache.clear()  # bounded, and rebuilt in microseconds per word
        self._cache[key] = found
        return found

    def _add_misspellings(self, form: str, add: _Adder) -> None:
        if len(form) < 4 or _GEEZ.search(form):
            return
        depth = 2 if len(form) >= 8 else 1
        candidates: set[int] = set()
        for variant in _deletions(form, depth):
            candidates.update(self._fuzzy_words.get(variant, ()))
        hits = [a for a in candidates
                if OSA.distance(form, self._atom_list[a].text,
                                score_cutoff=_max_edits(self._atom_list[a].text))
                <= _max_edits(self._atom_list[a].text)]
        add(hits, MISSPELLED)
        for length, table in self._fuzzy_prefixes.items():
            if len(form) < length - 1:
                continue
            prefix_hits: set[int] = set()
            for cut in (length - 1, length, length + 1):
                piece = form[:cut]
                if len(piece) < length - 1:
                    continue
                # The table holds spellings of length-1 and length letters: a shorter
                # piece can only be found as it is, a longer one only with a letter less
                # (skipping the lookups that cannot succeed changes nothing else).
                variants = (piece,) if len(piece) < length else _deletions(piece, 1)
                for variant in variants:
                    for atom_id in table.get(variant, ()):
                        if OSA.distance(piece, self._atom_list[atom_id].text,
                                        score_cutoff=1) <= 1:
                            prefix_hits.add(atom_id)
            add(prefix_hits, MISSPELLED)

    # ---- matching phrases

    def find(self, words: Sequence[Word], text: str = "") -> Matches:
        """Return every alarm phrase match, exemption and calming signal in ``words``.

        ``text`` is the message as typed, where marks without letters (emoji) are sought.
        Exemptions and calming signals speak only about alarms: in a message without
        one they are not looked for (most messages; it halves their time); the rules'
        unless phrases only when a rule that has them matched.
        """
        hits = [self.atoms_for(w.folded, w.variants, w.skeleton) for w in words]
        joined = [
            dict.fromkeys(self.atoms_for(first.folded + second.folded, loose=False), JOINED)
            for first, second in itertools.pairwise(words)
        ]
        matcher = _Matcher(words, hits, joined)
        alarms = [found for _, found in self._alarm_index.find(matcher, crosses_breaks=True)]
        if not alarms:
            return Matches(alarms, [], [])
        whens_found: set[int] | None = None  # looked for once an exemption needs them
        exemptions: list[tuple[Exemption, Found]] = []
        for number, found in self._exception_index.find(matcher, False):
            exemption = self.exceptions[number]
            if exemption.when:
                if whens_found is None:
                    whens_found = {n for n, _ in self._when_index.find(matcher, False)}
                if not any(self._when_numbers[id(w)] in whens_found for w in exemption.when):
                    continue
            exemptions.append((exemption, found))
        calming: list[CalmingFound] = []
        for mark in self._calming_marks:
            start = text.find(mark.source)
            while start >= 0:
                # A mark stands between words: it belongs with the word just before it.
                before = sum(1 for w in words if w.end <= start)
                calming.append(CalmingFound(mark, max(before - 1, 0), before))
                start = text.find(mark.source, start + len(mark.source))
        for number, found in self._calming_index.find(matcher, False):
            calming.append(CalmingFound(self._calming_phrases[number], found.first, found.last))
        unless = ([found for _, found in self._unless_index.find(matcher, False)]
                  if any(alarm.phrase.unless for alarm in alarms) else [])
        return Matches(alarms, exemptions, calming, unless)


class _PhraseIndex:
    """Phrases of one kind (alarms, exceptions, ...), found by their rarest words.

    A phrase can match only if every one of its slots has a first atom somewhere in the
    message. Each phrase is indexed by the first atoms of its most specific slot (the
    one with the fewest), so a message considers only the few dozen phrases whose rarest
    word it has, of thousands, and tries the parts of those with every slot present,
    where their first slots stand. Indexed by their first slot instead, every common
    word ("i", "jag", "me", the first word of many class members) made hundreds of
    parts be tried at every position, nearly all in vain: that was most of the time a
    message took.

    Phrases come out in the order the first-slot index found them: by the position of
    their first match, then by which of that position's atoms (in the order its set
    yields them) begins the part, then by phrase and part number. The order decides
    which of two equally placed explanations a caseworker reads first.
    """

    def __init__(self, phrases: Sequence[Phrase]) -> None:
        """Index ``phrases``; a match names a phrase by its number in this sequence."""
        self.phrases = phrases
        # What each phrase needs somewhere in a message: a first atom of every slot, the
        # most specific slots first.
        self._needs = [
            tuple(sorted({id(slot.firsts): slot.firsts for part in phrase.parts
                          for slot in part}.values(), key=len))
            for phrase in phrases
        ]
        self._by_rarest: dict[int, list[int]] = defaultdict(list)
        for number, needs in enumerate(self._needs):
            for atom in needs[0]:
                self._by_rarest[atom].append(number)
        # A phrase found by its rarest slot still needs the others.
        self._other_needs = [needs[1:] for needs in self._needs]

    def _hopeful(self, matcher: _Matcher) -> list[int]:
        """Return the numbers of the phrases each of whose slots has a first atom present."""
        candidates: set[int] = set()
        for atom in matcher.present:
            candidates.update(self._by_rarest.get(atom, ()))
        present = matcher.present
        hopeful = []
        for number in candidates:
            # A loop rather than all(): this runs for a hundred phrases per message.
            for firsts in self._other_needs[number]:
                if firsts.isdisjoint(present):
                    break
            else:
                hopeful.append(number)
        return hopeful

    def find(self, matcher: _Matcher, crosses_breaks: bool) -> Iterator[tuple[int, Found]]:
        """Yield (phrase number, match) for each phrase found in the matcher's message."""
        # (where the first-slot index would have found the phrase first, its number,
        #  each part's matches in the order of their positions)
        found: list[tuple[tuple[int, int, int, int], int, list[list[_PartMatch]]]] = []
        for number in self._hopeful(matcher):
            phrase = self.phrases[number]
            parts: list[list[_PartMatch]] = []
            first: tuple[int, int, int, int] | None = None
            for part_number, part in enumerate(phrase.parts):
                matches: list[_PartMatch] = []
                for start in matcher.starts(part[0]):
                    result = matcher.sequence(part, start, crosses_breaks)
                    if result is None:
                        continue
                    if not matches:
                        where = (start, matcher.rank(part[0], start), number, part_number)
                        first = where if first is None else min(first, where)
                    matches.append(result)
                if not matches:
                    break  # every part must match
                parts.append(matches)
            else:
                assert first is not None
                found.append((first, number, parts))
        found.sort()
        for _, number, parts in found:
            phrase = self.phrases[number]
            if len(parts) == 1:
                for positions, hows in parts[0]:
                    yield number, Found(phrase, positions, hows)
                continue
            window = UNORDERED_WINDOW if len(parts) < 3 else WIDE_WINDOW
            combination = _first_within(parts, window)
            if combination is not None:
                pairs = sorted({(p, h) for positions, hows in combination
                                for p, h in zip(positions, hows, strict=True)})
                yield number, Found(phrase, tuple(p for p, _ in pairs),
                                    tuple(h for _, h in pairs))


# One match of a phrase part: the positions of its words, and how each matched.
_PartMatch = tuple[tuple[int, ...], tuple[str, ...]]
# One run of a slot matched in a message: where it ends, its words and how each matched.
_Run = tuple[int, tuple[int, ...], tuple[str, ...]]


def _first_within(matches: Sequence[Sequence[_PartMatch]], window: int
                  ) -> tuple[_PartMatch, ...] | None:
    """Return the first choice of one match per part whose words all lie within ``window``.

    First in the order of :func:`itertools.product`. Trying every combination took a
    long message hundreds of milliseconds (three parts found twenty times each are 8,000
    combinations); a choice already as wide as the window stays so whatever is added to
    it, so the search drops it with all its extensions, and finds the same one.
    """
    chosen: list[_PartMatch] = []

    def extend(lowest: float, highest: float) -> bool:
        if len(chosen) == len(matches):
            return True
        for match in matches[len(chosen)]:
            positions = match[0]  # in order: a part's words follow one another
            low, high = min(lowest, positions[0]), max(highest, positions[-1])
            if high - low < window:
                chosen.append(match)
                if extend(low, high):
                    return True
                chosen.pop()
        return False

    return tuple(chosen) if extend(math.inf, -math.inf) else None


class _Matcher:
    """Matches phrase parts against one message's words, given each word's atoms.

    What does not depend on the phrase is worked out once per message: where each atom
    stands, whether a slot can begin at a position, and the runs a slot matches from
    there. Phrases share their slots' trees (see :meth:`Lexicon._shared_slot`), so a
    class used by forty rules is unfolded once per position, not forty times; and a slot
    is not unfolded at all where none of its first atoms stands.
    """

    def __init__(self, words: Sequence[Word], hits: list[dict[int, str]],
                 joined: list[dict[int, str]]) -> None:
        self.words = words
        self.hits = hits
        self.joined = joined
        self.present: set[int] = set().union(*hits, *joined)
        # The atoms a run may begin with at each position: the word's own, and those of
        # the word read together with the next one.
        self.starting: list[set[int]] = []
        for position, atoms in enumerate(hits):
            starting = set(atoms)
            if position < len(joined):
                starting.update(joined[position])
            self.starting.append(starting)
        # Where each atom may begin a run, first position first.
        self._positions: dict[int, list[int]] = defaultdict(list)
        for position, starting in enumerate(self.starting):
            for atom in starting:
                self._positions[atom].append(position)
        self._starts: dict[int, list[int]] = {}
        # breaks[i]: how many of the first i words stand after clause-ending punctuation.
        self._breaks = list(itertools.accumulate((w.after_break for w in words), initial=0))
        self._runs: dict[tuple[int, int], list[_Run]] = {}

    def starts(self, slot: _Slot) -> list[int]:
        """Return the positions where a run of the slot can begin, in order.

        Where one of its first atoms stands and its second one (or its end) follows:
        a cheaper test than unfolding the slot, which most first words open in vain.
        """
        found = self._starts.get(id(slot.tree))
        if found is None:
            atoms = slot.firsts.intersection(self.present)
            places = (self._positions[next(iter(atoms))] if len(atoms) == 1
                      else sorted({p for atom in atoms for p in self._positions[atom]}))
            found = self._starts[id(slot.tree)] = [p for p in places
                                                   if self._opens(slot.tree, atoms, p)]
        return found

    def _opens(self, tree: Mapping[int, Any], atoms: Iterable[int], start: int) -> bool:
        """Whether a run of ``tree`` beginning with one of ``atoms`` can begin at ``start``.

        The first two steps of _run_ends, as a yes or no.
        """
        for step, found in ((1, self.hits), (2, self.joined)):
            if start >= len(found):
                continue
            here = found[start]
            after = self.starting[start + step] if start + step < len(self.starting) else ()
            for atom in atoms:
                if atom in here:
                    node = tree[atom]
                    if _RUN_ENDS in node or not node.keys().isdisjoint(after):
                        return True
        return False

    def rank(self, slot: _Slot, start: int) -> int:
        """Return the place of the first atom at ``start`` that begins one of the slot's runs.

        In the order the position's set yields its atoms (see :class:`_PhraseIndex`).
        """
        return next(i for i, atom in enumerate(self.starting[start]) if atom in slot.firsts)

    def _run_ends(self, node: Mapping[int, Any], start: int, positions: tuple[int, ...],
                  hows: tuple[str, ...], out: list[_Run]) -> None:
        """Add (end, positions, hows) to ``out`` for each run of ``node``'s tree from ``start``.

        Depth first, a run's end before its longer runs, one word before two words read
        as one; at each node in the order of the smaller of the node and the word's atoms.
        """
        if _RUN_ENDS in node:
            out.append((start, positions, hows))
        for step, found in ((1, self.hits), (2, self.joined)):
            if start >= len(found):
                continue
            here = found[start]
            pairs = [(a, here[a]) for a in node if a in here] if len(node) < len(here) \
                else [(a, h) for a, h in here.items() if a in node]
            for atom, how in pairs:
                self._run_ends(node[atom], start + step,
                               positions + ((start,) if step == 1 else (start, start + 1)),
                               hows + (how,) * step, out)

    def _runs_at(self, slot: _Slot, here: int) -> list[_Run]:
        """Return the runs of ``slot`` matched from ``here``, closest matches first."""
        key = (id(slot.tree), here)
        runs = self._runs.get(key)
        if runs is None:
            runs = self._runs[key] = []
            self._run_ends(slot.tree, here, (), (), runs)
            if len(runs) > 1:
                # Exact matches first, so the explanation names the closest lexicon word.
                runs.sort(key=lambda o: sum(_HOW_RANK[h] for h in o[2]))
        return runs

    def sequence(self, slots: Sequence[_Slot], start: int, crosses_breaks: bool
                 ) -> tuple[tuple[int, ...], tuple[str, ...]] | None:
        """Return the words and hows of the shortest match of ``slots`` beginning at ``start``."""
        return self._from(slots, 0, start, start, crosses_breaks)

    def _from(self, slots: Sequence[_Slot], index: int, position: int, first: int,
              crosses_breaks: bool) -> tuple[tuple[int, ...], tuple[str, ...]] | None:
        if index == len(slots):
            return (), ()
        slot = slots[index]
        gap = 0 if index == 0 else slot.gap
        for skip in range(gap + 1):
            here = position + skip
            if here >= len(self.words):
                return None
            # Skips go left to right, so a break here blocks every longer skip too.
            if not crosses_breaks and here > first and self.words[here].after_break:
                return None
            if slot.firsts.isdisjoint(self.starting[here]):
                continue  # no run of the slot can begin here (every run has an atom)
            for end, positions, hows in self._runs_at(slot, here):
                if not crosses_breaks and self._breaks[end] > self._breaks[here + 1]:
                    continue
                rest = self._from(slots, index + 1, end, first, crosses_breaks)
                if rest is not None:
                    return positions + rest[0], hows + rest[1]
        return None


# -- reading files ----------------------------------------------------------------------


@dataclass(frozen=True)
class _ExceptionSpec:
    phrase: str
    cancels: frozenset[str]
    when: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class _RuleSpec:
    phrase: str
    unless: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class _FileSpec:
    name: str
    language: str
    stemming: bool
    classes: dict[str, tuple[str, ...]]
    urgent: dict[str, tuple[_RuleSpec, ...]]
    exceptions: tuple[_ExceptionSpec, ...]
    ordinary: frozenset[str]
    calming: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def parse(cls, name: str, raw: object) -> _FileSpec:
        if not isinstance(raw, Mapping):
            raise LexiconError(f"{name}: must be a mapping with language, urgent, ...")
        unknown = set(raw) - _KEYS
        if unknown:
            raise LexiconError(f"{name}: unknown key {sorted(map(str, unknown))[0]!r}")
        language = raw.get("language")
        if language not in (*LOCALES, ANY_LANGUAGE):
            raise LexiconError(f"{name}: language: {language!r} is not one of {LOCALES}, "
                               f"or {ANY_LANGUAGE!r} for rules made of classes only")
        stemming = raw.get("stemming", False)
        if not isinstance(stemming, bool):
            raise LexiconError(f"{name}: stemming: must be true or false")
        classes = {
            str(key): _strings(words, f"{name}: classes.{key}")
            for key, words in _mapping(raw.get("classes", {}), f"{name}: classes").items()
        }
        for key in classes:
            if not re.fullmatch(r"[a-z][a-z0-9_-]*", key):
                raise LexiconError(f"{name}: classes.{key}: names are lower-case words")
        urgent_raw = _mapping(raw.get("urgent", {} if language == ANY_LANGUAGE else None),
                              f"{name}: urgent")
        urgent: dict[str, tuple[_RuleSpec, ...]] = {}
        for category, phrases in urgent_raw.items():
            if category not in CATEGORIES:
                raise LexiconError(
                    f"{name}: urgent.{category}: unknown category (one of {', '.join(CATEGORIES)})"
                )
            where = f"{name}: urgent.{category}"
            entries = _list(phrases, where)
            if not entries:
                raise LexiconError(f"{where}: must not be empty")
            urgent[str(category)] = tuple(_rule(entry, f"{where}[{index}]")
                                          for index, entry in enumerate(entries))
        missing = [c for c in CATEGORIES if c not in urgent]
        if missing and language != ANY_LANGUAGE:
            raise LexiconError(f"{name}: urgent.{missing[0]}: missing; every category needs "
                               "phrases in every language")
        exceptions: list[_ExceptionSpec] = []
        for index, entry in enumerate(_list(raw.get("exceptions", []), f"{name}: exceptions")):
            where = f"{name}: exceptions[{index}]"
            if not isinstance(entry, Mapping):
                raise LexiconError(f"{where}: must be a mapping with phrase and reason")
            unknown = set(entry) - _EXCEPTION_KEYS
            if unknown:
                raise LexiconError(f"{where}: unknown key {sorted(map(str, unknown))[0]!r}")
            phrase = entry.get("phrase")
            reason = entry.get("reason")
            if not isinstance(phrase, str) or not phrase.strip():
                raise LexiconError(f"{where}.phrase: must be a non-empty text")
            if not isinstance(reason, str) or not reason.strip():
                raise LexiconError(f"{where}.reason: say why this is not an emergency")
            cancels = _strings(entry.get("cancels", list(CATEGORIES)), f"{where}.cancels")
            for category in cancels:
                if category not in CATEGORIES:
                    raise LexiconError(f"{where}.cancels: unknown category {category!r}")
            when = _strings(entry.get("when", []), f"{where}.when", allow_empty=True)
            exceptions.append(_ExceptionSpec(phrase, frozenset(cancels), when, reason))
        ordinary = frozenset(
            w for text in _strings(raw.get("ordinary", []), f"{name}: ordinary",
                                   allow_empty=True)
            for w in folded_words(text)
        )
        calming: dict[str, tuple[str, ...]] = {}
        for kind, signals in _mapping(raw.get("calming", {}), f"{name}: calming").items():
            if kind not in CALMING_KINDS:
                raise LexiconError(f"{name}: calming.{kind}: unknown kind (one of "
                                   f"{', '.join(CALMING_KINDS)})")
            calming[kind] = _strings(signals, f"{name}: calming.{kind}")
        return cls(name, str(language), stemming, classes, urgent, tuple(exceptions), ordinary,
                   calming)


def _rule(entry: object, where: str) -> _RuleSpec:
    """Read one rule under ``urgent:``: a phrase, or {phrase, unless, reason}."""
    if not isinstance(entry, Mapping):
        if isinstance(entry, bool) or not isinstance(entry, str | int) or not str(entry).strip():
            raise LexiconError(f"{where}: must be a non-empty text, or a mapping with phrase, "
                               "unless and reason")
        return _RuleSpec(str(entry).strip())
    unknown = set(entry) - _RULE_KEYS
    if unknown:
        raise LexiconError(f"{where}: unknown key {sorted(map(str, unknown))[0]!r}")
    phrase, reason = entry.get("phrase"), entry.get("reason")
    if not isinstance(phrase, str) or not phrase.strip():
        raise LexiconError(f"{where}.phrase: must be a non-empty text")
    if "unless" not in entry:
        raise LexiconError(f"{where}.unless: a rule written as a mapping needs its exceptions")
    unless = _strings(entry["unless"], f"{where}.unless")
    if not isinstance(reason, str) or not reason.strip():
        raise LexiconError(f"{where}.reason: say why the rule does not fire there")
    return _RuleSpec(phrase.strip(), unless, reason.strip())


def _mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise LexiconError(f"{where}: must be a mapping")
    return {str(k): v for k, v in value.items()}


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise LexiconError(f"{where}: must be a list")
    return value


def _strings(value: object, where: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    items = _list(value, where)
    if not items and not allow_empty:
        raise LexiconError(f"{where}: must not be empty")
    for index, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, str | int) or not str(item).strip():
            raise LexiconError(f"{where}[{index}]: must be a non-empty text")
    return tuple(str(item).strip() for item in items)


def read_lexicon(folder: Path) -> Lexicon:
    """Read and compile every ``*.yaml`` vocabulary file in ``folder``.

    Raises:
        LexiconError: A file is missing, unreadable or malformed; the message names it.
    """
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise LexiconError(f"{folder}: no triage vocabulary files (*.yaml)")
    files: dict[str, object] = {}
    for path in paths:
        try:
            files[str(path)] = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
        except (OSError, yaml.YAMLError) as error:
            raise LexiconError(f"{path}: cannot be read: {error}") from None
    return Lexicon(files)  # type: ignore[arg-type]
