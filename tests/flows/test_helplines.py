"""Helplines: configuration in every language, 112 first, opening hours, clear load errors."""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from flows.helplines import (
    FINLAND,
    SWEDEN,
    HelplineError,
    default_helplines,
    load_helplines,
    numbers_for,
    parse_helplines,
)
from flows.language import LOCALES
from flows.triage.lexicon import CATEGORIES


@pytest.mark.parametrize("path", [SWEDEN, FINLAND])
def test_shipped_files_load_with_every_text_in_every_language(path: Path) -> None:
    helplines = load_helplines(path)
    for helpline in helplines.by_id.values():
        for what in ("hours", "about", "for"):
            for locale in LOCALES:
                assert helpline.text(what, locale).strip(), (helpline.id, what, locale)


@pytest.mark.parametrize("category", [*CATEGORIES, None])
def test_112_always_comes_first_and_only_once_as_emergency(category: str | None) -> None:
    for path in (SWEDEN, FINLAND):
        shown = load_helplines(path).numbers_for(category)
        assert shown[0].dial == "112"
        assert [h.id for h in shown].count(shown[0].id) == 1


def test_swedish_numbers_per_category() -> None:
    def dialled(category: str) -> list[str]:
        return [h.number for h in numbers_for(category)]

    assert dialled("self-harm") == ["112", "90101", "1177"]
    assert dialled("violence")[:2] == ["112", "020-50 50 50"]
    assert "114 14" in dialled("violence")
    assert dialled("child-at-risk")[:3] == ["112", "116 111", "08-465 004 99"]
    assert dialled("homeless-tonight") == ["112", "08-465 004 99", "08-465 004 00"]
    assert dialled("no-food") == ["112", "08-465 004 99", "08-465 004 00"]
    assert dialled("medical") == ["112", "1177", "010-456 67 00"]


def test_finnish_numbers_per_category() -> None:
    finland = load_helplines(FINLAND)
    assert [h.number for h in finland.numbers_for("self-harm")][:2] == ["112", "09 2525 0111"]
    assert "080 005 005" in [h.number for h in finland.numbers_for("violence")]
    assert "116 111" in [h.number for h in finland.numbers_for("child-at-risk")]


def test_proper_names_stay_swedish_and_are_explained_per_language() -> None:
    line = default_helplines().by_id["kvinnofridslinjen"]
    assert line.name == "Kvinnofridslinjen"
    assert line.free
    assert line.text("about", "en") != line.text("about", "sv")
    assert line.dial == "020505050"


def test_unknown_category_is_refused() -> None:
    with pytest.raises(KeyError, match="unknown category"):
        numbers_for("sad")


@pytest.mark.parametrize(
    ("when", "socialjouren", "mottagningen"),
    [
        ("2025-03-03 12:00", False, True),  # Monday noon
        ("2025-03-03 16:30", True, False),  # Monday evening
        ("2025-03-04 07:59", True, False),  # night into Tuesday
        ("2025-03-04 08:00", False, True),
        ("2025-03-08 12:00", True, False),  # Saturday
        ("2025-03-10 07:00", True, False),  # the weekend night ends Monday 08:00
    ],
)
def test_opening_hours_follow_the_schedule(when: str, socialjouren: bool,
                                           mottagningen: bool) -> None:
    at = datetime.fromisoformat(when)
    assert default_helplines().by_id["socialjouren"].is_open(at) is socialjouren
    assert default_helplines().by_id["mottagningen"].is_open(at) is mottagningen


def test_public_holidays_use_the_holiday_schedule() -> None:
    midsummer_noon = datetime(2025, 6, 20, 12, 0)  # a Friday
    assert default_helplines().by_id["socialjouren"].is_open(midsummer_noon, holiday=True)
    assert not default_helplines().by_id["mottagningen"].is_open(midsummer_noon, holiday=True)


def _sweden() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(SWEDEN.read_text(encoding="utf-8")))


def _break(change: str) -> dict[str, Any]:
    data = _sweden()
    lines = data["helplines"]
    if change == "missing locale":
        del lines[1]["about"]["ti"]
    elif change == "bad number":
        lines[1]["number"] = "ring oss"
    elif change == "unknown id":
        data["categories"]["violence"].append("no-such-line")
    elif change == "missing category":
        del data["categories"]["no-food"]
    elif change == "no 112":
        data["helplines"] = [h for h in lines if str(h["number"]) != "112"]
        data["categories"] = {c: [] for c in CATEGORIES}
    elif change == "bad schedule":
        lines[-1]["schedule"] = ["weekdays 8-16"]
    elif change == "duplicate id":
        lines.append(copy.deepcopy(lines[1]))
    elif change == "unknown shared text":
        lines[1]["hours"] = "@sometimes"
    elif change == "unknown key":
        lines[1]["fax"] = "123"
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("missing locale", "helplines[1] (sjalvmordslinjen).about.ti: missing"),
        ("bad number", "helplines[1] (sjalvmordslinjen).number: 'ring oss' is not a phone"),
        ("unknown id", "categories.violence: no helpline with id 'no-such-line'"),
        ("missing category", "categories.no-food: missing"),
        ("no 112", "helplines: needs the emergency number 112"),
        ("bad schedule", "schedule[0]: 'weekdays 8-16' should look like"),
        ("duplicate id", "'sjalvmordslinjen' is used twice"),
        ("unknown shared text", "no shared text '@sometimes'"),
        ("unknown key", "unknown key 'fax'"),
    ],
)
def test_validation_errors_name_the_file_and_the_key(change: str, message: str) -> None:
    with pytest.raises(HelplineError) as caught:
        parse_helplines(_break(change), "helplines.yaml")
    assert str(caught.value).startswith("helplines.yaml: ")
    assert message in str(caught.value)


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "helplines.yaml"
    broken.write_text("helplines: [oops", encoding="utf-8")
    with pytest.raises(HelplineError, match=r"helplines\.yaml: cannot be read"):
        load_helplines(broken)
