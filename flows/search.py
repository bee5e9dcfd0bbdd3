"""Find the services that fit a resident's own words, in any of our eight languages.

Residents write on a phone, often in their second language: typos, no å/ä/ö, slang,
whole stories, and Swedish words from letters inside Arabic or Somali sentences. The
ranking is BM25F (a well-understood, explainable text ranking) over each service's
title, resident ``words`` and description, in all eight languages at once:

- every query word is matched against the terms of ALL languages, so "försörjningsstöd"
  in a Tigrinya sentence still counts; terms of the resident's own language weigh more;
- a word matches a term exactly, by stem (Snowball where a language has one, light
  suffix stripping for Ukrainian and Somali, consonant skeletons for Tigrinya), by a
  small typo (rapidfuzz edit distance, found through a deletion index rather than by
  scanning every term), as a prefix, as a compound of two terms, or joined with the
  next word ("forsorjnings stod");
- multi-word resident phrases ("betala hyran") give a bonus only when all their words
  are there, so one common word does not pass for the whole phrase.

Each hit carries the matches that produced its score, so staff can see why a service
came up, and a ``confident`` flag: when nothing fits well (the weather, a parking fine)
the bot says so honestly and offers the menu and a person instead of guessing.

A long message (a whole story, up to Telegram's 4,096 characters) is not one big query:
scored as one, its many words add up to weak matches everywhere and every service looks
confident. It is read in passages of a few sentences, each ranked like a question; a
service's score is its best passage's, plus a share of the others' (a worry told again in
other words counts more; a word said twice counts once, as within a question), each
weighed by where the passage stands: the start, where residents usually say what they
need, weighs most.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Final

from rapidfuzz.distance import OSA

from flows.catalogue import Catalogue, Service
from flows.language import (
    ALL_STOP_WORDS,
    DEFAULT_LOCALE,
    LOCALES,
    SCRIPT_LOCALES,
    detect_language,
    ethiopic_skeleton,
    fold,
    match_key,
    script_of,
)

FIELDS: Final = ("title", "words", "description")
# A resident's word that staff listed as a "word residents use" says more than the same
# word somewhere in a description.
FIELD_WEIGHTS: Final = {"title": 2.5, "words": 3.0, "description": 0.8}
# Length normalisation per field: descriptions differ in length, word lists are lists.
FIELD_B: Final = {"title": 0.3, "words": 0.0, "description": 0.75}
K1: Final = 1.2
OWN_LANGUAGE: Final = 1.0
OTHER_LANGUAGE: Final = 0.7
# Swedish words are the ones residents meet in letters and hear from staff ("bistånd",
# "hemtjänst"), whatever language they write in: they weigh almost as their own.
SWEDISH_TERMS: Final = 0.85
_SWEDISH_BIT: Final = 1 << LOCALES.index("sv")
_LOCALE_BITS: Final = {locale: 1 << number for number, locale in enumerate(LOCALES)}
# A service whose description merely mentions a word (often another service's name:
# "call Socialjouren") counts this much when measuring how specific the word is (IDF).
DESCRIPTION_DF_SHARE: Final = 0.25
# How much each kind of match is worth, compared with the exact word.
QUALITY: Final = {
    "exact": 1.0,
    "stem": 0.95,
    "joined": 0.9,
    "fuzzy1": 0.8,
    "fuzzy2": 0.65,
    "compound": 0.7,
    "prefix": 0.6,
}
PHRASE_BONUS: Final = 0.8
# A hit is confident when its score is high enough AND at least one match is a strong
# one on a whole resident word: weak matches (a description word, one word of a longer
# phrase like "old" in "old people", a title verb) add up in an off-topic question but
# are not an answer. Tuned on the dev questions (tests/data/search/dev), never on the
# holdout.
CONFIDENT_SCORE: Final = 3.6
CONFIDENT_MATCH: Final = 3.0
# ... or when many curated matches agree, none of them strong alone ("first time",
# "contacting", "social services" all point at Mottagningen).
CONFIDENT_AGREEING_SCORE: Final = 7.0
STRONG_FIELDS: Final = frozenset({"title", "words"})
# Words in more than this share of services say almost nothing (IDF near zero); skipping
# them keeps queries fast on big catalogues.
_MAX_DF_SHARE: Final = 0.6
_MIN_FUZZY_LEN: Final = 5
_MIN_PREFIX_LEN: Final = 5
# A prefix must cover this share of the word ("kronofogden" in "kronofogdenilla").
_MIN_PREFIX_SHARE: Final = 0.6
_MIN_COMPOUND_PART: Final = 3
# A long message is read in passages of whole sentences of about this many words (a
# question is one passage, searched exactly as before). These three figures were tuned
# on long messages made from the dev questions only (bench/search.py prints them).
PASSAGE_WORDS: Final = 30
# The weight of a passage falls from 1 at the start of the message to this at its end.
LAST_PASSAGE_WEIGHT: Final = 0.35
# The share of a service's other passages' scores added to its best passage's.
OTHER_PASSAGES_SHARE: Final = 0.3
# Where a sentence ends (Latin and Cyrillic, Arabic "؟" and "۔", Ethiopic "።" and "፧"), or a line.
_SENTENCE_END: Final = re.compile(r"(?<=[.!?؟۔።፧])\s+|\s*\n\s*")
# Languages that write compounds as one word ("matpengar", "pysäköintisakko"); in the
# others a split would mostly find accidental pieces.
COMPOUNDING: Final = frozenset({"sv", "fi"})
_TOKEN = re.compile(r"\w+")
# Apostrophes inside words ("ra'yi", "п'є", "can't") are typed or left out at will.
_APOSTROPHES = str.maketrans({"'": "", "’": "", "ʼ": "", "`": "", "\u200c": ""})
# Arabic words carry "and", "the", "with" as prefixes the stemmer does not always remove.
_ARABIC_PREFIXES: Final = tuple(
    fold(prefix) for prefix in ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ب", "ف", "ل", "ك")
)
# Tigrinya prepositions and verb prefixes written onto the word, as consonant skeletons.
_TIGRINYA_PREFIXES: Final = tuple(
    ethiopic_skeleton(prefix)
    for prefix in ("ካብ", "ኣብ", "ናብ", "ምስ", "ን", "ብ", "ክ", "ዝ", "ይ", "ተ", "ም", "ኣ")
)
_TIGRINYA_SUFFIXES: Final = tuple(
    ethiopic_skeleton(suffix) for suffix in ("ኩም", "ክን", "ኦም", "ና", "ይ", "ካ", "ኪ", "ን", "ዉ")
)


@dataclass(frozen=True)
class Match:
    """One reason a service scored: a resident's word met a catalogue term.

    Attributes:
        query_word: the word as the resident wrote it (lower case).
        term: the catalogue word it met, as staff wrote it.
        locale: the catalogue language the term is written in.
        field: where the term is: title, words or description.
        kind: exact, stem, joined, fuzzy1, fuzzy2 (typos), compound or prefix.
        weight: what this match added to the service's score.
        whole: the term is a whole resident word or phrase from ``words`` (not one word
            of a longer phrase, not a title or description word): a strong sign.
    """

    query_word: str
    term: str
    locale: str
    field: str
    kind: str
    weight: float
    whole: bool = False

    def __str__(self) -> str:
        return (
            f"{self.query_word} ~ {self.term} ({self.locale} {self.field}, {self.kind}) "
            f"+{self.weight:.2f}"
        )


@dataclass(frozen=True)
class Hit:
    """A service that fits, with its score and the matches that explain it."""

    service_id: str
    score: float
    confident: bool
    matched: tuple[Match, ...]


@dataclass(frozen=True)
class SearchResult:
    """The services that fit a text, best first, and the language of the answer.

    Attributes:
        language: the locale given, or detected from the text ("sv" when unclear).
        hits: the best services, best first (possibly empty).
    """

    language: str
    hits: tuple[Hit, ...]

    @property
    def answered(self) -> bool:
        """Tell whether the best hit is good enough to show as the answer."""
        return bool(self.hits) and self.hits[0].confident


@dataclass(frozen=True)
class _Posting:
    """A term key in the services that have it, as parallel tuples (fast to scan)."""

    services: tuple[int, ...]
    weights: tuple[float, ...]  # BM25F field-weighted term frequency, best locale
    locales: tuple[int, ...]  # bit mask of the locales the key occurs in
    # (term, locale, field, whole) that best explains it; whole: a resident word listed on
    # its own, not one word of a longer phrase.
    origins: tuple[tuple[str, str, str, bool], ...]
    idfs: tuple[float, ...]  # how specific the key is, seen from each service (see _build)
    idf: float  # the plain IDF; zero for keys too common to be worth scanning


@dataclass
class _Counted:
    """What a message has scored so far, and the index keys found for its words.

    A long message is ranked passage by passage; its words come back often, and finding
    a word's keys (typos, compounds, prefixes) is the slow part.
    """

    keys: set[str]
    phrases: set[tuple[int, str]]
    candidates: dict[tuple[str, str, bool], list[_Candidate]]

    @classmethod
    def fresh(cls) -> _Counted:
        """Return the state of a message nothing has been scored of yet."""
        return cls(set(), set(), {})

    def candidates_of(
        self, index: SearchIndex, raw: str, folded: str, *, compounds: bool = True
    ) -> list[_Candidate]:
        """Return :meth:`SearchIndex.candidates` of one word, found once per message."""
        found = self.candidates.get((raw, folded, compounds))
        if found is None:
            found = index.candidates(raw, folded, compounds=compounds)
            self.candidates[(raw, folded, compounds)] = found
        return found


@dataclass(frozen=True)
class _Candidate:
    key: str
    kind: str
    quality: float


class SearchIndex:
    """An inverted index over one catalogue; build it once and reuse it."""

    def __init__(self, catalogue: Catalogue) -> None:
        """Index every service's title, words and description in every locale."""
        # No reference to the catalogue itself: the index lives in a WeakKeyDictionary keyed
        # by the catalogue, and a value pointing back at its key would never be freed.
        self.service_ids = catalogue.ids
        self.postings: dict[str, _Posting] = {}
        # Multi-word resident phrases per service, as tuples of keys.
        self.phrases: list[list[tuple[tuple[str, ...], str, str]]] = []
        self._build(catalogue)
        self._deletes = _deletion_index(self.postings)

    # -- building ------------------------------------------------------------------------

    def _build(self, catalogue: Catalogue) -> None:
        # Pass 1: the content words of every text, and each text's length.
        texts: list[list[tuple[str, str, list[tuple[str, list[tuple[str, tuple[str, ...]]]]]]]]
        texts = []
        lengths: dict[tuple[int, str, str], float] = {}
        for number, service in enumerate(catalogue):
            groups = []
            phrases: list[tuple[tuple[str, ...], str, str]] = []
            for locale, field, units in _texts(service):
                tokenised = [(unit, _unit_keys(unit, locale)) for unit in units]
                tokenised = [(unit, tokens) for unit, tokens in tokenised if tokens]
                if field == "words":
                    lengths[(number, locale, field)] = float(len(tokenised))
                    for unit, tokens in tokenised:
                        if len(tokens) > 1:
                            keys = tuple(min(k, key=len) for _, k in tokens)
                            phrases.append((keys, unit, locale))
                else:
                    lengths[(number, locale, field)] = float(sum(len(t) for _, t in tokenised))
                groups.append((locale, field, tokenised))
            # Resident words first, so a term is explained by the strongest field it is in.
            groups.sort(key=lambda group: -FIELD_WEIGHTS[group[1]])
            texts.append(groups)
            self.phrases.append(phrases)
        averages = _average_lengths(lengths)
        total = len(catalogue)
        # Pass 2: per service, each key's BM25F weight per locale; keep the best locale.
        grouped: dict[str, list[tuple[int, float, int, tuple[str, str, str, bool], bool]]] = {}
        for number, groups in enumerate(texts):
            weights: dict[str, dict[str, float]] = {}
            origins: dict[str, dict[str, tuple[str, str, bool]]] = {}
            curated: set[str] = set()
            for locale, field, tokenised in groups:
                b = FIELD_B[field]
                norm = 1.0 - b + b * lengths[(number, locale, field)] / averages[(locale, field)]
                factor = FIELD_WEIGHTS[field] / max(norm, 0.1)
                frequencies: dict[str, float] = {}
                for unit, tokens in tokenised:
                    if field == "words":
                        # One word of a resident phrase ("betala hyran") is only a hint: it
                        # counts for a small share, and the whole phrase earns a bonus.
                        share = 1.0 if len(tokens) == 1 else 0.5 / len(tokens)
                    else:
                        share = 1.0
                    whole = field == "words" and share == 1.0
                    for raw, keys in tokens:
                        for key in keys:
                            if field == "words":
                                # A list, not prose: listing a word twice says nothing more.
                                if share > frequencies.get(key, 0.0):
                                    frequencies[key] = share
                            else:
                                frequencies[key] = frequencies.get(key, 0.0) + 1.0
                            by_locale = origins.setdefault(key, {})
                            known = by_locale.get(locale)
                            if known is None or (whole and known[1] == field and not known[2]):
                                by_locale[locale] = (
                                    unit if field == "words" else raw,
                                    field,
                                    whole,
                                )
                if field != "description":
                    curated.update(frequencies)
                for key, frequency in frequencies.items():
                    per_locale = weights.setdefault(key, {})
                    per_locale[locale] = per_locale.get(locale, 0.0) + factor * frequency
            for key, per_locale in weights.items():
                best_locale = max(per_locale, key=per_locale.__getitem__)
                mask = 0
                for locale in per_locale:
                    mask |= _LOCALE_BITS[locale]
                term, field, whole = origins[key][best_locale]
                grouped.setdefault(key, []).append(
                    (
                        number,
                        per_locale[best_locale],
                        mask,
                        (term, best_locale, field, whole),
                        key in curated,
                    )
                )
        for key, rows in grouped.items():
            frequency = len(rows)
            idf = _idf(total, frequency)
            # Where staff chose the word (title, resident words), descriptions that merely
            # mention it do not make it less specific; description-only rows keep plain IDF.
            specific = _idf(total, sum(1.0 if r[4] else DESCRIPTION_DF_SHARE for r in rows))
            self.postings[key] = _Posting(
                services=tuple(row[0] for row in rows),
                weights=tuple(row[1] for row in rows),
                locales=tuple(row[2] for row in rows),
                origins=tuple(row[3] for row in rows),
                idfs=tuple(specific if row[4] else idf for row in rows),
                idf=idf if frequency <= _MAX_DF_SHARE * total else 0.0,
            )

    # -- matching one word ---------------------------------------------------------------

    def candidates(self, raw: str, folded: str, *, compounds: bool = True) -> list[_Candidate]:
        """Return the index keys one query word may stand for, best kind of match first."""
        found: dict[str, _Candidate] = {}

        def add(key: str, kind: str) -> None:
            posting = self.postings.get(key)
            if posting is None or posting.idf <= 0.0:
                return
            if key not in found or QUALITY[kind] > found[key].quality:
                found[key] = _Candidate(key, kind, QUALITY[kind])

        add(folded, "exact")
        stems = _query_stems(raw, folded)
        for key in stems:
            add(key, "stem")
        if found:
            return sorted(found.values(), key=lambda c: -c.quality)
        for base in {folded, *stems}:
            for key, distance in self._near(base):
                add(key, "fuzzy1" if distance == 1 else "fuzzy2")
        if found:
            return sorted(found.values(), key=lambda c: -c.quality)
        for key in self._compound(folded) if compounds else ():
            add(key, "compound")
        if not found:
            prefix = self._longest_prefix(folded, stems)
            if prefix is not None:
                add(prefix, "prefix")
        return sorted(found.values(), key=lambda c: -c.quality)

    def _near(self, word: str) -> Iterable[tuple[str, int]]:
        """Yield keys within a typo or two of ``word``, via the deletion index."""
        allowed = _allowed_edits(word)
        if allowed == 0:
            return
        seen: set[str] = set()
        options = {word, *_deletes(word)}
        for option in options:
            for key in self._deletes.get(option, ()):
                seen.add(key)
            if option in self.postings:
                seen.add(option)
        for key in seen:
            distance = OSA.distance(word, key, score_cutoff=allowed)
            if 0 < distance <= allowed and _allowed_edits(key) > 0:
                yield key, distance

    def _compound(self, folded: str) -> list[str]:
        """Return two keys that ``folded`` is made of ("matpengar": mat + pengar), if any."""
        if len(folded) < 2 * _MIN_COMPOUND_PART + 1 or script_of(folded) == "ethiopic":
            return []
        best: list[str] = []
        best_shortest = 0
        for cut in range(_MIN_COMPOUND_PART, len(folded) - _MIN_COMPOUND_PART + 1):
            head, tail = folded[:cut], folded[cut:]
            heads = [head, head[:-1]] if head.endswith("s") and len(head) > 4 else [head]
            for part in heads:
                left = self._known(part)
                right = self._known(tail)
                shortest = min(len(part), len(tail))
                if left and right and shortest > best_shortest:
                    best, best_shortest = [left, right], shortest
        return best

    def _known(self, part: str) -> str | None:
        if len(part) < _MIN_COMPOUND_PART or part in ALL_STOP_WORDS:
            return None
        if part in self.postings and self.postings[part].idf > 0:
            return part
        # Compound parts are Swedish or Finnish words: only their stemmers are worth asking.
        for locale in COMPOUNDING:
            key = _match_key(part, locale)
            if key in self.postings and self.postings[key].idf > 0:
                return key
        return None

    def _longest_prefix(self, folded: str, stems: set[str]) -> str | None:
        """Return the longest key that starts ``folded`` and covers at least half of it."""
        minimum = 3 if script_of(folded) == "ethiopic" else _MIN_PREFIX_LEN
        for word in sorted({folded, *stems}, key=len, reverse=True):
            for end in range(len(word) - 1, minimum - 1, -1):
                if end < _MIN_PREFIX_SHARE * len(word):
                    break
                key = word[:end]
                if key in self.postings and (end >= _MIN_PREFIX_LEN or minimum == 3):
                    return key
        return None


_indexes: weakref.WeakKeyDictionary[Catalogue, SearchIndex] = weakref.WeakKeyDictionary()


def index_for(catalogue: Catalogue) -> SearchIndex:
    """Return the search index of ``catalogue``, building it the first time."""
    index = _indexes.get(catalogue)
    if index is None:
        index = SearchIndex(catalogue)
        _indexes[catalogue] = index
    return index


def search(
    catalogue: Catalogue, text: str, *, locale: str | None = None, limit: int = 3
) -> SearchResult:
    """Rank the catalogue's services against a resident's free text.

    Args:
        catalogue: the services to search.
        text: what the resident wrote, in any of our languages or a mix.
        locale: the resident's language if known; detected from ``text`` when None.
        limit: how many hits to return at most.

    Returns:
        The language of the answer and the best hits, best first. ``answered`` is
        False when nothing fits well enough to show. A text longer than
        :data:`PASSAGE_WORDS` words is read in passages (see :func:`passages`); its
        confident hits come first.

    Raises:
        ValueError: ``locale`` is not one of :data:`flows.language.LOCALES`.
    """
    if locale is not None and locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}; use one of {', '.join(LOCALES)}")
    language = locale or detect_language(text) or DEFAULT_LOCALE
    index = index_for(catalogue)
    parts = passages(text)
    if len(parts) <= 1:
        return SearchResult(language=language, hits=_rank(index, text, language, limit))
    return SearchResult(language=language, hits=_merge(index, parts, language, limit))


def _rank(
    index: SearchIndex, text: str, language: str, limit: int, counted: _Counted | None = None
) -> tuple[Hit, ...]:
    """Rank the services against one text (a question, or one passage of a long message).

    ``counted``: what earlier passages of the same message already scored, so a word or
    phrase that comes back adds nothing again (as within one question); updated here.
    """
    counted = counted if counted is not None else _Counted.fresh()
    own_bit = 1 << LOCALES.index(language)
    tokens = [t for t in _tokens(text) if t[1] not in ALL_STOP_WORDS and not t[1].isdigit()]
    scores: dict[int, float] = {}
    reasons: dict[int, list[tuple[float, str, _Candidate, int]]] = {}
    used_keys = counted.keys
    matched_keys: set[str] = set()

    def score_word(word: str, candidates: list[_Candidate]) -> None:
        best: dict[int, tuple[float, _Candidate, int]] = {}
        for candidate in candidates:
            if candidate.key in used_keys:
                continue
            posting = index.postings[candidate.key]
            for row, number in enumerate(posting.services):
                weight = posting.weights[row]
                mask = posting.locales[row]
                language_weight = (
                    OWN_LANGUAGE
                    if mask & own_bit
                    else SWEDISH_TERMS
                    if mask & _SWEDISH_BIT
                    else OTHER_LANGUAGE
                )
                value = (
                    posting.idfs[row]
                    * weight
                    * (K1 + 1.0)
                    / (weight + K1)
                    * candidate.quality
                    * language_weight
                )
                if number not in best or value > best[number][0]:
                    best[number] = (value, candidate, row)
        for candidate in candidates:
            used_keys.add(candidate.key)
            if candidate.quality >= QUALITY["fuzzy1"]:
                matched_keys.add(candidate.key)
        for number, (value, candidate, row) in best.items():
            scores[number] = scores.get(number, 0.0) + value
            reasons.setdefault(number, []).append((value, word, candidate, row))

    matched_alone: list[bool] = []
    for raw, folded in tokens:
        candidates = counted.candidates_of(index, raw, folded, compounds=language in COMPOUNDING)
        matched_alone.append(any(c.quality >= QUALITY["stem"] for c in candidates))
        score_word(raw, candidates)
    # A word split in two by the resident ("forsorjnings stod") is tried joined.
    for position in range(len(tokens) - 1):
        if matched_alone[position] and matched_alone[position + 1]:
            continue
        (raw_a, folded_a), (raw_b, folded_b) = tokens[position], tokens[position + 1]
        joined = [
            _Candidate(c.key, "joined", QUALITY["joined"])
            for c in counted.candidates_of(index, raw_a + raw_b, folded_a + folded_b)
            if c.kind in ("exact", "stem")
        ]
        if joined:
            score_word(f"{raw_a} {raw_b}", joined)

    ranked = sorted(scores, key=lambda number: -scores[number])
    for number in ranked[: max(limit, 10)]:
        for keys, phrase, phrase_locale in index.phrases[number]:
            if (number, phrase) not in counted.phrases and all(key in matched_keys for key in keys):
                counted.phrases.add((number, phrase))
                bonus = PHRASE_BONUS * sum(index.postings[key].idf for key in keys)
                scores[number] += bonus
                reasons[number].append(
                    (bonus, phrase, _Candidate(phrase_locale, "phrase", 1.0), -1)
                )
    ranked = sorted(scores, key=lambda number: (-scores[number], number))
    hits = []
    for number in ranked[:limit]:
        matched = tuple(
            _explain(index, number, value, word, candidate, row)
            for value, word, candidate, row in sorted(reasons[number], key=lambda r: -r[0])
        )
        score = round(scores[number], 4)
        curated = [m for m in matched if m.field in STRONG_FIELDS]
        strong = any(m.whole and m.weight >= CONFIDENT_MATCH for m in matched) or (
            score >= CONFIDENT_AGREEING_SCORE and len(curated) >= 2
        )
        hits.append(
            Hit(
                service_id=index.service_ids[number],
                score=score,
                confident=score >= CONFIDENT_SCORE and strong,
                matched=matched,
            )
        )
    return tuple(hits)


def _explain(
    index: SearchIndex, number: int, value: float, word: str, candidate: _Candidate, row: int
) -> Match:
    if candidate.kind == "phrase":
        # For a phrase bonus the candidate's key holds the phrase's locale.
        return Match(word, word, candidate.key, "words", "phrase", round(value, 4), whole=True)
    term, locale, field, whole = index.postings[candidate.key].origins[row]
    return Match(word, term, locale, field, candidate.kind, round(value, 4), whole=whole)


# -- long messages -----------------------------------------------------------------------


def passages(text: str) -> list[str]:
    """Return ``text`` in passages of whole sentences, about :data:`PASSAGE_WORDS` words each.

    A text of up to that many words is one passage, as it is. A sentence longer than a
    passage (a story typed on a phone often has no full stop) is cut between words.
    """
    if len(_TOKEN.findall(text)) <= PASSAGE_WORDS:
        return [text]
    pieces: list[tuple[str, int]] = []
    for sentence in _SENTENCE_END.split(text):
        spans = [word.span() for word in _TOKEN.finditer(sentence)]
        if len(spans) <= PASSAGE_WORDS:
            if spans:
                pieces.append((sentence, len(spans)))
            continue
        for first in range(0, len(spans), PASSAGE_WORDS):
            chunk = spans[first : first + PASSAGE_WORDS]
            pieces.append((sentence[chunk[0][0] : chunk[-1][1]], len(chunk)))
    found: list[str] = []
    current: list[str] = []
    count = 0
    for piece, size in pieces:
        if current and count + size > PASSAGE_WORDS:
            found.append(" ".join(current))
            current, count = [], 0
        current.append(piece)
        count += size
    if current:
        found.append(" ".join(current))
    return found


# Each passage's best services that take part in the long message's ranking.
_PASSAGE_HITS: Final = 10


def _merge(index: SearchIndex, parts: list[str], language: str, limit: int) -> tuple[Hit, ...]:
    """Rank the services against a long message, read passage by passage.

    A service scores its best passage's score, plus :data:`OTHER_PASSAGES_SHARE` of its
    other passages', each weighed by where the passage starts in the message. It is
    confident when some passage alone is confident about it, and confident services come
    first: a clear answer in one passage is worth more than weak matches in many.
    """
    sizes = [len(_TOKEN.findall(part)) for part in parts]
    total = max(sum(sizes), 1)
    found: dict[str, list[tuple[float, Hit]]] = {}
    counted = _Counted.fresh()
    before = 0
    for part, size in zip(parts, sizes, strict=True):
        weight = 1.0 - (1.0 - LAST_PASSAGE_WEIGHT) * before / total
        before += size
        for hit in _rank(index, part, language, _PASSAGE_HITS, counted):
            found.setdefault(hit.service_id, []).append((weight, hit))
    order = {service_id: number for number, service_id in enumerate(index.service_ids)}
    hits = []
    for service_id, readings in found.items():
        readings.sort(key=lambda reading: -reading[0] * reading[1].score)
        score = 0.0
        matched: list[Match] = []
        for position, (weight, hit) in enumerate(readings):
            share = weight if position == 0 else weight * OTHER_PASSAGES_SHARE
            score += share * hit.score
            matched.extend(replace(m, weight=round(m.weight * share, 4)) for m in hit.matched)
        matched.sort(key=lambda match: -match.weight)
        confident = any(hit.confident for _, hit in readings)
        hits.append(Hit(service_id, round(score, 4), confident, tuple(matched)))
    hits.sort(key=lambda hit: (not hit.confident, -hit.score, order[hit.service_id]))
    return tuple(hits[:limit])


# -- text helpers ------------------------------------------------------------------------


def _raw_words(text: str) -> list[str]:
    """Return the lower-case words of ``text``, in the form the stemmers expect."""
    lowered = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    return [raw for raw in _TOKEN.findall(lowered) if len(raw) > 1 or raw.isalpha()]


def _tokens(text: str) -> list[tuple[str, str]]:
    """Return (lower-case word, folded word) pairs; the raw form is what stemmers expect."""
    return [(raw, _fold(raw)) for raw in _raw_words(text)]


_fold = functools.lru_cache(maxsize=1 << 17)(fold)


def _texts(service: Service) -> Iterable[tuple[str, str, list[str]]]:
    """Yield (locale, field, units): a title or description is one unit, each word another."""
    for locale, title in service.title.items():
        yield locale, "title", [f"{service.name} {title}"]
    for locale, description in service.description.items():
        yield locale, "description", [description]
    for locale, words in service.words.items():
        yield locale, "words", list(words)


# Snowball's stemmers are pure Python and slow (tens of microseconds a word); residents
# and the catalogue reuse the same words all the time, so a bounded cache pays off.
_match_key = functools.lru_cache(maxsize=1 << 17)(match_key)


def _unit_keys(unit: str, locale: str) -> list[tuple[str, tuple[str, ...]]]:
    """Return each content word of a catalogue text with the keys it is indexed under."""
    result = []
    for raw in _raw_words(unit):
        keys = _word_keys(raw, locale)
        if keys:
            result.append((raw, keys))
    return result


@functools.lru_cache(maxsize=1 << 17)
def _word_keys(raw: str, locale: str) -> tuple[str, ...]:
    """Return the keys one catalogue word is indexed under; none for a stop-word."""
    folded = fold(raw)
    if folded in ALL_STOP_WORDS:
        return ()
    keys = {folded, _match_key(raw, locale), _match_key(folded, locale)}
    return tuple(sorted(key for key in keys if key))


def _query_stems(raw: str, folded: str) -> set[str]:
    """Return the keys a query word may have in each language of its script."""
    script = script_of(folded)
    keys: set[str] = set()
    for locale in SCRIPT_LOCALES[script]:
        keys.add(_match_key(raw, locale))
        if folded != raw:
            keys.add(_match_key(folded, locale))
    if script == "arabic":
        for prefix in _ARABIC_PREFIXES:
            if folded.startswith(prefix) and len(folded) - len(prefix) >= 3:
                rest = folded[len(prefix) :]
                keys.add(rest)
                for locale in SCRIPT_LOCALES[script]:
                    keys.add(_match_key(rest, locale))
    elif script == "ethiopic":
        keys |= _tigrinya_variants(ethiopic_skeleton(folded))
    keys.discard(folded)
    keys.discard("")
    return keys


def _tigrinya_variants(skeleton: str) -> set[str]:
    """Return the skeleton without a written-on preposition, verb prefix or possessive."""
    heads = {skeleton}
    for prefix in _TIGRINYA_PREFIXES:
        if skeleton.startswith(prefix) and len(skeleton) - len(prefix) >= 2:
            heads.add(skeleton[len(prefix) :])
    variants = set(heads)
    for head in heads:
        for suffix in _TIGRINYA_SUFFIXES:
            if head.endswith(suffix) and len(head) - len(suffix) >= 2:
                variants.add(head[: -len(suffix)])
    return variants


def _allowed_edits(word: str) -> int:
    if script_of(word) == "ethiopic":
        # One Ge'ez letter is a whole syllable: one edit is already a big change.
        return 1 if len(word) >= 5 else 0
    if len(word) < _MIN_FUZZY_LEN:
        return 0
    return 1 if len(word) < 8 else 2


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _deletion_index(postings: dict[str, _Posting]) -> dict[str, tuple[str, ...]]:
    """Map each one-letter deletion of every key to the keys it came from.

    Two words within one typo share a deletion (or one is a deletion of the other),
    so a query word finds its near keys with a few dictionary look-ups instead of
    comparing it with every term.
    """
    table: dict[str, set[str]] = {}
    for key in postings:
        if _allowed_edits(key) == 0:
            continue
        for deleted in _deletes(key):
            table.setdefault(deleted, set()).add(key)
    return {deleted: tuple(keys) for deleted, keys in table.items()}


def _idf(total: int, frequency: float) -> float:
    return math.log(1.0 + (total - frequency + 0.5) / (frequency + 0.5))


def _average_lengths(lengths: dict[tuple[int, str, str], float]) -> dict[tuple[str, str], float]:
    sums: dict[tuple[str, str], float] = {}
    counts: dict[tuple[str, str], int] = {}
    for (_, locale, field), length in lengths.items():
        sums[(locale, field)] = sums.get((locale, field), 0.0) + length
        counts[(locale, field)] = counts.get((locale, field), 0) + 1
    return {key: max(sums[key] / counts[key], 1.0) for key in sums}
