"""A staff-edited copy of the triage vocabulary, for tests of NARA_TRIAGE."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import yaml

from flows.triage.classify import LEXICON_FOLDER, MODEL_FILE
from flows.triage.lexicon import CATEGORIES
from flows.triage.model import FEATURE_VERSION


def vocabulary_with(tmp_path: Path, category: str, phrase: str) -> Path:
    """Copy the shipped vocabulary into ``tmp_path`` with one Swedish phrase added."""
    folder = tmp_path / "triage"
    shutil.copytree(LEXICON_FOLDER, folder, ignore=shutil.ignore_patterns("*.md", "*.gz"))
    data = yaml.safe_load((folder / "sv.yaml").read_text(encoding="utf-8"))
    data["urgent"][category].append(phrase)
    (folder / "sv.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


# A word no one writes, made an alarm in the copy below.
ASK_WORD = "zebrafara"


def vocabulary_that_asks(tmp_path: Path) -> Path:
    """A vocabulary copy whose level is predictable, for end-to-end tests of the ask level.

    ``zebrafara`` raises self-harm; next to a calming signal ("zebrafara 😂") it is
    softened, and the copy's model never finds a softened alarm calm: the bot asks.
    The model never raises anything itself, so other messages get the vocabulary's level.
    """
    folder = vocabulary_with(tmp_path, "self-harm", ASK_WORD)
    model = {
        "format": "nara-triage-model",
        "feature_version": FEATURE_VERSION,
        "trained_on": "tests",
        "classes": ["calm", *CATEGORIES],
        "bias": [0.0] * (len(CATEGORIES) + 1),
        "thresholds": {"ask": 1.01, "urgent": 1.01, "calm": 0.0},
        "figures": {},
        "weights": {},
    }
    (folder / MODEL_FILE).write_bytes(gzip.compress(json.dumps(model).encode(), mtime=0))
    return folder
