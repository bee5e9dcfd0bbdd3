"""The shipped catalogue is complete, and the check names the right line for staff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flows.catalogue import (
    REQUIRED_IDS,
    SITUATIONS,
    CatalogueError,
    check_catalogue,
    default_catalogue_path,
    load_catalogue,
)
from flows.language import LOCALES

SHIPPED = default_catalogue_path()


def line_of(text: str, needle: str, after: str | None = None) -> int:
    """Return the 1-based line of the first ``needle`` (after the line holding ``after``)."""
    lines = text.splitlines()
    start = 0
    if after is not None:
        start = next(n for n, line in enumerate(lines) if after in line)
    return next(n for n in range(start, len(lines)) if needle in lines[n]) + 1


@pytest.fixture
def text() -> str:
    return SHIPPED.read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "services.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_catalogue_has_no_problems() -> None:
    assert check_catalogue(SHIPPED) == []


def test_shipped_catalogue_has_every_contract_id_in_every_language() -> None:
    catalogue = load_catalogue()
    assert set(REQUIRED_IDS) <= set(catalogue.ids)
    assert len(catalogue.ids) == len(set(catalogue.ids))
    for service in catalogue:
        assert set(service.title) == set(LOCALES), service.id
        assert set(service.description) == set(LOCALES), service.id
        assert set(service.words) == set(LOCALES), service.id
        assert service.situations and set(service.situations) <= set(SITUATIONS)
        assert set(service.related) <= set(catalogue.ids)
        assert service.contact.phone or service.contact.web or service.contact.address


def test_every_situation_in_the_menu_has_a_service() -> None:
    catalogue = load_catalogue()
    covered = {situation for service in catalogue for situation in service.situations}
    assert covered == set(SITUATIONS)


def test_contacts_are_data_from_the_fiction_number_range() -> None:
    catalogue = load_catalogue()
    reception = catalogue["reception"].contact
    assert reception.phone == "08-465 004 00"
    assert reception.web == "https://naraby.example/mottagningen"
    assert str(reception.hours[0]) == "mon,tue,wed,thu,fri 08:00-16:00"
    jour = catalogue["after-hours-emergency"].contact
    assert jour.phone == "08-465 004 99"
    assert jour.hours[0].overnight
    assert {day for hours in jour.hours for day in hours.days} >= {"sat", "sun", "holidays"}
    for service in catalogue:
        phone = service.contact.phone
        # PTS reserves 08-465 004 00 ... 99 for fiction: no real person gets called.
        assert phone is None or phone.startswith("08-465 004 "), service.id
        assert service.contact.web is None or service.contact.web.startswith(
            "https://naraby.example/"
        )


def test_swedish_names_stay_beside_the_translations() -> None:
    catalogue = load_catalogue()
    for service_id in ("parent-support", "financial-aid", "after-hours-emergency"):
        service = catalogue[service_id]
        proper = service.name.split(" – ")[0]
        for locale in LOCALES:
            assert proper in service.title[locale] or proper in service.description[locale]


def test_titles_fall_back_to_swedish() -> None:
    service = load_catalogue()["reception"]
    assert service.title_in("xx") == service.title["sv"]
    assert service.title_in("so").startswith("Mottagningen")


def test_load_is_cached_until_the_file_changes(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    first = load_catalogue(path)
    assert load_catalogue(path) is first
    path.write_text(text.replace("Mottagningen – börja här", "Mottagningen – start här"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = load_catalogue(path)
    assert second is not first
    assert second["reception"].title["sv"].startswith("Mottagningen – start här")


def test_missing_translation_names_the_line_of_the_field(tmp_path: Path, text: str) -> None:
    start = line_of(text, "- id: financial-aid")
    description = line_of(text, "description:", after="- id: financial-aid")
    lines = text.splitlines()
    so_line = line_of(text, "so: >-", after="- id: financial-aid")
    assert so_line > description > start
    end = so_line
    while lines[end].startswith("        "):
        end += 1
    broken = "\n".join(lines[: so_line - 1] + lines[end:]) + "\n"
    problems = check_catalogue(write(tmp_path, broken))
    assert [str(p).split(":", 1)[1] for p in problems] == [
        f"{description}: financial-aid: description.so is missing"
    ]
    # The bot can still load it: Somali readers get the Swedish text meanwhile.
    catalogue = load_catalogue(tmp_path / "services.yaml")
    assert (
        catalogue["financial-aid"].description_in("so")
        == catalogue["financial-aid"].description["sv"]
    )


def test_problem_names_file_and_line(tmp_path: Path, text: str) -> None:
    broken = text.replace(
        "related: [debt-advice, reception, employment-support]",
        "related: [debt-advice, recepton, employment-support]",
    )
    path = write(tmp_path, broken)
    (problem,) = check_catalogue(path)
    expected = line_of(broken, "recepton")
    assert str(problem) == (f"{path}:{expected}: financial-aid: related id 'recepton' is unknown")


def test_each_kind_of_problem_is_found_on_its_line(tmp_path: Path, text: str) -> None:
    broken = (
        text.replace("situations: [money]\n", "situations: [mony]\n", 1)
        .replace("  - id: reception\n", "  - id: reception\n    colour: red\n", 1)
        .replace("  - id: debt-advice\n", "  - id: financial-aid\n", 1)
        .replace(
            "Vi lyssnar och hjälper dig vidare.",
            "Vi lyssnar och hjälper dig vidare och vi gör det med stort tålamod och mycket "
            "omtanke för att du ska känna dig trygg och välkommen hos oss varje dag.",
            1,
        )
    )
    # A service nobody can reach: no phone, address, web or email.
    remote = broken.index("  - id: remote-meeting")
    contact_start = broken.index("    contact:\n", remote)
    contact_end = broken.index("    title:\n", contact_start)
    broken = (
        broken[:contact_start]
        + "    contact:\n      hours: [mon-fri 08:00-16:00]\n"
        + (broken[contact_end:])
    )
    path = write(tmp_path, broken)
    found = {(p.line, p.message) for p in check_catalogue(path)}
    assert (
        line_of(broken, "situations: [mony]"),
        (
            "financial-aid: unknown situation 'mony' (allowed: money, home, family, health, "
            "violence, work, newcomer, elderly-disability)"
        ),
    ) in found
    assert (
        line_of(broken, "colour: red"),
        "reception: unknown key 'colour' (allowed: bookable, contact, description, id, "
        "name, related, situations, title, words)",
    ) in found
    first = line_of(broken, "- id: financial-aid")
    second = [n + 1 for n, line in enumerate(broken.splitlines()) if "- id: financial-aid" in line][
        1
    ]
    assert (second, f"financial-aid: duplicate id (first used on line {first})") in found
    assert (
        line_of(broken, "Vi lyssnar och hjälper dig vidare och"),
        "reception: description.sv: sentence has 29 words (at most 25, aim for 15): "
        "'Vi lyssnar och ...'",
    ) in found
    assert (
        line_of(broken, "contact:", after="- id: remote-meeting"),
        "remote-meeting: no way to reach it (give a phone, address, web or email)",
    ) in found
    services_line = line_of(broken, "services:")
    assert (services_line, "debt-advice: missing (the contract requires it)") in found


def test_yaml_syntax_error_names_its_line(tmp_path: Path, text: str) -> None:
    broken = text.replace("    bookable: true\n", "    bookable: [true\n", 1)
    path = write(tmp_path, broken)
    (problem,) = check_catalogue(path)
    assert problem.message.startswith("YAML syntax:")
    bad = line_of(broken, "bookable: [true")
    assert bad <= problem.line <= bad + 1
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(path)
    assert raised.value.problems == [problem]


def test_structural_problems_stop_loading(tmp_path: Path, text: str) -> None:
    broken = text.replace("    bookable: true\n", "    bookable: sometimes\n", 1)
    with pytest.raises(CatalogueError, match="bookable must be true or false"):
        load_catalogue(write(tmp_path, broken))


def test_bad_hours_and_web_are_reported(tmp_path: Path, text: str) -> None:
    broken = text.replace("hours: [mon-thu 09:00-15:00]", "hours: [monday 9-15]", 1).replace(
        "web: https://naraby.example/skuldradgivning", "web: naraby.example/skuld", 1
    )
    messages = {p.message for p in check_catalogue(write(tmp_path, broken))}
    assert "debt-advice: hours 'monday 9-15' should look like 'mon-fri 08:00-16:00'" in messages
    assert "debt-advice: web must start with https://" in messages


def test_empty_file_and_unreadable_file(tmp_path: Path) -> None:
    (problem,) = check_catalogue(write(tmp_path, ""))
    assert problem.blocking and problem.line == 1
    (missing,) = check_catalogue(tmp_path / "nope.yaml")
    assert "cannot read" in missing.message
