"""Benchmark triage: quality per language on the labelled splits, and time per message.

Run: .venv/bin/python bench/triage.py [--split holdout|dev] [--lang CODE] [--author NAME]
     [--show] [--rules-only] [--vocabulary DIR]

Quality, per language: "caught" is the share of urgent messages judged urgent or asked
about ("are you safe right now?"), "urgent" the share judged urgent; "alerted" and
"asked" are the shares of calm messages judged urgent and asked about. Targets on the
holdout: caught >= 0.97, urgent >= 0.90, alerted <= 0.05, asked <= 0.10. ``--show``
lists every miss, question and false alarm with its explanation (use it on dev only:
the holdout is for measuring, never for tuning).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.language import LOCALES, detect_language  # noqa: E402
from flows.triage.classify import LEXICON_FOLDER, default_classifier, triage  # noqa: E402
from flows.triage.lexicon import read_lexicon  # noqa: E402
from flows.triage.quality import Scores, read_ordinary, read_split, score  # noqa: E402

DATA = ROOT / "tests" / "data" / "triage"
TARGETS = {"caught": 0.97, "urgent": 0.90, "alerted": 0.05, "asked": 0.10}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def row(name: str, locale: str, s: Scores) -> str:
    flags = []
    if s.recall < TARGETS["caught"]:
        flags.append("caught")
    if s.urgent_recall < TARGETS["urgent"]:
        flags.append("urgent")
    if s.false_alarm_rate > TARGETS["alerted"]:
        flags.append("alerted")
    if s.asked_rate > TARGETS["asked"]:
        flags.append("asked")
    below = f"  below target: {', '.join(flags)}" if flags else ""
    return (f"{name:8} {locale:6} {s.urgent:>6} {s.recall:>7.3f} {s.urgent_recall:>7.3f} "
            f"{s.category_accuracy:>9.3f} {s.calm:>5} {s.false_alarm_rate:>8.3f} "
            f"{s.asked_rate:>6.3f}{below}")


def show(s: Scores) -> None:
    for m in s.missed:
        print(f"{'':16}MISSED [{m.category}] {m.text}")
    for m, r in s.asked:
        print(f"{'':16}asked  [{m.category}] {m.text}  ({r.explanation})")
    for m, r in s.wrong_category:
        print(f"{'':16}category [{m.category}] -> {r.category}: {m.text}")
    for m, r in s.false_alarms:
        print(f"{'':16}FALSE ALARM -> {r.category}: {m.text}  ({r.explanation})")
    for m, r in s.asked_calm:
        print(f"{'':16}asked calm -> {r.category}: {m.text}  ({r.explanation})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("holdout", "dev"), action="append")
    parser.add_argument("--lang", choices=LOCALES, action="append")
    parser.add_argument("--show", action="store_true", help="list misses and false alarms")
    parser.add_argument("--rules-only", action="store_true", help="the vocabulary alone")
    parser.add_argument("--author", action="append", default=[],
                        help="only these files, by name (e.g. holdout-4)")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--vocabulary", type=Path, default=LEXICON_FOLDER,
                        help="a vocabulary folder (a copy being edited)")
    args = parser.parse_args()
    started = time.perf_counter()
    lexicon = read_lexicon(args.vocabulary)
    compile_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    model = None if args.rules_only else default_classifier()
    model_ms = (time.perf_counter() - started) * 1000
    names = args.split or ["holdout", "dev"]
    splits = {name: read_split(DATA / name, tuple(args.author)) for name in names}

    print("Triage quality (caught: urgent or asked; urgent: urgent alone; alerted/asked: "
          "calm messages judged urgent / asked about)")
    print(f"{'split':8} {'lang':6} {'urgent':>6} {'caught':>7} {'urgent':>7} {'category':>9} "
          f"{'calm':>5} {'alerted':>8} {'asked':>6}")
    for name, sets in splits.items():
        totals = [0, 0, 0, 0, 0, 0]
        for locale in args.lang or LOCALES:
            s = score(sets[locale], lambda text, loc: triage(text, locale=loc, lexicon=lexicon,
                                                             classifier=model))
            print(row(name, locale, s))
            if args.show:
                show(s)
            for i, n in enumerate((s.urgent, len(s.missed), len(s.asked), s.calm,
                                   len(s.false_alarms), len(s.asked_calm))):
                totals[i] += n
        u, missed, asked, c, alerted, asked_calm = totals
        caught, alone = (u - missed) / u, (u - missed - asked) / u
        print(f"{name:8} {'all':6} {u:>6} {caught:>7.3f} {alone:>7.3f} "
              f"{'':>9} {c:>5} {alerted / c:>8.3f} {asked_calm / c:>6.3f}")
    ordinary = read_ordinary(ROOT / "tests" / "data" / "search" / "holdout")
    levels = [triage(text, locale=locale, lexicon=lexicon, classifier=model).level
              for locale in args.lang or LOCALES for text in ordinary.get(locale, ())]
    print(f"\nEveryday questions (search holdout, {len(levels)} in "
          f"{len(args.lang or LOCALES)} languages): asked {levels.count('ask') / len(levels):.3f},"
          f" judged urgent {levels.count('urgent') / len(levels):.3f}")
    if args.no_latency:
        return

    texts = [m.text for sets in splits.values() for labelled in sets.values()
             for m in labelled.messages]
    # Language models load once per process at start (the bot warms them); not counted here.
    for locale_text in ("hej hur mår du", "hello there", "مرحبا", "سلام علیکم", "iska warran",
                        "привіт", "hei mitä kuuluu"):
        detect_language(locale_text)

    fresh = read_lexicon(args.vocabulary)  # empty word caches: every word is new to it
    first_sight: list[float] = []
    for text in texts:
        t = time.perf_counter()
        triage(text, lexicon=fresh, classifier=model)
        first_sight.append((time.perf_counter() - t) * 1000)
    rounds: list[list[float]] = []
    for _ in range(3):
        steady: list[float] = []
        for _ in range(3):
            for text in texts:
                t = time.perf_counter()
                triage(text, lexicon=fresh, classifier=model)
                steady.append((time.perf_counter() - t) * 1000)
        rounds.append(steady)
    long_text = " ".join(texts)[:4096]
    cold = read_lexicon(args.vocabulary)
    t = time.perf_counter()
    triage(long_text, lexicon=cold, classifier=model)
    long_ms = (time.perf_counter() - t) * 1000

    print()
    print(f"Latency per message (language detected, all eight vocabularies and the model; "
          f"{len(texts)} messages)")
    print(f"  compile the vocabulary once: {compile_ms:.0f} ms "
          f"({len(lexicon.alarms)} alarm phrases, {len(lexicon.exceptions)} exceptions)")
    if model is not None:
        print(f"  read the model once: {model_ms:.0f} ms ({len(model.weights)} features)")
    print(f"  first sight (no cached words): p50 {statistics.median(first_sight):.3f} ms, "
          f"p99 {percentile(first_sight, 0.99):.3f} ms, max {max(first_sight):.3f} ms")
    for number, steady in enumerate(rounds, start=1):
        print(f"  steady state, round {number} ({len(steady)} runs): "
              f"p50 {statistics.median(steady):.3f} ms, p99 {percentile(steady, 0.99):.3f} ms, "
              f"max {max(steady):.3f} ms")
    print(f"  one 4096-character message (Telegram's longest), first sight: {long_ms:.1f} ms")
    print(f"  machine load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          "(other work on the machine widens p99)")


if __name__ == "__main__":
    main()
