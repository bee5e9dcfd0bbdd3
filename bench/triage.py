"""Benchmark triage: quality per language on the labelled splits, and time per message.

Run: .venv/bin/python bench/triage.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.language import LOCALES, detect_language  # noqa: E402
from flows.triage import LEXICON_FOLDER, triage  # noqa: E402
from flows.triage_lexicon import read_lexicon  # noqa: E402
from flows.triage_quality import read_split, score  # noqa: E402

DATA = ROOT / "tests" / "data" / "triage"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    started = time.perf_counter()
    lexicon = read_lexicon(LEXICON_FOLDER)
    compile_ms = (time.perf_counter() - started) * 1000
    splits = {name: read_split(DATA / name) for name in ("holdout", "dev")}

    print("Triage quality (recall: urgent messages flagged; "
          "false alarms: ordinary messages flagged)")
    print(f"{'split':8} {'lang':6} {'urgent':>6} {'recall':>7} {'category':>9} "
          f"{'calm':>5} {'false alarms':>13}")
    for name, sets in splits.items():
        for locale in LOCALES:
            s = score(sets[locale], lambda text, loc: triage(text, locale=loc, lexicon=lexicon))
            print(f"{name:8} {locale:6} {s.urgent:>6} {s.recall:>7.3f} "
                  f"{s.category_accuracy:>9.3f} {s.calm:>5} {s.false_alarm_rate:>13.3f}")
            for m in s.missed:
                print(f"{'':16}missed [{m.category}] {m.text}")
            for m, r in s.wrong_category:
                print(f"{'':16}category [{m.category}] -> {r.category}: {m.text}")
            for m, r in s.false_alarms:
                print(f"{'':16}false alarm -> {r.category}: {m.text}")

    texts = [m.text for sets in splits.values() for labelled in sets.values()
             for m in labelled.messages]
    # Language models load once per process at start (the bot warms them); not counted here.
    for locale_text in ("hej hur mår du", "hello there", "مرحبا", "سلام علیکم", "iska warran",
                        "привіт", "hei mitä kuuluu"):
        detect_language(locale_text)

    fresh = read_lexicon(LEXICON_FOLDER)  # empty word caches: every word is new to it
    first_sight: list[float] = []
    for text in texts:
        t = time.perf_counter()
        triage(text, lexicon=fresh)
        first_sight.append((time.perf_counter() - t) * 1000)
    rounds: list[list[float]] = []
    for _ in range(3):
        steady: list[float] = []
        for _ in range(5):
            for text in texts:
                t = time.perf_counter()
                triage(text, lexicon=fresh)
                steady.append((time.perf_counter() - t) * 1000)
        rounds.append(steady)
    long_text = " ".join(texts)[:4096]
    cold = read_lexicon(LEXICON_FOLDER)
    t = time.perf_counter()
    triage(long_text, lexicon=cold)
    long_ms = (time.perf_counter() - t) * 1000

    print()
    print(f"Latency per message (language detected, all eight lexicons; {len(texts)} messages)")
    print(f"  compile the vocabulary once: {compile_ms:.0f} ms "
          f"({len(lexicon.alarms)} alarm phrases, {len(lexicon.exceptions)} exceptions)")
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
