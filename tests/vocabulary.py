"""A staff-edited copy of the triage vocabulary, for tests of NARA_TRIAGE."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from flows.triage import LEXICON_FOLDER


def vocabulary_with(tmp_path: Path, category: str, phrase: str) -> Path:
    """Copy the shipped vocabulary into ``tmp_path`` with one Swedish phrase added."""
    folder = tmp_path / "triage"
    shutil.copytree(LEXICON_FOLDER, folder, ignore=shutil.ignore_patterns("*.md"))
    data = yaml.safe_load((folder / "sv.yaml").read_text(encoding="utf-8"))
    data["urgent"][category].append(phrase)
    (folder / "sv.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder
