"""The support catalogue: services residents can reach, in all eight languages.

Municipal staff edit ``catalogue/services.yaml`` by hand, so this module does two
things: it loads the file into frozen values the bot can use, and it checks the
file and names the line of every problem, in words a non-programmer can act on
(``catalogue/services.yaml:123: financial-aid: description.so is missing``).

Both work on PyYAML's composed node tree rather than on plain dictionaries,
because only the nodes remember which line each value came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

import yaml

from flows.language import DEFAULT_LOCALE, LOCALES

SITUATIONS: Final = (
    "money",
    "home",
    "family",
    "health",
    "violence",
    "work",
    "newcomer",
    "elderly-disability",
)

# The ids the external contract promises (shared/CONTRACT.md); municipalities may add more.
REQUIRED_IDS: Final = (
    "parent-support",
    "housing-first",
    "continued-contact",
    "newcomer-support",
    "neighbourhood-social-work",
    "reception",
    "financial-aid",
    "after-hours-emergency",
    "youth-outreach",
    "remote-meeting",
    "resident-forum",
    "addiction-support",
    "domestic-violence",
    "debt-advice",
    "report-concern",
    "family-counselling",
    "disability-support",
    "elderly-support",
    "care-coordination",
    "employment-support",
    "meeting-places",
)

DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOLIDAYS: Final = "holidays"

# Klarspråk: aim for 15 words, never more than 25.
MAX_SENTENCE_WORDS: Final = 25
# A run of letters this long without a space counts as several words, so a sentence in
# a script written without spaces cannot slip past the word limit.
_CHARS_PER_WORD: Final = 12

_SERVICE_KEYS: Final = frozenset(
    {
        "id",
        "name",
        "situations",
        "bookable",
        "related",
        "contact",
        "title",
        "description",
        "words",
    }
)
_CONTACT_KEYS: Final = frozenset({"phone", "address", "hours", "web", "email"})
_REACH_KEYS: Final = ("phone", "address", "web", "email")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,}[0-9]$")
_HOURS = re.compile(
    r"^(?P<days>[a-z]+(?:-[a-z]+)?(?:,[a-z]+(?:-[a-z]+)?)*)\s+"
    r"(?P<opens>\d\d:\d\d)-(?P<closes>\d\d:\d\d)$"
)
_SENTENCE_END = re.compile(r"(?<=[.!?።؟፧])\s+")

_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"


class CatalogueError(Exception):
    """The catalogue cannot be loaded; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class Problem:
    """One thing to fix in the catalogue file, with the line it is on.

    ``blocking`` problems stop the catalogue from loading (the bot cannot use it);
    the others are for staff to fix but the bot can work around them.
    """

    file: str
    line: int
    message: str
    blocking: bool = False

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class OpeningHours:
    """When a contact way is open: days, and a time span that may run past midnight."""

    days: tuple[str, ...]
    opens: str
    closes: str

    @property
    def overnight(self) -> bool:
        """Tell whether the span ends the next morning (Socialjouren's 16:30-08:00)."""
        return self.closes <= self.opens

    def __str__(self) -> str:
        return f"{','.join(self.days)} {self.opens}-{self.closes}"


@dataclass(frozen=True)
class Contact:
    """The ways to reach a service, as data the bot can show and link."""

    phone: str | None = None
    address: str | None = None
    hours: tuple[OpeningHours, ...] = ()
    web: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Service:
    """One support service, with its texts in every locale and the words residents use."""

    id: str
    name: str
    situations: tuple[str, ...]
    bookable: bool
    related: tuple[str, ...]
    contact: Contact
    title: Mapping[str, str]
    description: Mapping[str, str]
    words: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def title_in(self, locale: str) -> str:
        """Return the title in ``locale``, or in Swedish when it has none."""
        return self.title.get(locale) or self.title[DEFAULT_LOCALE]

    def description_in(self, locale: str) -> str:
        """Return the description in ``locale``, or in Swedish when it has none."""
        return self.description.get(locale) or self.description[DEFAULT_LOCALE]


# eq=False: a catalogue is identified by the object (hashable, cheap to use as a cache
# key for the search index), not compared field by field.
@dataclass(frozen=True, eq=False)
class Catalogue:
    """All services, in file order."""

    services: tuple[Service, ...]
    path: Path | None = None

    def __iter__(self) -> Iterator[Service]:
        return iter(self.services)

    def __len__(self) -> int:
        return len(self.services)

    @property
    def ids(self) -> tuple[str, ...]:
        """The service ids, in file order."""
        return tuple(service.id for service in self.services)

    def get(self, service_id: str) -> Service | None:
        """Return the service with ``service_id``, or None."""
        for service in self.services:
            if service.id == service_id:
                return service
        return None

    def __getitem__(self, service_id: str) -> Service:
        found = self.get(service_id)
        if found is None:
            raise KeyError(service_id)
        return found


def default_catalogue_path() -> Path:
    """Return the path of the catalogue shipped with Nära."""
    return Path(__file__).resolve().parent.parent / "catalogue" / "services.yaml"


_loaded: dict[Path, tuple[int, Catalogue]] = {}


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """Load the catalogue at ``path`` (the shipped one when None).

    The result is cached until the file changes, so callers may load on every
    message. Problems that staff should fix but the bot can live with (a long
    sentence, a missing translation) do not stop loading; see
    :func:`check_catalogue` for those.

    Raises:
        CatalogueError: the file is not valid YAML or lacks what the bot needs.
        OSError: the file cannot be read.
    """
    resolved = Path(path).resolve() if path is not None else default_catalogue_path()
    mtime = resolved.stat().st_mtime_ns
    cached = _loaded.get(resolved)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    catalogue, problems = _read(resolved)
    blocking = [problem for problem in problems if problem.blocking]
    if blocking or catalogue is None:
        raise CatalogueError(blocking or problems)
    _loaded[resolved] = (mtime, catalogue)
    return catalogue


def check_catalogue(path: Path | str | None = None) -> list[Problem]:
    """Return every problem in the catalogue at ``path`` (the shipped one when None), by line."""
    resolved = Path(path) if path is not None else default_catalogue_path()
    try:
        _, problems = _read(resolved)
    except OSError as error:
        return [Problem(_display(resolved), 0, f"cannot read the file: {error.strerror}", True)]
    return sorted(problems, key=lambda problem: problem.line)


def _display(path: Path) -> str:
    """Return ``path`` relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read(path: Path) -> tuple[Catalogue | None, list[Problem]]:
    text = path.read_text(encoding="utf-8")
    reader = _Reader(_display(path), text.splitlines())
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = error.problem or error.context or "invalid YAML"
        reader.add(line, f"YAML syntax: {what}", blocking=True)
        return None, reader.problems
    except yaml.YAMLError as error:
        reader.add(1, f"YAML syntax: {error}", blocking=True)
        return None, reader.problems
    services = reader.catalogue(root)
    if services is None:
        return None, reader.problems
    return Catalogue(services, path), reader.problems


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text.strip()) if part]


def _sentence_length(sentence: str) -> int:
    """Count words; long runs without spaces count as several words."""
    return sum(max(1, len(word) // _CHARS_PER_WORD) for word in sentence.split())


class _Reader:
    """Walks the composed YAML once, building services and collecting problems."""

    def __init__(self, file: str, lines: list[str]) -> None:
        self.file = file
        self.lines = lines
        self.problems: list[Problem] = []

    def add(self, line: int, message: str, *, blocking: bool = False) -> None:
        self.problems.append(Problem(self.file, line, message, blocking))

    # -- the whole file -------------------------------------------------------------

    def catalogue(self, root: yaml.Node | None) -> tuple[Service, ...] | None:
        if root is None:
            self.add(1, "the file is empty: it needs a 'services:' list", blocking=True)
            return None
        if not isinstance(root, yaml.MappingNode):
            self.add(_line(root), "the file must start with 'services:'", blocking=True)
            return None
        entries = self.mapping(root, "the file")
        for key, (key_node, _) in entries.items():
            if key != "services":
                self.add(_line(key_node), f"unknown key '{key}' (only 'services' is allowed)")
        if "services" not in entries:
            self.add(_line(root), "'services:' is missing", blocking=True)
            return None
        services_key, services_node = entries["services"]
        if not isinstance(services_node, yaml.SequenceNode):
            self.add(_line(services_node), "'services:' must be a list of services", blocking=True)
            return None
        read = [self.service(node) for node in services_node.value]
        services = [service for service in read if service is not None]
        self.cross_check(services_node, services)
        for missing in REQUIRED_IDS:
            if missing not in {service.id for service in services}:
                self.add(_line(services_key), f"{missing}: missing (the contract requires it)")
        return tuple(services)

    def cross_check(self, services_node: yaml.SequenceNode, services: list[Service]) -> None:
        """Check what needs all services at once: duplicate ids and related ids."""
        first_line: dict[str, int] = {}
        known = {service.id for service in services}
        for node in services_node.value:
            if not isinstance(node, yaml.MappingNode):
                continue
            entries = self.mapping(node, "a service", report=False)
            id_entry = entries.get("id")
            if id_entry is None or not isinstance(id_entry[1], yaml.ScalarNode):
                continue
            service_id = str(id_entry[1].value)
            line = _line(id_entry[1])
            if service_id in first_line:
                self.add(
                    line,
                    f"{service_id}: duplicate id (first used on line {first_line[service_id]})",
                    blocking=True,
                )
            else:
                first_line[service_id] = line
            related = entries.get("related")
            if related is not None and isinstance(related[1], yaml.SequenceNode):
                for item in related[1].value:
                    value = str(getattr(item, "value", ""))
                    if value == service_id:
                        self.add(_line(item), f"{service_id}: related lists the service itself")
                    elif value not in known:
                        self.add(_line(item), f"{service_id}: related id '{value}' is unknown")

    # -- one service ------------------------------------------------------------------

    def service(self, node: yaml.Node) -> Service | None:
        if not isinstance(node, yaml.MappingNode):
            self.add(
                _line(node), "each service must be a block of 'key: value' lines", blocking=True
            )
            return None
        entries = self.mapping(node, "a service")
        service_id = self.text(entries, "id", "service", node, blocking=True)
        if service_id is None:
            return None
        if not _ID.match(service_id):
            self.add(
                _line(entries["id"][1]),
                f"{service_id}: an id may only use a-z, 0-9 and single '-'",
                blocking=True,
            )
        for key, (key_node, _) in entries.items():
            if key not in _SERVICE_KEYS:
                allowed = ", ".join(sorted(_SERVICE_KEYS))
                self.add(_line(key_node), f"{service_id}: unknown key '{key}' (allowed: {allowed})")
        name = self.text(entries, "name", service_id, node) or service_id
        situations = self.situations(entries, service_id, node)
        bookable = self.bookable(entries, service_id, node)
        related = self.strings(entries, "related", service_id)
        contact = self.contact(entries, service_id, node)
        title = self.translations(entries, "title", service_id, node)
        description = self.translations(entries, "description", service_id, node)
        words = self.words(entries, service_id)
        if title is None or description is None:
            return None
        return Service(
            id=service_id,
            name=name,
            situations=situations,
            bookable=bookable,
            related=related,
            contact=contact,
            title=title,
            description=description,
            words=words,
        )

    def situations(
        self, entries: _Entries, service_id: str, node: yaml.MappingNode
    ) -> tuple[str, ...]:
        values = self.strings(entries, "situations", service_id)
        if "situations" not in entries:
            self.add(_line(node), f"{service_id}: situations is missing")
        elif not values:
            self.add(_line(entries["situations"][0]), f"{service_id}: situations is empty")
        kept = []
        items = entries["situations"][1].value if "situations" in entries else []
        for item, value in zip(items, values, strict=False):
            if value in SITUATIONS:
                kept.append(value)
            else:
                allowed = ", ".join(SITUATIONS)
                self.add(
                    _line(item), f"{service_id}: unknown situation '{value}' (allowed: {allowed})"
                )
        return tuple(kept)

    def bookable(self, entries: _Entries, service_id: str, node: yaml.MappingNode) -> bool:
        if "bookable" not in entries:
            self.add(_line(node), f"{service_id}: bookable is missing (write true or false)")
            return False
        value = entries["bookable"][1]
        if not isinstance(value, yaml.ScalarNode) or value.tag != _BOOL:
            self.add(_line(value), f"{service_id}: bookable must be true or false", blocking=True)
            return False
        return str(value.value).lower() in ("true", "yes", "on")

    def contact(self, entries: _Entries, service_id: str, node: yaml.MappingNode) -> Contact:
        if "contact" not in entries:
            self.add(_line(node), f"{service_id}: contact is missing: there is no way to reach it")
            return Contact()
        key_node, value = entries["contact"]
        if not isinstance(value, yaml.MappingNode):
            self.add(_line(value), f"{service_id}: contact must list phone, address, hours, web")
            return Contact()
        ways = self.mapping(value, f"{service_id}: contact")
        for key, (way_key, _) in ways.items():
            if key not in _CONTACT_KEYS:
                allowed = ", ".join(sorted(_CONTACT_KEYS))
                self.add(
                    _line(way_key),
                    f"{service_id}: unknown contact key '{key}' (allowed: {allowed})",
                )
        phone = self.text(ways, "phone", f"{service_id}: contact", value, required=False)
        address = self.text(ways, "address", f"{service_id}: contact", value, required=False)
        web = self.text(ways, "web", f"{service_id}: contact", value, required=False)
        email = self.text(ways, "email", f"{service_id}: contact", value, required=False)
        if phone is not None and not _PHONE.match(phone):
            self.add(_line(ways["phone"][1]), f"{service_id}: phone '{phone}' is not a number")
        if web is not None and not web.startswith("https://"):
            self.add(_line(ways["web"][1]), f"{service_id}: web must start with https://")
        if email is not None and "@" not in email:
            self.add(_line(ways["email"][1]), f"{service_id}: email '{email}' has no @")
        if not any((phone, address, web, email)):
            self.add(
                _line(key_node),
                f"{service_id}: no way to reach it (give a phone, address, web or email)",
            )
        hours = self.hours(ways, service_id)
        return Contact(phone=phone, address=address, hours=hours, web=web, email=email)

    def hours(self, ways: _Entries, service_id: str) -> tuple[OpeningHours, ...]:
        result = []
        if "hours" not in ways:
            return ()
        node = ways["hours"][1]
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for item in items:
            text = str(getattr(item, "value", ""))
            parsed = _parse_hours(text)
            if parsed is None:
                self.add(
                    _line(item),
                    f"{service_id}: hours '{text}' should look like 'mon-fri 08:00-16:00'",
                )
            else:
                result.append(parsed)
        return tuple(result)

    def translations(
        self, entries: _Entries, key: str, service_id: str, node: yaml.MappingNode
    ) -> Mapping[str, str] | None:
        if key not in entries:
            self.add(_line(node), f"{service_id}: {key} is missing", blocking=True)
            return None
        key_node, value = entries[key]
        if not isinstance(value, yaml.MappingNode):
            self.add(
                _line(value), f"{service_id}: {key} must have one line per language", blocking=True
            )
            return None
        texts = {}
        by_locale = self.mapping(value, f"{service_id}: {key}")
        for locale, (locale_key, text_node) in by_locale.items():
            if locale not in LOCALES:
                self.add(
                    _line(locale_key),
                    f"{service_id}: {key}.{locale}: unknown language (use {', '.join(LOCALES)})",
                )
                continue
            text = self.scalar_text(text_node)
            if text is None:
                self.add(_line(text_node), f"{service_id}: {key}.{locale} must be text")
            elif not text.strip():
                self.add(_line(text_node), f"{service_id}: {key}.{locale} is empty")
            else:
                texts[locale] = " ".join(text.split())
                self.sentence_lengths(text_node, texts[locale], f"{service_id}: {key}.{locale}")
        for locale in LOCALES:
            if locale not in by_locale:
                self.add(
                    _line(key_node),
                    f"{service_id}: {key}.{locale} is missing",
                    blocking=locale == DEFAULT_LOCALE,
                )
        if DEFAULT_LOCALE not in texts:
            # Every other language falls back to Swedish; without it there is nothing to show.
            if DEFAULT_LOCALE in by_locale:
                self.add(_line(key_node), f"{service_id}: {key}.sv is needed", blocking=True)
            return None
        return MappingProxyType(texts)

    def sentence_lengths(self, node: yaml.Node, text: str, where: str) -> None:
        for sentence in _sentences(text):
            length = _sentence_length(sentence)
            if length > MAX_SENTENCE_WORDS:
                start = " ".join(sentence.split()[:3])
                self.add(
                    self.line_of(node, start),
                    f"{where}: sentence has {length} words (at most {MAX_SENTENCE_WORDS}, "
                    f"aim for 15): '{start} ...'",
                )

    def line_of(self, node: yaml.Node, start: str) -> int:
        """Return the file line where a sentence starting with ``start`` begins."""
        first = int(node.start_mark.line)
        last = int(node.end_mark.line)
        for number in range(first, min(last + 1, len(self.lines))):
            if start in " ".join(self.lines[number].split()):
                return number + 1
        return first + 1

    def words(self, entries: _Entries, service_id: str) -> Mapping[str, tuple[str, ...]]:
        if "words" not in entries:
            return MappingProxyType({})
        value = entries["words"][1]
        if not isinstance(value, yaml.MappingNode):
            self.add(_line(value), f"{service_id}: words must have one list per language")
            return MappingProxyType({})
        result = {}
        for locale, (locale_key, items) in self.mapping(value, f"{service_id}: words").items():
            if locale not in LOCALES:
                self.add(
                    _line(locale_key),
                    f"{service_id}: words.{locale}: unknown language (use {', '.join(LOCALES)})",
                )
                continue
            if not isinstance(items, yaml.SequenceNode):
                self.add(_line(items), f"{service_id}: words.{locale} must be a [list, of, words]")
                continue
            kept = []
            for item in items.value:
                text = self.scalar_text(item)
                if text is None or not text.strip():
                    self.add(_line(item), f"{service_id}: words.{locale} has an empty entry")
                else:
                    kept.append(text.strip())
            result[locale] = tuple(kept)
        return MappingProxyType(result)

    # -- small helpers ---------------------------------------------------------------

    def mapping(self, node: yaml.MappingNode, where: str, *, report: bool = True) -> _Entries:
        entries: _Entries = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            if key in entries and report:
                self.add(_line(key_node), f"{where}: '{key}' is given twice")
            entries[key] = (key_node, value_node)
        return entries

    @staticmethod
    def scalar_text(node: yaml.Node) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            return None
        # A Swedish word like "nej" or a number is text here, whatever YAML guesses.
        return str(node.value)

    def text(
        self,
        entries: _Entries,
        key: str,
        where: str,
        node: yaml.Node,
        *,
        required: bool = True,
        blocking: bool = False,
    ) -> str | None:
        if key not in entries:
            if required:
                self.add(_line(node), f"{where}: {key} is missing", blocking=blocking)
            return None
        value = self.scalar_text(entries[key][1])
        if value is None or not value.strip():
            self.add(_line(entries[key][1]), f"{where}: {key} is empty", blocking=blocking)
            return None
        return value.strip()

    def strings(self, entries: _Entries, key: str, service_id: str) -> tuple[str, ...]:
        if key not in entries:
            return ()
        value = entries[key][1]
        if not isinstance(value, yaml.SequenceNode):
            self.add(_line(value), f"{service_id}: {key} must be a [list, of, values]")
            return ()
        return tuple(str(getattr(item, "value", "")) for item in value.value)


_Entries = dict[str, tuple[yaml.Node, yaml.Node]]


def _parse_hours(text: str) -> OpeningHours | None:
    """Parse ``mon-fri 08:00-16:00``, ``sat,sun 10:00-14:00`` or ``holidays 00:00-24:00``."""
    found = _HOURS.match(text.strip().lower())
    if found is None:
        return None
    opens, closes = found["opens"], found["closes"]
    if not (_valid_time(opens) and _valid_time(closes)):
        return None
    days: list[str] = []
    for part in found["days"].split(","):
        if part == HOLIDAYS:
            days.append(HOLIDAYS)
            continue
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            return None
        start, end = DAYS.index(first), DAYS.index(last or first)
        if end < start:
            return None
        days.extend(DAYS[start : end + 1])
    return OpeningHours(tuple(days), opens, closes)


def _valid_time(text: str) -> bool:
    hours, minutes = int(text[:2]), int(text[3:])
    return (hours < 24 and minutes < 60) or text == "24:00"
