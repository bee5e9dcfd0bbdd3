"""Search quality and speed: `.venv/bin/python bench/search.py`.

Prints top-1 and top-3 accuracy per language on the labelled questions (holdout and
dev, see tests/data/search/README.md), then p50/p99 latency per query (language
detection included) on the shipped catalogue and on a generated catalogue of 2,000
services made by varying the real ones.

Then the same questions inside long messages (up to Telegram's 4,096 characters): first
in 2,000 characters of off-topic sentences, last, and two questions 1,000 characters
apart; and the time per 4,096-character message.

Targets: top-3 >= 0.95 in every language; p99 < 5 ms shipped, < 20 ms at 2,000 services;
p99 < 100 ms for a 4,096-character message.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flows.search  # noqa: E402
from flows.catalogue import Catalogue, Service, load_catalogue  # noqa: E402
from flows.language import LOCALES, warm_up  # noqa: E402
from flows.search import SearchIndex, search  # noqa: E402

DATA = ROOT / "tests" / "data" / "search"
SPLITS = ("holdout", "dev")
SYNTHETIC_SIZE = 2000
TARGET_TOP3 = 0.95
TARGET_P99_MS = {"shipped": 5.0, "2000": 20.0}
# A whole story (up to Telegram's 4,096 characters) is read in passages: slower, and rare.
TARGET_LONG_P99_MS = 100.0
OFF = "off-topic"
# Made-up district names for the generated services, built from Swedish-looking parts so
# the vocabulary grows the way a real, bigger catalogue's would.
_PARTS = ("by", "berg", "dal", "holm", "vik", "sjö", "äng", "lund", "torp", "mark", "hed", "ås")
_HEADS = ("Norr", "Söder", "Öster", "Väster", "Stor", "Lill", "Ny", "Gam", "Ek", "Björk", "Tall")


def labelled(split: str, locale: str) -> list[tuple[str, str]]:
    rows = yaml.safe_load((DATA / split / f"{locale}.yaml").read_text(encoding="utf-8"))
    return [(str(expected), str(text)) for expected, text in rows]


def accuracy(catalogue: Catalogue, base_of: dict[str, str] | None = None) -> dict[str, dict]:
    """Return {split: {locale: (top1, top3, n)}}; hit ids map to base ids when given."""
    table: dict[str, dict] = {}
    for split in SPLITS:
        table[split] = {}
        for locale in LOCALES:
            top1 = top3 = count = 0
            for expected, text in labelled(split, locale):
                if expected == "off-topic":
                    continue
                ids = [hit.service_id for hit in search(catalogue, text).hits]
                if base_of is not None:
                    ids = [base_of[i] for i in ids]
                count += 1
                top1 += ids[:1] == [expected]
                top3 += expected in ids
            table[split][locale] = (top1 / count, top3 / count, count)
    return table


def fresh_index(catalogue: Catalogue) -> tuple[SearchIndex, float]:
    """Build the index anew with an empty word cache; return it and the seconds it took.

    Afterwards the cache holds the catalogue's own words, as in a bot that has just
    started, but none of the residents' words.
    """
    flows.search._match_key.cache_clear()
    flows.search._indexes.pop(catalogue, None)
    start = time.perf_counter()
    index = flows.search.index_for(catalogue)
    return index, time.perf_counter() - start


def timed(catalogue: Catalogue, texts: list[str]) -> list[float]:
    timings = []
    for text in texts:
        start = time.perf_counter_ns()
        search(catalogue, text)
        timings.append((time.perf_counter_ns() - start) / 1e6)
    return timings


def latencies(catalogue: Catalogue, texts: list[str], rounds: int = 3) -> tuple[list, list]:
    """Return (first sight, steady) timings in ms.

    First sight: every question once, just after start, so each resident word is new to
    the word cache. Steady: the same questions again, ``rounds`` times.
    """
    fresh_index(catalogue)
    first = timed(catalogue, texts)
    steady = [ms for _ in range(rounds) for ms in timed(catalogue, texts)]
    return first, steady


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def synthetic(catalogue: Catalogue, size: int, seed: int = 2026) -> tuple[Catalogue, dict]:
    """Return ``size`` services varied from the real ones, and each one's original id."""
    rng = random.Random(seed)
    real = list(catalogue)
    services = []
    base_of = {}
    for number in range(size):
        base = real[number % len(real)]
        other = rng.choice(real)
        place = rng.choice(_HEADS) + "".join(rng.choice(_PARTS) for _ in range(rng.randint(1, 2)))
        titles, descriptions, words = {}, {}, {}
        for locale in LOCALES:
            titles[locale] = f"{base.title[locale]} – {place}"
            sentences = base.description[locale].split(". ")
            rng.shuffle(sentences)
            borrowed = rng.choice(other.description[locale].split(". "))
            descriptions[locale] = ". ".join([place, *sentences[1:], borrowed])
            own = list(base.words.get(locale, ()))
            kept = rng.sample(own, k=max(1, int(len(own) * 0.7))) if own else []
            theirs = list(other.words.get(locale, ()))
            extra = rng.sample(theirs, k=min(3, len(theirs)))
            words[locale] = (*kept, *extra, place.lower())
        service_id = f"{base.id}-{number:04d}"
        base_of[service_id] = base.id
        services.append(
            replace(
                base,
                id=service_id,
                name=f"{base.name} {place}",
                title=MappingProxyType(titles),
                description=MappingProxyType(descriptions),
                words=MappingProxyType(words),
            )
        )
    return Catalogue(tuple[Service, ...](services)), base_of


def _sentence(text: str) -> str:
    return text.rstrip(" .?!؟።፧") + "."


def padded(locale: str, split: str, worries: list[str], length: int) -> str:
    """Return ``worries`` followed by the split's off-topic questions until ``length`` chars."""
    noise = [_sentence(text) for expected, text in labelled(split, locale) if expected == OFF]
    parts = [_sentence(worry) for worry in worries]
    while len(" ".join(parts)) < length:
        parts.append(noise[len(parts) % len(noise)])
    return " ".join(parts)


def long_messages(catalogue: Catalogue) -> tuple[dict[str, dict], list[float]]:
    """Return {split: {locale: figures}} on long messages made from the labelled questions.

    - first: the question, then off-topic sentences to 2,000 characters (top-1, answered);
    - last: off-topic sentences first, the question at the end (top-3: all of it is read);
    - two: a question, 1,000 characters later a second one about another service (the
      first should come first, the second still among the top three).
    Also the time per 4,096-character message, in ms.
    """
    table: dict[str, dict] = {}
    timings: list[float] = []
    for split in SPLITS:
        table[split] = {}
        for locale in LOCALES:
            rows = [(e, t) for e, t in labelled(split, locale) if e != OFF]
            tally = dict.fromkeys(("first top1", "answered", "last top3", "two 1st", "two 2nd"), 0)
            for number, (expected, text) in enumerate(rows):
                first = search(catalogue, padded(locale, split, [text], 2000))
                tally["first top1"] += [h.service_id for h in first.hits[:1]] == [expected]
                tally["answered"] += first.answered
                noise = padded(locale, split, [], 2000)
                last = search(catalogue, f"{noise} {_sentence(text)}")
                tally["last top3"] += expected in [h.service_id for h in last.hits]
                other_expected, other = next(
                    row for row in rows[number + 1 :] + rows[:number] if row[0] != expected
                )
                two = padded(locale, split, [text], 1000) + " " + _sentence(other)
                ids = [h.service_id for h in search(catalogue, two).hits]
                tally["two 1st"] += ids[:1] == [expected]
                tally["two 2nd"] += other_expected in ids
                longest = padded(locale, split, [text], 4096)[:4096]
                start = time.perf_counter_ns()
                search(catalogue, longest)
                timings.append((time.perf_counter_ns() - start) / 1e6)
            table[split][locale] = {name: value / len(rows) for name, value in tally.items()}
    return table, timings


def print_long_messages(table: dict[str, dict], timings: list[float]) -> bool:
    print(
        "\nLong messages (labelled questions padded with off-topic sentences; see long_messages())"
    )
    names = list(next(iter(table["dev"].values())))
    print(f"  {'split':8} {'language':8} " + " ".join(f"{name:>10}" for name in names))
    for split in SPLITS:
        for locale in LOCALES:
            cells = " ".join(f"{table[split][locale][name]:10.2f}" for name in names)
            print(f"  {split:8} {locale:8} {cells}")
    p50, p99 = statistics.median(timings), percentile(timings, 0.99)
    ok = p99 < TARGET_LONG_P99_MS
    flag = "ok" if ok else "OVER TARGET"
    print(
        f"  4,096 characters: p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"
        f"   (target p99 < {TARGET_LONG_P99_MS} ms: {flag})"
    )
    return ok


def print_accuracy(title: str, table: dict[str, dict], *, targets: bool = True) -> bool:
    print(f"\n{title}")
    print(f"  {'language':8} " + "  ".join(f"{s + ' top1':>12} {s + ' top3':>12}" for s in SPLITS))
    ok = True
    for locale in LOCALES:
        cells = []
        for split in SPLITS:
            top1, top3, _count = table[split][locale]
            cells.append(f"{top1:12.2f} {top3:12.2f}")
        holdout_top3 = table["holdout"][locale][1]
        flag = "" if holdout_top3 >= TARGET_TOP3 or not targets else f"  < {TARGET_TOP3} target"
        ok &= not flag
        print(f"  {locale:8} " + "  ".join(cells) + flag)
    counts = {split: sum(table[split][loc][2] for loc in LOCALES) for split in SPLITS}
    print(f"  questions: holdout {counts['holdout']}, dev {counts['dev']}")
    return ok


def main() -> int:
    warm_up()
    catalogue = load_catalogue()
    texts = [text for split in SPLITS for loc in LOCALES for _, text in labelled(split, loc)]

    ok = print_accuracy("Accuracy, shipped catalogue (21 services)", accuracy(catalogue))
    ok &= print_long_messages(*long_messages(catalogue))

    start = time.perf_counter()
    big, base_of = synthetic(catalogue, SYNTHETIC_SIZE)
    made = time.perf_counter() - start
    index, built = fresh_index(big)
    print(
        f"\nGenerated catalogue: {len(big)} services, {len(index.postings)} index keys "
        f"(generated in {made:.1f} s, indexed in {built:.1f} s)"
    )
    # Informational: the generated services borrow words from each other on purpose, so
    # this shows how ranking holds up in a crowd, not a target.
    print_accuracy(
        f"Accuracy, generated catalogue ({len(big)} services; a hit counts for the service"
        " it was varied from; informational)",
        accuracy(big, base_of),
        targets=False,
    )

    print(
        f"\nLatency per query, language detection included ({len(texts)} questions; "
        "first sight = each resident word new to the cache, steady = 3 more rounds)"
    )
    for name, subject in (("shipped", catalogue), ("2000", big)):
        first, steady = latencies(subject, texts)
        target = TARGET_P99_MS[name]
        label = f"{len(subject)} services"
        for kind, timings in (("first sight", first), ("steady", steady)):
            p50, p99 = statistics.median(timings), percentile(timings, 0.99)
            flag = "ok" if p99 < target else "OVER TARGET"
            ok &= p99 < target
            print(
                f"  {label:14} {kind:11}  p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"
                f"   (target p99 < {target} ms: {flag})"
            )
    print("\nall targets met" if ok else "\nsome targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
