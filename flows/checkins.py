"""Follow-up check-ins: plans staff write as data, when each message is due, what it says.

Plain values only: no Telegram, no SQL, no clock. The shell passes ``now``, the
municipality's time zone and dates already written out in the reader's language; it
stores plans, answers and jobs, and sends what these functions return.

Staff edit ``catalogue/checkins.yaml``: named plans of steps ("after 2 weeks, ask how
things are") and the messages they send, every text in all eight languages.
:func:`check_plans` names the line of every problem in words a non-programmer can act
on, like :func:`flows.catalogue.check_catalogue`; :func:`load_plans` refuses a file
the bot cannot use. Blocking (the file is refused): bad YAML, a plan or message name
that is not ``[a-z0-9-]+`` (it travels in button data), a step whose ``after`` cannot
be read or comes too late, a step naming an unknown message, steps out of order, a
plan without steps, a text without Swedish (every language falls back to it), a
missing required plan. Not blocking (the bot works, staff should fix it): another
language missing, a sentence over 25 words, an unknown field, a summary that does not
say how many messages come, a message no plan uses.

Safety and honesty, as in :mod:`flows.urgent`: the offer says what comes, how often,
that a computer program sends it, who reads the answers (the contact by first name,
or a person from the reception team), that saying no changes nothing, and how to stop.
No text promises secrecy. A very bad answer or "call me" is told who will contact them
and when, and what to do in danger now; the staff alert says what the resident was
promised. Free text written to a check-in is triaged by the shell like any message
before :func:`is_stop` is asked: an urgent message takes the urgent path, never the
opt-out.

Choices where the spec left room (what a stressed resident, often reading in a second
language, and the staff would expect):

- Stopping is one step, with no "are you sure?": stopping must be as easy as starting.
  A resident who stopped by mistake is told to ask their contact.
- :func:`is_stop` counts a clear stop word ("stop", "sluta", "jooji", "توقف", "ኣቋርጽ",
  "стоп", "lopeta", ...) in any of the eight languages, because many residents write
  in another language than the one the bot speaks to them in. Words that mostly mean
  "enough" ("بس", "کافیست", "досить") count only in the resident's own language, where
  their sense is known. The message must be short (at most four words besides
  "please" and "thanks") and be nothing but the request; a question ("stop?") is not a
  request. "Stop hitting me" and "I can't stop crying" are not opt-outs.
- The offer says which word stops them in the reader's language (:data:`STOP_WORD`), and
  a test checks that :func:`is_stop` knows that word.
- A step is numbered by its place in the plan, from 0.
- Quiet hours with the same start and end mean no quiet hours. A local time that does
  not exist (the spring change) is moved on by the gap; one that exists twice (the
  autumn change) is the first.
- The five faces come one to a row: labels in Tigrinya or Finnish are long, and a
  screen reader reads a column in order.
- The "call me" button names the contact when :func:`checkin` is given their name.
- Staff labels of answers carry the scale ("very bad (1 of 5)"), so a digest line is
  clear without the faces.

Additions to the agreed API (all compatible): ``Press.resident_id`` (read from
``ci:book:<resident_id>``), ``status(..., plan_id)``, ``staff_alert(..., resident_id)``,
``checkin(..., contact_name=None)``, the data builders (:func:`offer_data`,
:func:`time_data`, :func:`answer_data`, :func:`plan_data`, :func:`book_data`),
:func:`schedule`, :func:`next_step`, :data:`CANNOT_OFFER` (the reasons
:func:`cannot_offer` knows) and :data:`TIME_OF_DAY_NAMES`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

import yaml

from flows.catalogue import MAX_SENTENCE_WORDS, Problem, _sentence_length, _sentences
from flows.language import DEFAULT_LOCALE, LOCALES, words
from flows.replies import N_, Button, Reply, Text

PLAN_FILE: Final = Path(__file__).resolve().parent.parent / "catalogue" / "checkins.yaml"
# The shell and the issue name these plans; a municipality may add more.
REQUIRED_PLANS: Final = ("after-support", "continued-contact", "after-crisis")

TIMES_OF_DAY: Final = ("morning", "midday", "evening")
HOURS_OF: Final = {"morning": time(9, 0), "midday": time(12, 0), "evening": time(18, 0)}
TIME_OF_DAY_NAMES: Final = {
    "morning": N_("Morning (about 9:00)"),
    "midday": N_("Midday (about 12:00)"),
    "evening": N_("Evening (about 18:00)"),
}

FACES: Final = ("1", "2", "3", "4", "5")  # very bad .. very good
CALL: Final = "call"
ANSWERS: Final = (*FACES, CALL)
# Answers that reach the contact at once (and "call").
BAD: Final = frozenset({"1"})
# The buttons a resident presses to say how things are (one to five).
FACE_LABELS: Final = {
    # TRANSLATORS: an answer button; keep the face first, the words are what a screen reader says.
    "1": N_("😞 Very bad"),
    # TRANSLATORS: an answer button; keep the face first, the words are what a screen reader says.
    "2": N_("🙁 Bad"),
    # TRANSLATORS: an answer button; keep the face first, the words are what a screen reader says.
    "3": N_("😐 Okay"),
    # TRANSLATORS: an answer button; keep the face first, the words are what a screen reader says.
    "4": N_("🙂 Good"),
    # TRANSLATORS: an answer button; keep the face first, the words are what a screen reader says.
    "5": N_("😄 Very good"),
}
# How staff and reports name an answer.
ANSWER_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "1": N_("very bad (1 of 5)"),
        "2": N_("bad (2 of 5)"),
        "3": N_("okay (3 of 5)"),
        "4": N_("good (4 of 5)"),
        "5": N_("very good (5 of 5)"),
        CALL: N_("asked for a call"),
    }
)

# The word the offer tells a resident to write to stop, in their language; is_stop knows it.
STOP_WORD: Final[Mapping[str, str]] = MappingProxyType(
    {
        "sv": "sluta",
        "en": "stop",
        "ar": "توقف",
        "fa_AF": "توقف",
        "so": "jooji",
        "ti": "ኣቋርጽ",
        "uk": "стоп",
        "fi": "lopeta",
    }
)

# Why a staff member's offer did not go out; the shell passes one of these codes.
CANNOT_OFFER: Final[Mapping[str, str]] = MappingProxyType(
    {
        "unknown-plan": N_("There is no check-in plan with that name."),
        "unknown-resident": N_("No resident was found for that chat."),
        "has-plan": N_("This resident already has check-ins."),
        "pending": N_("This resident has an offer of check-ins that is not answered yet."),
        "blocked": N_("This resident has blocked the bot, so no message can reach them."),
    }
)

# A staff alert quotes this much of the resident's words, and this many recent answers:
# with its own lines it stays one Telegram message (4096 characters at most).
WORDS_QUOTED: Final = 1500
RECENT_SHOWN: Final = 10
CUT: Final = "…"

# The longest `after`: five years, as long as the longest caring-contacts study.
_MOST_DAYS: Final = 5 * 366
_UNITS: Final = ("day", "week", "month")
_NAME: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Button data carries a plan's name: "ci:tod:<name>:evening" must stay within 64 bytes.
MAX_NAME_LENGTH: Final = 40
_AFTER: Final = re.compile(r"^(?P<amount>[0-9]{1,4})\s+(?P<unit>day|week|month)s?$")
_DIGITS: Final = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

_BOOL: Final = "tag:yaml.org,2002:bool"
_MESSAGE_KEYS: Final = frozenset({"faces", "text"})
_PLAN_KEYS: Final = frozenset({"title", "summary", "steps"})
_STEP_KEYS: Final = frozenset({"after", "message"})


class PlansError(Exception):
    """The check-in plans cannot be loaded; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class Offset:
    """How long after the resident said yes a step comes: ``amount`` days, weeks or months."""

    amount: int
    unit: str  # "day" | "week" | "month"

    def __post_init__(self) -> None:
        if self.unit not in _UNITS or self.amount < 1:
            raise ValueError(f"an offset is a number of days, weeks or months, not {self}")

    def added_to(self, day: date) -> date:
        """Return the date this long after ``day``; calendar months keep the day of the month.

        The 31st plus a month in a 30-day month is the 30th (the last day of that month).
        """
        if self.unit == "day":
            return day + timedelta(days=self.amount)
        if self.unit == "week":
            return day + timedelta(weeks=self.amount)
        months = day.month - 1 + self.amount
        year, month = day.year + months // 12, months % 12 + 1
        return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"


@dataclass(frozen=True)
class Message:
    """What one check-in says, in every locale; ``faces``: ask with the five faces."""

    key: str
    faces: bool
    text: Mapping[str, str]


@dataclass(frozen=True)
class Step:
    """One check-in of a plan: when, counted from the day of consent, and what it says."""

    after: Offset
    message: Message


@dataclass(frozen=True)
class Plan:
    """A named series of check-ins, with the title and summary the offer shows."""

    name: str
    title: Mapping[str, str]
    summary: Mapping[str, str]
    steps: tuple[Step, ...]


# eq=False: loaded plans are identified by the object (cached per file), not compared.
@dataclass(frozen=True, eq=False)
class Plans:
    """Every plan in the file, by name, in file order."""

    plans: Mapping[str, Plan]

    def get(self, name: str) -> Plan | None:
        """Return the plan called ``name``, or None."""
        return self.plans.get(name)

    def __iter__(self) -> Iterator[Plan]:
        return iter(self.plans.values())

    def __len__(self) -> int:
        return len(self.plans)


# --- loading and checking the file ----------------------------------------------------------

_loaded: dict[Path, tuple[int, Plans]] = {}


def load_plans(path: Path | str | None = None) -> Plans:
    """Load the check-in plans at ``path`` (the shipped file when None).

    The result is cached until the file changes, so callers may load on every use.
    Problems staff should fix but the bot can live with do not stop loading; see
    :func:`check_plans` for those.

    Raises:
        PlansError: the file is not valid YAML or lacks what the bot needs.
        OSError: the file cannot be read.
    """
    resolved = Path(path).resolve() if path is not None else PLAN_FILE
    mtime = resolved.stat().st_mtime_ns
    cached = _loaded.get(resolved)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    plans, problems = _read(resolved)
    blocking = [problem for problem in problems if problem.blocking]
    if blocking or plans is None:
        raise PlansError(sorted(blocking or problems, key=lambda problem: problem.line))
    _loaded[resolved] = (mtime, plans)
    return plans


def check_plans(path: Path | str | None = None) -> list[Problem]:
    """Return every problem in the plans file at ``path`` (the shipped one when None), by line."""
    resolved = Path(path) if path is not None else PLAN_FILE
    try:
        _, problems = _read(resolved)
    except OSError as error:
        return [Problem(_display(resolved), 0, f"cannot read the file: {error.strerror}", True)]
    return sorted(problems, key=lambda problem: problem.line)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read(path: Path) -> tuple[Plans | None, list[Problem]]:
    text = path.read_text(encoding="utf-8")
    reader = _Reader(_display(path), text.splitlines())
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        reader.add(line, f"YAML syntax: {error.problem or error.context or 'invalid YAML'}", True)
        return None, reader.problems
    except yaml.YAMLError as error:
        reader.add(1, f"YAML syntax: {error}", True)
        return None, reader.problems
    return reader.plans(root), reader.problems


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def read_after(text: str) -> Offset | None:
    """Read ``N day(s)``, ``N week(s)`` or ``N month(s)`` (N at least 1); None for anything else."""
    found = _AFTER.match(" ".join(text.split()).lower())
    if found is None or int(found["amount"]) < 1:
        return None
    return Offset(int(found["amount"]), found["unit"])


def _first_not_after(earlier: Offset, later: Offset) -> date | None:
    """Return a start day on which ``later`` does not come after ``earlier``, or None.

    Months differ in length, so "4 weeks" and "1 month" fall on the same day when the
    plan starts on 1 February of a common year: every start in a four-year cycle is tried.
    """
    if earlier.unit != "month" and later.unit != "month":
        return None if _days(later) > _days(earlier) else date(2027, 1, 1)
    day = date(2027, 1, 1)
    for _ in range(4 * 365 + 1):
        if later.added_to(day) <= earlier.added_to(day):
            return day
        day += timedelta(days=1)
    return None


def _days(offset: Offset) -> int:
    """Return the most days ``offset`` can span (31 a month)."""
    return offset.amount * {"day": 1, "week": 7, "month": 31}[offset.unit]


_Entries = dict[str, tuple[yaml.Node, yaml.Node]]


class _Reader:
    """Walks the composed YAML once, building plans and collecting problems."""

    def __init__(self, file: str, lines: list[str]) -> None:
        self.file = file
        self.lines = lines
        self.problems: list[Problem] = []

    def add(self, line: int, message: str, blocking: bool = False) -> None:
        self.problems.append(Problem(self.file, line, message, blocking))

    def plans(self, root: yaml.Node | None) -> Plans | None:
        if root is None:
            self.add(1, "the file is empty: it needs 'messages:' and 'plans:'", True)
            return None
        if not isinstance(root, yaml.MappingNode):
            self.add(_line(root), "the file must start with 'messages:' and 'plans:'", True)
            return None
        entries = self.mapping(root, "the file")
        for key, (key_node, _) in entries.items():
            if key not in ("messages", "plans"):
                self.add(_line(key_node), f"unknown key '{key}' (only 'messages' and 'plans')")
        for needed in ("messages", "plans"):
            if needed not in entries:
                self.add(_line(root), f"'{needed}:' is missing", True)
        if "messages" not in entries or "plans" not in entries:
            return None
        messages = self.messages(entries["messages"][1])
        plans_node = entries["plans"][1]
        if not isinstance(plans_node, yaml.MappingNode):
            self.add(_line(plans_node), "'plans:' must list plans by name", True)
            return None
        plans: dict[str, Plan] = {}
        used: set[str] = set()
        for name, (key_node, node) in self.mapping(plans_node, "plans", blocking=True).items():
            plan = self.plan(name, key_node, node, messages, used)
            if plan is not None:
                plans[name] = plan
        for missing in REQUIRED_PLANS:
            if missing not in plans and missing not in self.named(plans_node):
                self.add(
                    _line(entries["plans"][0]),
                    f"{missing}: missing (the bot offers this plan)",
                    True,
                )
        messages_node = entries["messages"][1]
        if isinstance(messages_node, yaml.MappingNode):
            for key, (key_node, _) in self.mapping(messages_node, "", report=False).items():
                if key in messages and key not in used:
                    self.add(_line(key_node), f"{key}: no plan uses this message")
        return Plans(MappingProxyType(plans))

    def named(self, node: yaml.MappingNode) -> set[str]:
        return set(self.mapping(node, "", report=False))

    # -- messages --------------------------------------------------------------------

    def messages(self, node: yaml.Node) -> dict[str, Message]:
        if not isinstance(node, yaml.MappingNode):
            self.add(_line(node), "'messages:' must list messages by name", True)
            return {}
        found = {}
        for key, (key_node, value) in self.mapping(node, "messages", blocking=True).items():
            if not self.name_ok(key, key_node, "a message"):
                continue
            if not isinstance(value, yaml.MappingNode):
                self.add(_line(value), f"{key}: write 'faces:' and 'text:' under the name", True)
                continue
            fields = self.mapping(value, key)
            self.unknown_fields(fields, key, _MESSAGE_KEYS)
            faces = self.faces(fields, key, value)
            text = self.translations(fields, "text", key, value)
            if text is not None:
                found[key] = Message(key, faces, text)
        return found

    def faces(self, fields: _Entries, key: str, node: yaml.MappingNode) -> bool:
        if "faces" not in fields:
            self.add(_line(node), f"{key}: faces is missing (write true or false)")
            return False
        value = fields["faces"][1]
        if not isinstance(value, yaml.ScalarNode) or value.tag != _BOOL:
            self.add(_line(value), f"{key}: faces must be true or false", True)
            return False
        return str(value.value).lower() in ("true", "yes", "on")

    # -- plans -----------------------------------------------------------------------

    def plan(
        self,
        name: str,
        key_node: yaml.Node,
        node: yaml.Node,
        messages: Mapping[str, Message],
        used: set[str],
    ) -> Plan | None:
        if not self.name_ok(name, key_node, "a plan"):
            return None
        if not isinstance(node, yaml.MappingNode):
            self.add(_line(node), f"{name}: write 'title:', 'summary:' and 'steps:' under it", True)
            return None
        fields = self.mapping(node, name)
        self.unknown_fields(fields, name, _PLAN_KEYS)
        title = self.translations(fields, "title", name, node)
        summary = self.translations(fields, "summary", name, node)
        steps = self.steps(name, fields, node, messages, used)
        if title is None or summary is None or steps is None:
            return None
        self.summary_counts(name, fields["summary"][1], summary, len(steps))
        return Plan(name, title, summary, steps)

    def steps(
        self,
        name: str,
        fields: _Entries,
        node: yaml.MappingNode,
        messages: Mapping[str, Message],
        used: set[str],
    ) -> tuple[Step, ...] | None:
        if "steps" not in fields:
            self.add(_line(node), f"{name}: steps is missing", True)
            return None
        value = fields["steps"][1]
        if not isinstance(value, yaml.SequenceNode) or not value.value:
            self.add(_line(value), f"{name}: steps must be a list of '- after: ...' lines", True)
            return None
        steps: list[Step] = []
        broken = False
        previous: tuple[Offset, int] | None = None
        for number, item in enumerate(value.value, start=1):
            where = f"{name}: step {number}"
            if not isinstance(item, yaml.MappingNode):
                self.add(_line(item), f"{where}: write it as {{after: 1 week, message: ...}}", True)
                broken = True
                continue
            step_fields = self.mapping(item, where)
            self.unknown_fields(step_fields, where, _STEP_KEYS)
            after = self.after(step_fields, where, item)
            message = self.message_of(step_fields, where, item, messages, used)
            if after is not None and previous is not None:
                clash = _first_not_after(previous[0], after)
                if clash is not None:
                    # Months differ in length: say on which start the two fall together.
                    months = "month" in (previous[0].unit, after.unit)
                    self.add(
                        _line(step_fields["after"][1]),
                        f"{where}: steps must come in order, but '{after}' is not after "
                        f"'{previous[0]}' (line {previous[1]})"
                        + (f" for a start on {clash}" if months else ""),
                        True,
                    )
                    broken = True
            if after is not None:
                previous = (after, _line(step_fields["after"][1]))
            if after is None or message is None:
                broken = True
                continue
            steps.append(Step(after, message))
        return None if broken else tuple(steps)

    def after(self, fields: _Entries, where: str, node: yaml.MappingNode) -> Offset | None:
        if "after" not in fields:
            self.add(_line(node), f"{where}: after is missing (like 'after: 2 weeks')", True)
            return None
        value = fields["after"][1]
        written = str(value.value) if isinstance(value, yaml.ScalarNode) else ""
        offset = read_after(written) if isinstance(value, yaml.ScalarNode) else None
        if offset is None:
            self.add(
                _line(value),
                f"{where}: after '{written}' should be a number and day(s), week(s) or "
                "month(s), like '2 weeks'",
                True,
            )
            return None
        if offset.added_to(date(2027, 1, 1)) > date(2027, 1, 1) + timedelta(days=_MOST_DAYS):
            self.add(_line(value), f"{where}: after '{written}' is more than five years", True)
            return None
        return offset

    def message_of(
        self,
        fields: _Entries,
        where: str,
        node: yaml.MappingNode,
        messages: Mapping[str, Message],
        used: set[str],
    ) -> Message | None:
        if "message" not in fields:
            self.add(_line(node), f"{where}: message is missing", True)
            return None
        value = fields["message"][1]
        key = str(value.value) if isinstance(value, yaml.ScalarNode) else ""
        used.add(key)
        if key not in messages:
            known = ", ".join(messages) or "none yet"
            self.add(_line(value), f"{where}: unknown message '{key}' (known: {known})", True)
            return None
        return messages[key]

    def summary_counts(
        self, name: str, node: yaml.Node, summary: Mapping[str, str], count: int
    ) -> None:
        """Warn when a summary does not say how many messages come: residents consent to it."""
        for locale, text in summary.items():
            numbers = re.findall(r"[0-9]+", text.translate(_DIGITS))
            if str(count) not in numbers:
                self.add(
                    _line(node),
                    f"{name}: summary.{locale} does not say how many messages come ({count})",
                )

    # -- small helpers ---------------------------------------------------------------

    def name_ok(self, name: str, node: yaml.Node, what: str) -> bool:
        if _NAME.match(name) and len(name) <= MAX_NAME_LENGTH:
            return True
        self.add(
            _line(node),
            f"{name}: the name of {what} may only use a-z, 0-9 and single '-', "
            f"at most {MAX_NAME_LENGTH} characters",
            True,
        )
        return False

    def unknown_fields(self, fields: _Entries, where: str, allowed: frozenset[str]) -> None:
        for key, (key_node, _) in fields.items():
            if key not in allowed:
                self.add(
                    _line(key_node),
                    f"{where}: unknown field '{key}' (allowed: {', '.join(sorted(allowed))})",
                )

    def translations(
        self, fields: _Entries, key: str, where: str, node: yaml.MappingNode
    ) -> Mapping[str, str] | None:
        if key not in fields:
            self.add(_line(node), f"{where}: {key} is missing", True)
            return None
        key_node, value = fields[key]
        if not isinstance(value, yaml.MappingNode):
            self.add(_line(value), f"{where}: {key} must have one line per language", True)
            return None
        texts = {}
        by_locale = self.mapping(value, f"{where}: {key}")
        for locale, (locale_key, text_node) in by_locale.items():
            if locale not in LOCALES:
                self.add(
                    _line(locale_key),
                    f"{where}: {key}.{locale}: unknown language (use {', '.join(LOCALES)})",
                )
                continue
            text = str(text_node.value) if isinstance(text_node, yaml.ScalarNode) else None
            if text is None or not text.strip():
                self.add(_line(text_node), f"{where}: {key}.{locale} must be text", True)
                continue
            texts[locale] = " ".join(text.split())
            self.sentence_lengths(text_node, texts[locale], f"{where}: {key}.{locale}")
        for locale in LOCALES:
            if locale not in by_locale:
                self.add(
                    _line(key_node),
                    f"{where}: {key}.{locale} is missing",
                    locale == DEFAULT_LOCALE,
                )
        if DEFAULT_LOCALE not in texts:
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
        first, last = int(node.start_mark.line), int(node.end_mark.line)
        for number in range(first, min(last + 1, len(self.lines))):
            if start in " ".join(self.lines[number].split()):
                return number + 1
        return first + 1

    def mapping(
        self, node: yaml.MappingNode, where: str, *, report: bool = True, blocking: bool = False
    ) -> _Entries:
        entries: _Entries = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            if key in entries and report:
                first = _line(entries[key][0])
                self.add(
                    _line(key_node),
                    f"{where}: '{key}' is given twice (first on line {first})",
                    blocking,
                )
            entries.setdefault(key, (key_node, value_node))
        return entries


# --- when a check-in is due ---------------------------------------------------------------


_QUIET: Final = re.compile(r"^(?P<start>\d{2}:\d{2})\s*-\s*(?P<end>\d{2}:\d{2})$")


@dataclass(frozen=True)
class QuietHours:
    """When no check-in is sent, in local time; it may run past midnight (21:00-08:00).

    The same ``start`` and ``end`` mean no quiet hours at all.
    """

    start: time = time(21, 0)
    end: time = time(8, 0)

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """Read ``"21:00-08:00"`` (start-end, local time; it may run past midnight).

        Raises:
            ValueError: not two times HH:MM joined by a dash, e.g. "21:00-08:00".
        """
        found = _QUIET.match(text.strip())
        if found is None:
            raise ValueError('must be two times joined by a dash, e.g. "21:00-08:00"')
        try:
            start, end = (time.fromisoformat(found[name]) for name in ("start", "end"))
        except ValueError:
            raise ValueError('must be two times joined by a dash, e.g. "21:00-08:00"') from None
        return cls(start, end)

    def covers(self, moment: time) -> bool:
        """Tell whether the local time of day ``moment`` is quiet."""
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def _aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("check-in times must be aware datetimes")


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Return ``at`` on ``day`` in ``zone``; a time lost to the spring change moves on."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC).astimezone(zone)


def not_in_quiet_hours(moment: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """Return ``moment`` itself, or the end of the quiet hours it falls in.

    A check-in delayed into the night (by an outage, say) waits for the morning.

    Raises:
        ValueError: ``moment`` is naive.
    """
    _aware(moment)
    local = moment.astimezone(zone)
    if not quiet.covers(local.time()):
        return moment
    day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        day += timedelta(days=1)
    return _local(day, quiet.end, zone)


def step_due(
    started: datetime, step: Step, time_of_day: str, zone: ZoneInfo, quiet: QuietHours
) -> datetime:
    """Return when ``step`` is due for a resident who said yes at ``started``.

    The local date is the day of consent plus the step's offset; the time is the
    resident's time of day, in local (wall-clock) time across summer-time changes, moved
    to the end of the quiet hours when it falls in them.

    Raises:
        ValueError: ``started`` is naive, or ``time_of_day`` is not one of ours.
    """
    _aware(started)
    if time_of_day not in HOURS_OF:
        raise ValueError(f"unknown time of day {time_of_day!r}")
    day = step.after.added_to(started.astimezone(zone).date())
    return not_in_quiet_hours(_local(day, HOURS_OF[time_of_day], zone), zone, quiet)


def first_due(
    started: datetime, plan: Plan, time_of_day: str, zone: ZoneInfo, quiet: QuietHours
) -> datetime:
    """Return when the first check-in of ``plan`` is due."""
    return step_due(started, plan.steps[0], time_of_day, zone, quiet)


def schedule(
    started: datetime, plan: Plan, time_of_day: str, zone: ZoneInfo, quiet: QuietHours
) -> tuple[datetime, ...]:
    """Return when every step of ``plan`` is due, in order."""
    return tuple(step_due(started, step, time_of_day, zone, quiet) for step in plan.steps)


def next_step(
    started: datetime,
    plan: Plan,
    time_of_day: str,
    zone: ZoneInfo,
    quiet: QuietHours,
    now: datetime,
) -> tuple[int, datetime] | None:
    """Return the first step due after ``now`` and when, or None when the plan is over.

    For a plan resumed after a pause: the steps that fell in the pause are skipped, not
    sent in a burst.
    """
    for number, due in enumerate(schedule(started, plan, time_of_day, zone, quiet)):
        if due > now:
            return number, due
    return None


# --- button data ----------------------------------------------------------------------------

PREFIX: Final = "ci"
YES, NO, TIME, ANSWER = "yes", "no", "tod", "a"
STOP, PAUSE, RESUME, BOOK = "stop", "pause", "resume", "book"
# A staff member offers a plan to the resident of a case (after closing it, or /checkins N).
OFFER = "o"
_OFFER_ACTIONS: Final = (YES, NO)
_PLAN_ACTIONS: Final = (STOP, PAUSE, RESUME)
# Telegram refuses callback data over 64 bytes.
MAX_DATA: Final = 64
_ID: Final = re.compile(r"^[1-9][0-9]{0,17}$")
_STEP: Final = re.compile(r"^(?:0|[1-9][0-9]{0,3})$")


@dataclass(frozen=True)
class Press:
    """A pressed check-in button, read from its callback data.

    Attributes:
        action: ``yes``, ``no``, ``tod``, ``a``, ``stop``, ``pause``, ``resume`` or ``book``.
        plan: the plan's name (offer and time of day, before the plan has an id).
        plan_id: the resident's plan (answers, stop, pause, resume).
        step: the step answered, by its place in the plan from 0.
        answer: ``1`` to ``5`` or ``call``.
        time_of_day: ``morning``, ``midday`` or ``evening``.
        resident_id: the resident a staff member offers a call to (``book``).
        case: the case whose resident a staff member offers ``plan`` to (``o``).
    """

    action: str
    plan: str | None = None
    plan_id: int | None = None
    step: int | None = None
    answer: str | None = None
    time_of_day: str | None = None
    resident_id: int | None = None
    case: int | None = None


def offer_data(action: str, plan: str) -> str:
    """Callback data for Yes or No to an offer of ``plan``."""
    return f"{PREFIX}:{action}:{plan}"


def time_data(plan: str, time_of_day: str) -> str:
    """Callback data for a chosen time of day."""
    return f"{PREFIX}:{TIME}:{plan}:{time_of_day}"


def answer_data(plan_id: int, step: int, answer: str) -> str:
    """Callback data for an answer to one check-in."""
    return f"{PREFIX}:{ANSWER}:{plan_id}:{step}:{answer}"


def plan_data(action: str, plan_id: int) -> str:
    """Callback data for Stop, Pause or Resume."""
    return f"{PREFIX}:{action}:{plan_id}"


def book_data(resident_id: int) -> str:
    """Callback data for a staff member's "Offer a call"."""
    return f"{PREFIX}:{BOOK}:{resident_id}"


def staff_offer_data(case: int, plan: str) -> str:
    """Callback data for a staff member's "offer this plan" to a case's resident."""
    return f"{PREFIX}:{OFFER}:{case}:{plan}"


def _plan_name(text: str) -> bool:
    return bool(_NAME.match(text)) and len(text) <= MAX_NAME_LENGTH


def read_press(data: str) -> Press | None:
    """Return the check-in button pressed, or None for anything else (including forgeries).

    Whether the presser may act on that plan is for the shell to check, in the database.
    """
    if len(data.encode()) > MAX_DATA:
        return None
    parts = data.split(":")
    if len(parts) < 3 or parts[0] != PREFIX:
        return None
    action, args = parts[1], parts[2:]
    if action in _OFFER_ACTIONS and len(args) == 1 and _plan_name(args[0]):
        return Press(action, plan=args[0])
    if action == TIME and len(args) == 2 and _plan_name(args[0]) and args[1] in TIMES_OF_DAY:
        return Press(action, plan=args[0], time_of_day=args[1])
    if action == ANSWER and len(args) == 3 and _ID.match(args[0]) and _STEP.match(args[1]):
        if args[2] in ANSWERS:
            return Press(action, plan_id=int(args[0]), step=int(args[1]), answer=args[2])
        return None
    if action in _PLAN_ACTIONS and len(args) == 1 and _ID.match(args[0]):
        return Press(action, plan_id=int(args[0]))
    if action == BOOK and len(args) == 1 and _ID.match(args[0]):
        return Press(action, resident_id=int(args[0]))
    if action == OFFER and len(args) == 2 and _ID.match(args[0]) and _plan_name(args[1]):
        return Press(action, case=int(args[0]), plan=args[1])
    return None


# --- "stop" in the resident's own words -----------------------------------------------------

# Whole messages that ask to stop, in any of our languages (each line: one way to say it).
_STOP_ANYWHERE: Final = {
    "en": """stop | stop messages | stop the messages | stop sending
        stop sending messages | stop sending me messages | stop messaging me | stop writing
        stop writing to me | stop check-ins | stop checkins | stop the check-ins
        no more messages | no more check-ins | unsubscribe | opt out
        dont send | do not send | dont send messages | dont write to me | dont message me""",
    "sv": """sluta | stopp | stoppa | sluta skicka | sluta skriva | sluta skicka meddelanden
        sluta skriva till mig | inga fler meddelanden | inga mer meddelanden
        skicka inte mer | skicka inga fler | skicka inte fler meddelanden | avsluta
        avsluta check-ins | avregistrera""",
    "ar": """توقف | توقفوا | توقفي | قف | أوقف | أوقفوا | وقف | وقفوا | أوقف الرسائل
        أوقفوا الرسائل | لا ترسل | لا ترسلوا | لا ترسل لي | لا ترسلوا لي | لا ترسلوا رسائل
        لا أريد رسائل | لا أريد رسائل أخرى | ما بدي رسائل | بدون رسائل""",
    "fa_AF": """توقف | توقف کن | توقف کنید | متوقف کن | متوقف کنید | ایست | نفرست | نفرستید
        دیگه نفرست | دیگر نفرستید | پیام نفرستید | دیگر پیام نفرستید | دیگه پیام نفرست
        پیام نمی‌خواهم | دیگر پیام نمی‌خواهم""",
    "so": """jooji | joojiya | iska jooji | iska joojiya | jooji fariimaha | jooji farriimaha
        ha soo dirin | ha ii soo dirin | fariimo dambe ma rabo | farriimo dambe ma rabo""",
    "ti": """ኣቋርጽ | ኣቋርጹ | ኣቋርጽዎ | ደው በል | ደው በሊ | ደው በሉ | ኣይትልኣኹለይ | ኣይትስደዱለይ
        መልእኽቲ ኣይትልኣኹለይ | ተወሳኺ መልእኽቲ ኣይደልን""",
    "uk": """стоп | зупиніть | зупинити | припиніть | припинити | не пишіть | не пишіть мені
        не надсилайте | більше не пишіть | більше не надсилайте | відписатися | відписатись""",
    "fi": """lopeta | lopettakaa | lopeta viestit | älä lähetä | älkää lähettäkö
        älä lähetä viestejä | ei enää viestejä | en halua viestejä | en halua enää viestejä""",
}
# Words that mostly mean "enough": a stop only in the resident's own language.
_STOP_OWN_LANGUAGE: Final = {
    "ar": "بس | كفى | كفاية",
    "fa_AF": "بس | بس کو | بس کن | بس است | کافیست | کافی است",
    "uk": "досить | годі | хватит",
}
# Politeness around a request: "please stop", "stop, thanks".
_POLITE: Final = """please | pls | plz | thanks | thank you | ok | okay | now | snälla | tack | nu
    okej | رجاء | من فضلك | لو سمحت | شكرا | الآن | لطفا | لطفاً | تشکر | حالا | fadlan
    mahadsanid | hadda | በጃኻ | በጃኺ | በጃኹም | የቐንየለይ | ሕጂ | будь ласка | дякую | зараз | вже
    прошу | kiitos | nyt | jo"""
MAX_STOP_WORDS: Final = 4
_APOSTROPHES: Final = str.maketrans("", "", "'’ʼ`´")


def _phrases(text: str) -> frozenset[tuple[str, ...]]:
    return frozenset(
        tuple(words(phrase.translate(_APOSTROPHES)))
        for line in text.splitlines()
        for phrase in line.split("|")
        if phrase.strip()
    )


_STOPS: Final[frozenset[tuple[str, ...]]] = frozenset(
    phrase for text in _STOP_ANYWHERE.values() for phrase in _phrases(text)
)
_OWN_STOPS: Final = {locale: _phrases(text) for locale, text in _STOP_OWN_LANGUAGE.items()}
_POLITE_PHRASES: Final = sorted(_phrases(_POLITE), key=len, reverse=True)


def _without_politeness(said: tuple[str, ...]) -> tuple[str, ...]:
    trimmed = True
    while trimmed and said:
        trimmed = False
        for phrase in _POLITE_PHRASES:
            if said[: len(phrase)] == phrase and len(said) > len(phrase):
                said, trimmed = said[len(phrase) :], True
            elif said[-len(phrase) :] == phrase and len(said) > len(phrase):
                said, trimmed = said[: -len(phrase)], True
    return said


def is_stop(text: str, locale: str) -> bool:
    """Tell whether ``text`` is the resident asking to stop their check-ins.

    Only a short message (at most four words besides "please" and "thanks") that is
    nothing but the request counts ("stop", "sluta skicka", "jooji fadlan"); "I can't
    stop crying", "bus stop" and "stop hitting me" do not: a plea is not an opt-out.
    Clear stop words count in any of our languages; words that mostly mean "enough"
    only in ``locale``, the resident's own.
    """
    if "?" in text or "؟" in text:
        return False
    said = _without_politeness(tuple(words(text.translate(_APOSTROPHES))))
    if not said or len(said) > MAX_STOP_WORDS:
        return False
    return said in _STOPS or said in _OWN_STOPS.get(locale, frozenset())


# --- the resident: offer, consent, time of day -----------------------------------------------

_EMERGENCY: Final = Text.of(N_("In an emergency, call 112."))
_STOP_BUTTON: Final = N_("Stop check-ins")


def _stop_how() -> Text:
    return Text.of(
        # TRANSLATORS: {stop} is the word that stops check-ins in this language (sv "sluta",
        # so "jooji"); keep /checkins as it is.
        N_(
            "You can stop at any time: with the Stop button, with /checkins, or by writing “{stop}”."  # noqa: E501
        ),
        stop=Text.written(STOP_WORD),
    )


def _who_reads(contact_name: str | None) -> Text:
    if contact_name is not None:
        return Text.of(N_("{name} from social services reads your answers."), name=contact_name)
    return Text.of(N_("A person from the reception team at social services reads your answers."))


def offer(plan: Plan, contact_name: str | None) -> Reply:
    """Offer a plan plainly: what comes and how often, who reads, that it is automatic, how to stop.

    Buttons: Yes and No thanks. Nothing starts until the resident says yes.
    """
    return Reply.of(
        Text.of(N_("Would you like short check-in messages from us?")),
        Text.written(plan.title, bold=True),
        Text.written(plan.summary),
        Text.of(
            N_(
                "A computer program sends the messages. You can answer with a button or a few words. You do not have to answer."  # noqa: E501
            )
        ),
        _who_reads(contact_name),
        _stop_how(),
        Text.of(N_("It is your choice. Saying no does not change your support.")),
        _EMERGENCY,
        buttons=(
            (
                Button(Text.of(N_("Yes, please")), offer_data(YES, plan.name)),
                Button(Text.of(N_("No, thank you")), offer_data(NO, plan.name)),
            ),
        ),
    )


def pick_time_of_day(plan: Plan) -> Reply:
    """Ask when in the day the messages should come: morning, midday or evening."""
    return Reply.of(
        Text.of(N_("When in the day should the messages come?")),
        Text.of(N_("We never send them at night.")),
        buttons=tuple(
            (Button(Text.of(TIME_OF_DAY_NAMES[when]), time_data(plan.name, when)),)
            for when in TIMES_OF_DAY
        ),
    )


def started(plan: Plan, first: str) -> Reply:
    """Thank the resident and say when the first check-in comes (``first``: a written date)."""
    return Reply.of(
        Text.of(N_("Thank you. The first check-in comes on {first}."), first=first),
        Text.written(plan.summary),
        _stop_how(),
    )


_UNCHANGED: Final = Text.of(N_("This does not change your support."))
_CHANGE_MIND: Final = Text.of(
    N_("If you change your mind, tell your contact person or the reception team.")
)


def declined() -> Reply:
    """Accept a no kindly: nothing changes, and how to change one's mind."""
    return Reply.of(Text.of(N_("Okay, you will not get check-ins.")), _UNCHANGED, _CHANGE_MIND)


# --- the resident: a check-in and its answers ------------------------------------------------


def _call_label(contact_name: str | None) -> Text:
    if contact_name is not None:
        return Text.of(N_("I would like {name} to call me"), name=contact_name)
    return Text.of(N_("I would like someone to call me"))


def checkin(message: Message, plan_id: int, step: int, *, contact_name: str | None = None) -> Reply:
    """One check-in: its text, then the five faces and "call me", or (caring) just the text.

    Every check-in ends with a Stop button. ``step``: the step's place in the plan, from 0.
    """
    stop = (Button(Text.of(_STOP_BUTTON), plan_data(STOP, plan_id)),)
    if not message.faces:
        return Reply.of(
            Text.written(message.text),
            Text.of(N_("You can write to us here any time.")),
            _EMERGENCY,
            buttons=(stop,),
        )
    faces = tuple(
        (Button(Text.of(FACE_LABELS[face]), answer_data(plan_id, step, face)),) for face in FACES
    )
    call = (Button(_call_label(contact_name), answer_data(plan_id, step, CALL)),)
    return Reply.of(
        Text.written(message.text),
        Text.of(N_("You can also write a few words.")),
        buttons=(*faces, call, stop),
    )


def _who_contacts(has_contact: bool, contact_name: str | None) -> Text:
    if has_contact and contact_name is not None:
        return Text.of(
            N_("{name} will contact you soon, usually within one working day."), name=contact_name
        )
    if has_contact:
        return Text.of(
            N_("Your contact person will contact you soon, usually within one working day.")
        )
    return Text.of(
        N_(
            "A person from the reception team will contact you soon, usually within one working day."  # noqa: E501
        )
    )


def thanks(answer: str, has_contact: bool, contact_name: str | None) -> Reply:
    """Thank the resident for an answer; after "very bad" or "call me", say who calls and when.

    ``has_contact``: the resident has a contact person (``contact_name``, their first
    name, when known); otherwise the reception team answers.

    Raises:
        ValueError: ``answer`` is not one of :data:`ANSWERS`.
    """
    if answer not in ANSWERS:
        raise ValueError(f"unknown answer {answer!r}")
    said = Text.of(N_("Thank you for answering."))
    if answer in BAD or answer == CALL:
        sorry = (Text.of(N_("I am sorry things are so hard right now.")),) if answer in BAD else ()
        return Reply.of(
            said,
            *sorry,
            _who_contacts(has_contact, contact_name),
            Text.of(N_("If you or someone else is in danger now, call 112.")),
        )
    if answer == "2":
        return Reply.of(
            said,
            Text.of(
                N_("I am sorry it is hard. If you want to talk to someone, book a call with /book.")
            ),
        )
    if answer in ("4", "5"):
        return Reply.of(said, Text.of(N_("It is good to hear that.")))
    return Reply.of(said)


def thanks_for_words(contact_name: str | None) -> Reply:
    """Thank the resident for words written to a check-in, and say who reads them."""
    who = (
        Text.of(N_("Thank you for writing. {name} will read it."), name=contact_name)
        if contact_name is not None
        else Text.of(N_("Thank you for writing. A person from the reception team will read it."))
    )
    return Reply.of(who, _EMERGENCY)


# --- the resident: /checkins --------------------------------------------------------------------

# The states of a plan the resident sees in /checkins.
ACTIVE, PAUSED = "active", "paused"


def status(plan: Plan, state: str, next_due: str | None, time_of_day: str, plan_id: int) -> Reply:
    """The resident's /checkins: plan, on or paused, next date, time of day; Pause or Resume, Stop.

    ``state``: ``active`` or ``paused``; ``next_due``: a written date, None when none is due.

    Raises:
        ValueError: ``state`` is neither.
    """
    if state not in (ACTIVE, PAUSED):
        raise ValueError(f"unknown plan state {state!r}")
    on = state == ACTIVE
    lines = [
        Text.written(plan.title, bold=True),
        Text.of(N_("Your check-ins are on.") if on else N_("Your check-ins are paused.")),
    ]
    if on and next_due is not None:
        lines.append(Text.of(N_("Next check-in: {when}"), when=next_due))
    elif on:
        lines.append(Text.of(N_("There are no more check-ins in this plan.")))
    if time_of_day in TIME_OF_DAY_NAMES:
        lines.append(
            Text.of(N_("Time of day: {time}"), time=Text.of(TIME_OF_DAY_NAMES[time_of_day]))
        )
    toggle = (
        Button(Text.of(N_("Pause")), plan_data(PAUSE, plan_id))
        if on
        else Button(Text.of(N_("Resume")), plan_data(RESUME, plan_id))
    )
    stop = Button(Text.of(_STOP_BUTTON), plan_data(STOP, plan_id))
    return Reply.of(*lines, buttons=((toggle, stop),))


def no_plan() -> Reply:
    """The resident's /checkins without a plan: what check-ins are, and who offers them."""
    return Reply.of(
        Text.of(N_("You have no check-ins right now.")),
        Text.of(
            N_(
                "Check-ins are short messages that ask how you are, for a while after your contact with social services."  # noqa: E501
            )
        ),
        Text.of(N_("Your contact person or the reception team can offer them to you.")),
    )


def paused() -> Reply:
    """Confirm a pause."""
    return Reply.of(
        Text.of(
            N_("Your check-ins are paused. Nothing is sent until you resume them in /checkins.")
        )
    )


def resumed(next_due: str) -> Reply:
    """Confirm a resume, with the next date (written out)."""
    return Reply.of(
        Text.of(N_("Your check-ins are on again. The next one comes on {when}."), when=next_due)
    )


def stopped() -> Reply:
    """Confirm a stop: no more messages, support unchanged, how to have them again."""
    return Reply.of(
        Text.of(N_("Your check-ins are stopped. You will get no more check-in messages.")),
        _UNCHANGED,
        _CHANGE_MIND,
    )


def already_answered() -> Reply:
    """A second press on a check-in already answered."""
    return Reply.of(Text.of(N_("You have already answered this check-in. Thank you.")))


def old_button() -> Reply:
    """A press on a button of a plan that has ended, stopped or been deleted."""
    return Reply.of(
        Text.of(N_("This button no longer works. Send /checkins to see your check-ins."))
    )


# --- staff ----------------------------------------------------------------------------------------


def _answer_label(answer: str) -> Text:
    return Text.of(ANSWER_LABELS[answer]) if answer in ANSWER_LABELS else Text.raw(answer)


def _quoted(words_written: str) -> str:
    text = " ".join(words_written.split())
    return text if len(text) <= WORDS_QUOTED else text[: WORDS_QUOTED - 1] + CUT


def staff_alert(
    resident_name: str,
    answer: str,
    recent: Sequence[tuple[str, str]],
    plan: Plan,
    words: str | None,
    resident_id: int,
) -> Reply:
    """Tell the contact (or the reception team) at once: a very bad answer or "call me".

    ``recent``: earlier answers as (written date, answer), newest first, as the shell
    gives them; ``words``: what the resident wrote, if anything. Says what the resident
    was promised, and offers a call.
    """
    head = (
        Text.of(N_("{name} asked you to call them."), name=resident_name)
        if answer == CALL
        else Text.of(
            N_("{name} answered a check-in: {answer}."),
            name=resident_name,
            answer=_answer_label(answer),
        )
    )
    lines = [head, Text.of(N_("Plan: {plan}"), plan=Text.written(plan.title))]
    if words is not None and words.strip():
        lines.append(Text.of(N_("Their words: {words}"), words=_quoted(words)))
    if recent:
        lines.append(Text.of(N_("Recent answers:")))
        lines.extend(
            Text.of(N_("{day}: {answer}"), day=day, answer=_answer_label(earlier))
            for day, earlier in recent[:RECENT_SHOWN]
        )
    lines.append(
        Text.of(
            N_(
                "They were told that someone will contact them soon, usually within one working day."  # noqa: E501
            )
        )
    )
    return Reply.of(
        *lines, buttons=((Button(Text.of(N_("Offer a call")), book_data(resident_id)),),)
    )


@dataclass(frozen=True)
class DigestRow:
    """One resident in a contact's morning digest: answers since yesterday, two missed."""

    name: str
    answers: tuple[str, ...]
    missed_twice: bool


def _joined(labels: Sequence[Text]) -> Text:
    joined = labels[0]
    for label in labels[1:]:
        # TRANSLATORS: joins a list of answers ("bad, good"); Arabic and Dari use "،".
        joined = Text.of(N_("{earlier}, {later}"), earlier=joined, later=label)
    return joined


def digest(rows: Sequence[DigestRow], day: str) -> Reply:
    """A contact's morning digest: who answered what since yesterday, who missed two in a row."""
    answered = [row for row in rows if row.answers]
    missed = [row for row in rows if row.missed_twice]
    lines = [Text.of(N_("Check-ins: your summary for {day}"), day=day)]
    if not answered and not missed:
        lines.append(Text.of(N_("No new answers, and no one has missed two check-ins in a row.")))
    if answered:
        lines.append(Text.of(N_("Answers since yesterday:")))
        lines.extend(
            Text.of(
                N_("{name}: {answers}"),
                name=row.name,
                answers=_joined([_answer_label(answer) for answer in row.answers]),
            )
            for row in answered
        )
    if missed:
        lines.append(Text.of(N_("No answer to the last two check-ins:")))
        lines.extend(Text.raw(row.name) for row in missed)
    return Reply(tuple(lines))


def offer_sent(name: str, plan: Plan) -> Reply:
    """Confirm to staff that a plan was offered (it starts only when the resident says yes)."""
    return Reply.of(
        Text.of(
            N_("Check-ins offered to {name}: {plan}. They start only if {name} says yes."),
            name=name,
            plan=Text.written(plan.title),
        )
    )


def cannot_offer(reason: str) -> Reply:
    """Tell staff why an offer did not go out (``reason``: a key of :data:`CANNOT_OFFER`)."""
    if reason in CANNOT_OFFER:
        return Reply.of(Text.of(CANNOT_OFFER[reason]))
    return Reply.of(Text.of(N_("Check-ins could not be offered: {reason}"), reason=reason))


# --- staff: choosing a plan to offer, and a call offered ------------------------------------


def choose_plan(case: int, plans: Plans) -> Reply:
    """Ask a staff member which plan to offer the resident of case ``case`` (one button each).

    Offered after they close a case, and by ``/checkins N``. The resident is asked first.
    """
    return Reply.of(
        Text.of(N_("Offer check-ins to the resident of case {number}?"), number=str(case)),
        Text.of(N_("They are asked first. Nothing is sent unless they say yes.")),
        buttons=tuple(
            (Button(Text.written(plan.title), staff_offer_data(case, plan.name)),) for plan in plans
        ),
    )


def checkins_usage() -> Reply:
    """How a staff member offers check-ins with /checkins."""
    return Reply.of(
        Text.of(N_("To offer check-ins, write /checkins and the case number, e.g. /checkins 12.")),
        Text.of(N_("You can also offer them when you close a case.")),
    )


def call_offered() -> Text:
    """Tell a staff member the resident was sent the free times for a call."""
    return Text.of(N_("The free times for a call were sent to them."))
