"""Check-ins' pure core: the plans file and its check, due times, button data, "stop", texts."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from flows import checkins
from flows.checkins import (
    DigestRow,
    Offset,
    Plan,
    PlansError,
    Press,
    QuietHours,
    Step,
    check_plans,
    is_stop,
    load_plans,
    not_in_quiet_hours,
    read_press,
    step_due,
)
from flows.language import LOCALES
from flows.replies import Reply, Text

ZONE = ZoneInfo("Europe/Stockholm")
QUIET = QuietHours()
SHIPPED = checkins.PLAN_FILE


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZONE)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def step(amount: int, unit: str) -> Step:
    plans = load_plans()
    return Step(Offset(amount, unit), plans.plans["after-support"].steps[0].message)


def every_data(reply: Reply) -> list[str]:
    return [button.data for row in reply.buttons for button in row]


def msgids(reply: Reply) -> list[str]:
    """Every msgid in a reply, parameters and button labels included."""

    def walk(text: Text) -> list[str]:
        found = [] if text.literal else [text.msgid]
        for value in text.params.values():
            if isinstance(value, Text):
                found.extend(walk(value))
        return found

    found = [msgid for text in reply.paragraphs for msgid in walk(text)]
    found += [msgid for row in reply.buttons for button in row for msgid in walk(button.label)]
    return found


def line_of(text: str, needle: str, after: str | None = None) -> int:
    """Return the 1-based line of the first ``needle`` (after the line holding ``after``)."""
    lines = text.splitlines()
    start = 0 if after is None else next(n for n, line in enumerate(lines) if after in line)
    return next(n for n in range(start, len(lines)) if needle in lines[n]) + 1


@pytest.fixture
def text() -> str:
    return SHIPPED.read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "checkins.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def replace_once(text: str, old: str, new: str, after: str | None = None) -> str:
    start = 0 if after is None else text.index(after)
    at = text.index(old, start)
    return text[:at] + new + text[at + len(old) :]


# --- the shipped file ----------------------------------------------------------------------


def test_shipped_plans_have_no_problems() -> None:
    assert check_plans(SHIPPED) == []


def test_the_plans_the_issue_names_have_its_steps() -> None:
    plans = load_plans()
    support = plans.get("after-support")
    assert support is not None
    assert [str(s.after) for s in support.steps] == [
        "1 week",
        "2 weeks",
        "4 weeks",
        "8 weeks",
        "3 months",
        "6 months",
        "12 months",
    ]
    assert support.steps[-1].message.key == "did-you-get-what-you-needed"
    assert all(s.message.faces for s in support.steps)
    contact = plans.get("continued-contact")
    assert contact is not None
    assert [(s.after.amount, s.after.unit) for s in contact.steps] == [
        (n, "week") for n in range(1, 9)
    ]
    crisis = plans.get("after-crisis")
    assert crisis is not None
    assert [str(s.after) for s in crisis.steps] == [
        "1 day",
        "3 days",
        "7 days",
        "14 days",
        *(f"{n} month{'s' if n > 1 else ''}" for n in range(1, 7)),
    ]
    # Caring contacts: warm words first, never a question the resident must answer.
    assert not crisis.steps[0].message.faces
    assert plans.get("no-such-plan") is None


def test_every_plan_and_message_speaks_all_eight_languages() -> None:
    plans = load_plans()
    assert len(plans) >= 3
    for plan in plans:
        assert set(plan.title) == set(LOCALES), plan.name
        assert set(plan.summary) == set(LOCALES), plan.name
        for s in plan.steps:
            assert set(s.message.text) == set(LOCALES), s.message.key
            assert all(text.strip() for text in s.message.text.values())
        # Residents consent to the summary: it says how many messages come, in every language.
        assert all(str(len(plan.steps)) in summary for summary in plan.summary.values())


def test_no_text_promises_secrecy() -> None:
    for plan in load_plans():
        for s in plan.steps:
            for text in (s.message.text["en"], s.message.text["sv"]):
                lowered = text.lower()
                assert "secret" not in lowered and "hemlig" not in lowered
                assert "confidential" not in lowered


def test_load_is_cached_until_the_file_changes(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    first = load_plans(path)
    assert load_plans(path) is first
    path.write_text(text.replace("en: Caring messages after", "en: Kind messages after"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = load_plans(path)
    assert second is not first
    crisis = second.get("after-crisis")
    assert crisis is not None and crisis.title["en"].startswith("Kind messages")


# --- the check names the line ----------------------------------------------------------------


def test_a_missing_language_names_the_line_and_still_loads(tmp_path: Path, text: str) -> None:
    so_line = line_of(text, "so: Salaan! Tani waa fariin gaaban", after="how-are-things:")
    broken = "\n".join(line for n, line in enumerate(text.splitlines(), 1) if n != so_line)
    path = write(tmp_path, broken)
    problems = check_plans(path)
    text_line = line_of(text, "text:", after="how-are-things:")
    assert [str(p) for p in problems] == [f"{path}:{text_line}: how-are-things: text.so is missing"]
    assert not problems[0].blocking
    assert load_plans(path).get("after-support") is not None


def test_missing_swedish_blocks(tmp_path: Path, text: str) -> None:
    path = write(
        tmp_path,
        replace_once(
            text, "      sv: Hej från socialtjänsten. Vi tänker", "      xx: Hej", after="  caring:"
        ),
    )
    problems = check_plans(path)
    messages = {p.message: p for p in problems}
    assert "caring: text.sv is missing" in messages
    assert messages["caring: text.sv is missing"].blocking
    with pytest.raises(PlansError):
        load_plans(path)


def test_a_bad_after_names_its_line_and_blocks(tmp_path: Path, text: str) -> None:
    path = write(
        tmp_path, replace_once(text, "{after: 2 weeks,", "{after: 2 wekes,", "  after-support:")
    )
    line = line_of(text, "{after: 2 weeks,", after="  after-support:")
    problems = check_plans(path)
    assert [p.line for p in problems] == [line]
    assert problems[0].message.startswith("after-support: step 2: after '2 wekes' should be")
    assert problems[0].blocking
    with pytest.raises(PlansError) as raised:
        load_plans(path)
    assert f":{line}: after-support: step 2" in str(raised.value)


@pytest.mark.parametrize("written", ["0 days", "2", "week", "1 fortnight", "61 months", "-1 day"])
def test_an_after_that_cannot_be_used_is_refused(tmp_path: Path, text: str, written: str) -> None:
    path = write(tmp_path, replace_once(text, "{after: 1 day,", f"{{after: {written},"))
    problems = check_plans(path)
    assert [p.line for p in problems if p.blocking] == [line_of(text, "{after: 1 day,")]


def test_an_unknown_message_names_its_line(tmp_path: Path, text: str) -> None:
    path = write(
        tmp_path, text.replace("message: did-you-get-what-you-needed}", "message: did-you-get-it}")
    )
    problems = check_plans(path)
    step_line = line_of(text, "message: did-you-get-what-you-needed}")
    unused_line = line_of(text, "  did-you-get-what-you-needed:")
    assert [(p.line, p.blocking) for p in problems] == [(unused_line, False), (step_line, True)]
    assert "step 7: unknown message 'did-you-get-it'" in problems[1].message
    assert problems[0].message == "did-you-get-what-you-needed: no plan uses this message"


def test_steps_out_of_order_are_named(tmp_path: Path, text: str) -> None:
    path = write(
        tmp_path,
        replace_once(text, "{after: 3 weeks,", "{after: 1 week,", after="  continued-contact:"),
    )
    line = line_of(text, "{after: 3 weeks,")
    problems = check_plans(path)
    assert [(p.line, p.blocking) for p in problems] == [(line, True)]
    assert problems[0].message == (
        f"continued-contact: step 3: steps must come in order, but '1 week' is not after "
        f"'2 weeks' (line {line - 1})"
    )
    with pytest.raises(PlansError):
        load_plans(path)


def test_a_month_that_can_fall_on_the_same_day_as_four_weeks_is_out_of_order(
    tmp_path: Path, text: str
) -> None:
    path = write(
        tmp_path,
        replace_once(text, "{after: 8 weeks,", "{after: 1 month,", after="  after-support:"),
    )
    problems = check_plans(path)
    assert len(problems) == 1
    # 31 January plus four weeks is 28 February in a common year, and so is plus one month.
    weeks = line_of(text, "{after: 4 weeks,", after="  after-support:")
    assert problems[0].message.endswith(
        f"'1 month' is not after '4 weeks' (line {weeks}) for a start on 2027-01-31"
    )


def test_an_unknown_plan_field_names_its_line(tmp_path: Path, text: str) -> None:
    path = write(
        tmp_path,
        replace_once(text, "    steps:", "    colour: blue\n    steps:", after="  after-crisis:"),
    )
    problems = check_plans(path)
    line = line_of(text, "    steps:", after="  after-crisis:")
    assert [(p.line, p.blocking) for p in problems] == [(line, False)]
    assert (
        problems[0].message
        == "after-crisis: unknown field 'colour' (allowed: steps, summary, title)"
    )
    assert load_plans(path).get("after-crisis") is not None


def test_a_missing_required_plan_and_a_bad_name_block(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text.replace("  after-crisis:", "  After Crisis:"))
    problems = check_plans(path)
    assert [p.message for p in problems if p.blocking] == [
        "after-crisis: missing (the bot offers this plan)",
        "After Crisis: the name of a plan may only use a-z, 0-9 and single '-', at most 40 characters",
    ]
    assert [p.line for p in problems if p.blocking] == [
        line_of(text, "plans:"),
        line_of(text, "  after-crisis:"),
    ]


def test_a_summary_that_does_not_count_the_messages_is_named(tmp_path: Path, text: str) -> None:
    path = write(
        tmp_path,
        text.replace(
            "en: 8 short messages, one a week for 8 weeks.", "en: A short message every week."
        ),
    )
    problems = check_plans(path)
    assert [str(p).split(": ", 1)[1] for p in problems] == [
        "continued-contact: summary.en does not say how many messages come (8)"
    ]


def test_broken_yaml_names_its_line(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, replace_once(text, "    faces: true", "    faces: [true"))
    problems = check_plans(path)
    assert problems[0].blocking and problems[0].message.startswith("YAML syntax")
    assert problems[0].line > line_of(text, "how-are-things:")


# --- when a check-in is due ------------------------------------------------------------------


def test_offsets_count_calendar_months_and_keep_the_day_where_it_exists() -> None:
    month = Offset(1, "month")
    assert month.added_to(date(2027, 1, 31)) == date(2027, 2, 28)
    assert month.added_to(date(2028, 1, 31)) == date(2028, 2, 29)
    assert month.added_to(date(2026, 3, 31)) == date(2026, 4, 30)
    assert month.added_to(date(2026, 12, 15)) == date(2027, 1, 15)
    assert Offset(12, "month").added_to(date(2028, 2, 29)) == date(2029, 2, 28)
    assert Offset(2, "week").added_to(date(2026, 12, 25)) == date(2027, 1, 8)
    with pytest.raises(ValueError, match="days, weeks or months"):
        Offset(1, "year")


def test_a_month_after_the_31st_comes_on_the_last_day_of_a_shorter_month() -> None:
    due = step_due(local(2027, 1, 31, 15, 0), step(1, "month"), "midday", ZONE, QUIET)
    assert due == local(2027, 2, 28, 12, 0)


def test_the_spring_change_keeps_the_morning_at_nine() -> None:
    # Summer time begins 2026-03-29 at 02:00: nine in the morning is 07:00 UTC that day.
    due = step_due(local(2026, 3, 28, 20, 0), step(1, "day"), "morning", ZONE, QUIET)
    assert due == utc(2026, 3, 29, 7, 0)
    weekly = step_due(local(2026, 3, 23, 9, 0), step(1, "week"), "morning", ZONE, QUIET)
    assert weekly == utc(2026, 3, 30, 7, 0)
    assert weekly.astimezone(ZONE).hour == 9


def test_the_autumn_change_keeps_the_evening_at_six() -> None:
    # Summer time ends 2026-10-25 at 03:00: six in the evening is 17:00 UTC that day.
    due = step_due(local(2026, 10, 24, 12, 0), step(1, "day"), "evening", ZONE, QUIET)
    assert due == utc(2026, 10, 25, 17, 0)
    before = step_due(local(2026, 10, 17, 12, 0), step(1, "day"), "evening", ZONE, QUIET)
    assert before == utc(2026, 10, 18, 16, 0)


def test_the_day_counts_from_the_local_date_of_consent() -> None:
    # 23:30 UTC on 1 June is already 2 June in Stockholm.
    due = step_due(utc(2026, 6, 1, 23, 30), step(1, "day"), "morning", ZONE, QUIET)
    assert due == local(2026, 6, 3, 9, 0)


def test_a_whole_plan_stays_at_the_chosen_time_across_the_year() -> None:
    support = load_plans().plans["after-support"]
    dues = checkins.schedule(local(2026, 3, 1, 10, 0), support, "evening", ZONE, QUIET)
    assert [due.astimezone(ZONE).time() for due in dues] == [time(18, 0)] * len(dues)
    assert dues == tuple(sorted(dues))
    assert dues[-1] == local(2027, 3, 1, 18, 0)
    assert checkins.first_due(local(2026, 3, 1, 10, 0), support, "evening", ZONE, QUIET) == dues[0]


def test_an_evening_in_quiet_hours_waits_for_the_next_morning() -> None:
    quiet = QuietHours(time(17, 0), time(8, 0))
    due = step_due(local(2026, 12, 1, 10, 0), step(1, "day"), "evening", ZONE, quiet)
    assert due == local(2026, 12, 3, 8, 0)


@pytest.mark.parametrize(
    ("moment", "sent"),
    [
        (local(2026, 12, 1, 23, 30), local(2026, 12, 2, 8, 0)),
        (local(2026, 12, 1, 7, 59), local(2026, 12, 1, 8, 0)),
        (local(2026, 12, 1, 21, 0), local(2026, 12, 2, 8, 0)),
        (local(2026, 12, 1, 8, 0), local(2026, 12, 1, 8, 0)),
        (local(2026, 12, 1, 20, 59), local(2026, 12, 1, 20, 59)),
        # The night summer time begins: 01:30 local, then eight o'clock summer time.
        (utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 6, 0)),
        # The night it ends: the hour 02:00-03:00 comes twice, and both wait for 08:00.
        (utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 7, 0)),
    ],
)
def test_a_moment_in_quiet_hours_moves_to_their_end(moment: datetime, sent: datetime) -> None:
    assert not_in_quiet_hours(moment, ZONE, QUIET) == sent


def test_quiet_hours_start_at_their_start_and_end_at_their_end() -> None:
    assert QUIET.covers(time(21, 0)) and QUIET.covers(time(7, 59)) and QUIET.covers(time(0, 0))
    assert not QUIET.covers(time(8, 0)) and not QUIET.covers(time(20, 59))
    lunch = QuietHours(time(12, 0), time(13, 0))
    assert lunch.covers(time(12, 0)) and not lunch.covers(time(13, 0))
    assert not lunch.covers(time(11, 59))


def test_a_quiet_end_lost_to_the_spring_change_moves_on_by_the_gap() -> None:
    # 02:30 does not exist on 2026-03-29: the clock goes from 02:00 to 03:00.
    quiet = QuietHours(time(1, 0), time(2, 30))
    sent = not_in_quiet_hours(local(2026, 3, 29, 1, 30), ZONE, quiet)
    assert sent == utc(2026, 3, 29, 1, 30)
    assert (sent.hour, sent.minute, sent.utcoffset()) == (3, 30, timedelta(hours=2))


def test_quiet_hours_within_one_day_and_none_at_all() -> None:
    lunch = QuietHours(time(12, 0), time(13, 0))
    assert not_in_quiet_hours(local(2026, 12, 1, 12, 0), ZONE, lunch) == local(2026, 12, 1, 13, 0)
    assert not_in_quiet_hours(local(2026, 12, 1, 12, 30), ZONE, lunch) == local(2026, 12, 1, 13, 0)
    assert not_in_quiet_hours(local(2026, 12, 1, 23, 0), ZONE, lunch) == local(2026, 12, 1, 23, 0)
    never = QuietHours(time(0, 0), time(0, 0))
    assert not_in_quiet_hours(local(2026, 12, 1, 3, 0), ZONE, never) == local(2026, 12, 1, 3, 0)


def test_naive_times_and_unknown_times_of_day_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        not_in_quiet_hours(datetime(2026, 12, 1, 23, 0), ZONE, QUIET)
    with pytest.raises(ValueError, match="aware"):
        step_due(datetime(2026, 12, 1, 10, 0), step(1, "day"), "morning", ZONE, QUIET)
    with pytest.raises(ValueError, match="time of day"):
        step_due(local(2026, 12, 1, 10, 0), step(1, "day"), "night", ZONE, QUIET)


def test_a_resumed_plan_skips_what_fell_in_the_pause() -> None:
    crisis = load_plans().plans["after-crisis"]
    start = local(2026, 12, 1, 10, 0)
    assert checkins.next_step(start, crisis, "morning", ZONE, QUIET, start) == (
        0,
        local(2026, 12, 2, 9, 0),
    )
    # At the moment step 1 is sent, the next is step 2, not step 1 again.
    assert checkins.next_step(start, crisis, "morning", ZONE, QUIET, local(2026, 12, 4, 9, 0)) == (
        2,
        local(2026, 12, 8, 9, 0),
    )
    assert (
        checkins.next_step(start, crisis, "morning", ZONE, QUIET, local(2027, 6, 1, 9, 0)) is None
    )


# --- buttons ------------------------------------------------------------------------------------


def a_plan(name: str = "after-support") -> Plan:
    plan = load_plans().get(name)
    assert plan is not None
    return plan


def every_reply(plan: Plan, plan_id: int, resident_id: int) -> list[Reply]:
    faces = plan.steps[0].message
    caring = a_plan("after-crisis").steps[0].message
    return [
        checkins.offer(plan, "Sara"),
        checkins.pick_time_of_day(plan),
        checkins.checkin(faces, plan_id, 6),
        checkins.checkin(caring, plan_id, 0),
        checkins.status(plan, "active", "1 mars", "morning", plan_id),
        checkins.status(plan, "paused", None, "evening", plan_id),
        checkins.staff_alert("Amal", "1", [], plan, None, resident_id),
    ]


def test_every_button_reads_back_as_what_it_was_made_for() -> None:
    plan = a_plan()
    pressed = [
        read_press(data) for reply in every_reply(plan, 12, 34) for data in every_data(reply)
    ]
    assert pressed == [
        Press("yes", plan="after-support"),
        Press("no", plan="after-support"),
        *(Press("tod", plan="after-support", time_of_day=when) for when in checkins.TIMES_OF_DAY),
        *(
            Press("a", plan_id=12, step=6, answer=answer)
            for answer in ("1", "2", "3", "4", "5", "call")
        ),
        Press("stop", plan_id=12),
        Press("stop", plan_id=12),
        Press("pause", plan_id=12),
        Press("stop", plan_id=12),
        Press("resume", plan_id=12),
        Press("stop", plan_id=12),
        Press("book", resident_id=34),
    ]


def test_faces_come_one_to_a_row_with_words_for_screen_readers_then_call_then_stop() -> None:
    reply = checkins.checkin(a_plan().steps[0].message, 5, 0, contact_name="Sara")
    assert [len(row) for row in reply.buttons] == [1] * 7
    labels = [row[0].label for row in reply.buttons]
    assert [label.msgid for label in labels[:5]] == [
        "😞 Very bad",
        "🙁 Bad",
        "😐 Okay",
        "🙂 Good",
        "😄 Very good",
    ]
    assert labels[5].params == {"name": "Sara"}
    assert labels[6].msgid == "Stop check-ins"
    assert reply.paragraphs[0].versions == a_plan().steps[0].message.text
    nameless = checkins.checkin(a_plan().steps[0].message, 5, 0)
    assert nameless.buttons[5][0].label.msgid == "I would like someone to call me"


def test_a_caring_message_asks_nothing_and_keeps_the_stop_button() -> None:
    caring = a_plan("after-crisis").steps[0].message
    reply = checkins.checkin(caring, 5, 0)
    assert every_data(reply) == ["ci:stop:5"]
    assert "In an emergency, call 112." in msgids(reply)


@pytest.mark.parametrize(
    "data",
    [
        "",
        "ci",
        "ci:",
        "ci:yes",
        "ci:yes:",
        "ci:yes:After-Support",
        "ci:yes:after support",
        "ci:yes:-after",
        "ci:yes:" + "a" * 41,
        "ci:maybe:after-support",
        "ci:tod:after-support:night",
        "ci:tod:after-support",
        "ci:a:12:0:6",
        "ci:a:12:0:0",
        "ci:a:12:0:CALL",
        "ci:a:12:0:",
        "ci:a:12:x:1",
        "ci:a:x:0:1",
        "ci:a:0:0:1",
        "ci:a:012:0:1",
        "ci:a:12:01:1",
        "ci:a:-12:0:1",
        "ci:a:١٢:0:1",
        "ci:a:12:0:1:extra",
        "ci:stop:",
        "ci:stop:abc",
        "ci:stop:1:2",
        "ci:pause:1e5",
        "ci:book:",
        "ci:book:-1",
        "ci:stop:" + "1" * 19,
        "ci:a:1:0:1" + " " * 60,
        "bk:yes:after-support",
        "case:claim:1",
    ],
)
def test_forged_or_foreign_data_is_refused(data: str) -> None:
    assert read_press(data) is None


def test_button_data_stays_within_telegrams_64_bytes() -> None:
    longest_name = "a" * checkins.MAX_NAME_LENGTH
    plan = Plan(longest_name, a_plan().title, a_plan().summary, a_plan().steps)
    biggest = 10**18 - 1
    data = [d for reply in every_reply(plan, biggest, biggest) for d in every_data(reply)]
    data.append(checkins.answer_data(biggest, 9999, "call"))
    assert all(len(d.encode()) <= checkins.MAX_DATA for d in data)
    assert all(read_press(d) is not None for d in data)


def test_a_plan_name_too_long_for_button_data_is_refused_by_the_check(
    tmp_path: Path, text: str
) -> None:
    name = "x" * (checkins.MAX_NAME_LENGTH + 1)
    path = write(
        tmp_path, text.replace("  after-crisis:", f"  {name}:\n    oops: 1\n  after-crisis:", 1)
    )
    problems = [p for p in check_plans(path) if p.blocking]
    assert [p.message.split(":")[0] for p in problems] == [name]


# --- "stop" in the resident's own words -------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "locale"),
    [
        ("stop", "en"),
        ("STOP!", "sv"),
        ("Please stop", "en"),
        ("stop, thank you", "en"),
        ("no more messages", "en"),
        ("don't send", "en"),
        ("stop check-ins", "fi"),
        ("sluta", "sv"),
        ("Stopp", "sv"),
        ("sluta skicka tack", "sv"),
        ("jooji", "so"),
        ("Jooji fadlan", "so"),
        ("jooji", "sv"),
        ("توقف", "ar"),
        ("توقفوا من فضلك", "ar"),
        ("بس", "ar"),
        ("بس کو", "fa_AF"),
        ("دیگه نفرست", "fa_AF"),
        ("ኣቋርጽ", "ti"),
        ("ደው በል", "ti"),
        ("стоп", "uk"),
        ("досить", "uk"),
        ("не пишіть", "uk"),
        ("Не пишіть мені, будь ласка", "uk"),
        ("lopeta", "fi"),
        ("älä lähetä", "fi"),
        ("ala laheta", "fi"),
    ],
)
def test_stop_in_every_language_stops(written: str, locale: str) -> None:
    assert is_stop(written, locale)


@pytest.mark.parametrize(
    ("written", "locale"),
    [
        ("I can't stop crying", "en"),
        ("bus stop", "en"),
        ("when does the bus stop", "en"),
        ("stop hitting me", "en"),
        ("stop it", "en"),
        ("don't stop", "en"),
        ("stop?", "en"),
        ("how do I stop?", "en"),
        ("please", "en"),
        ("", "en"),
        ("sluta slå mig", "sv"),
        ("jag kan inte sluta gråta", "sv"),
        ("توقف عن ضربي", "ar"),
        ("بس", "sv"),
        ("بس", "so"),
        ("досить", "en"),
        ("не можу перестати плакати", "uk"),
        ("en voi lopettaa itkemistä", "fi"),
        ("stop stop stop stop stop", "en"),
    ],
)
def test_look_alikes_and_pleas_do_not_stop(written: str, locale: str) -> None:
    assert not is_stop(written, locale)


def test_the_stop_word_the_offer_teaches_works_in_every_language() -> None:
    assert set(checkins.STOP_WORD) == set(LOCALES)
    for locale, word in checkins.STOP_WORD.items():
        assert is_stop(word, locale), locale


# --- what residents and staff are told ------------------------------------------------------------


def test_the_offer_says_who_reads_that_it_is_automatic_and_how_to_stop() -> None:
    plan = a_plan()
    named = checkins.offer(plan, "Sara")
    said = msgids(named)
    assert (
        named.paragraphs[1].versions == plan.title and named.paragraphs[2].versions == plan.summary
    )
    assert "{name} from social services reads your answers." in said
    assert any("computer program" in msgid for msgid in said)
    assert any("/checkins" in msgid for msgid in said)
    assert "It is your choice. Saying no does not change your support." in said
    team = msgids(checkins.offer(plan, None))
    assert "A person from the reception team at social services reads your answers." in team
    assert not any("{name}" in msgid for msgid in team)


def test_a_very_bad_answer_or_call_me_is_told_who_contacts_them_and_what_to_do_now() -> None:
    for answer in ("1", "call"):
        named = msgids(checkins.thanks(answer, True, "Sara"))
        assert "{name} will contact you soon, usually within one working day." in named
        assert "If you or someone else is in danger now, call 112." in named
        team = msgids(checkins.thanks(answer, False, None))
        assert any(
            msgid.startswith("A person from the reception team will contact") for msgid in team
        )
    assert "I am sorry things are so hard right now." in msgids(checkins.thanks("1", True, "Sara"))
    assert any(
        m.startswith("Your contact person will") for m in msgids(checkins.thanks("1", True, None))
    )
    for answer in ("3", "4", "5"):
        assert not any(
            "112" in msgid or "contact" in msgid
            for msgid in msgids(checkins.thanks(answer, True, "Sara"))
        )
    assert any("/book" in msgid for msgid in msgids(checkins.thanks("2", True, "Sara")))
    with pytest.raises(ValueError, match="answer"):
        checkins.thanks("6", True, "Sara")


def test_status_shows_next_date_and_the_right_toggle() -> None:
    plan = a_plan()
    on = checkins.status(plan, "active", "tisdag 1 mars", "midday", 7)
    assert on.paragraphs[0].versions == plan.title
    assert {"when": "tisdag 1 mars"} in [p.params for p in on.paragraphs]
    assert every_data(on) == ["ci:pause:7", "ci:stop:7"]
    off = checkins.status(plan, "paused", None, "midday", 7)
    assert every_data(off) == ["ci:resume:7", "ci:stop:7"]
    assert "Your check-ins are paused." in msgids(off)
    done = checkins.status(plan, "active", None, "midday", 7)
    assert "There are no more check-ins in this plan." in msgids(done)
    with pytest.raises(ValueError, match="state"):
        checkins.status(plan, "stopped", None, "midday", 7)


def test_consent_is_confirmed_with_the_first_date_and_what_comes() -> None:
    plan = a_plan("after-crisis")
    reply = checkins.started(plan, "onsdag 2 december")
    assert reply.paragraphs[0].params == {"first": "onsdag 2 december"}
    assert reply.paragraphs[1].versions == plan.summary
    assert any("/checkins" in msgid for msgid in msgids(reply))
    assert not reply.buttons
    times = checkins.pick_time_of_day(plan)
    assert [row[0].label.msgid for row in times.buttons] == [
        "Morning (about 9:00)",
        "Midday (about 12:00)",
        "Evening (about 18:00)",
    ]
    no = msgids(checkins.declined())
    assert "This does not change your support." in no


def test_the_staff_alert_quotes_words_and_recent_answers_and_offers_a_call() -> None:
    plan = a_plan()
    recent = [(f"{day} mars", "2") for day in range(20, 0, -1)]
    alert = checkins.staff_alert("Amal", "1", recent, plan, "  jag orkar   inte  ", 34)
    assert alert.paragraphs[0].params["name"] == "Amal"
    assert alert.paragraphs[0].params["answer"] == Text.of("very bad (1 of 5)")
    assert {"words": "jag orkar inte"} in [p.params for p in alert.paragraphs]
    days = [p.params["day"] for p in alert.paragraphs if "day" in p.params]
    assert days == [f"{day} mars" for day in range(20, 10, -1)]
    assert every_data(alert) == ["ci:book:34"]
    assert any("usually within one working day" in m for m in msgids(alert))
    call = checkins.staff_alert("Amal", "call", [], plan, "x" * 5000, 34)
    assert call.paragraphs[0].msgid == "{name} asked you to call them."
    quoted = next(p.params["words"] for p in call.paragraphs if "words" in p.params)
    assert isinstance(quoted, str) and len(quoted) == checkins.WORDS_QUOTED and quoted.endswith("…")


def test_the_digest_lists_answers_and_who_missed_two_in_a_row() -> None:
    rows = [
        DigestRow("Amal", ("4", "1"), False),
        DigestRow("Bo", (), True),
        DigestRow("Cai", (), False),
    ]
    reply = checkins.digest(rows, "1 mars")
    said = msgids(reply)
    assert said.count("{name}: {answers}") == 1
    assert said.count("{earlier}, {later}") == 1
    assert "good (4 of 5)" in said and "very bad (1 of 5)" in said
    assert "No answer to the last two check-ins:" in said
    assert [p.msgid for p in reply.paragraphs if p.literal] == ["Bo"]
    quiet = checkins.digest([DigestRow("Cai", (), False)], "1 mars")
    assert "No new answers, and no one has missed two check-ins in a row." in msgids(quiet)


def test_staff_are_told_why_an_offer_did_not_go_out() -> None:
    for reason, msgid in checkins.CANNOT_OFFER.items():
        assert msgids(checkins.cannot_offer(reason)) == [msgid]
    unknown = checkins.cannot_offer("database-down")
    assert unknown.paragraphs[0].params == {"reason": "database-down"}
    sent = checkins.offer_sent("Amal", a_plan())
    assert sent.paragraphs[0].params["name"] == "Amal"


def test_every_resident_text_has_a_label_for_every_answer() -> None:
    assert set(checkins.ANSWER_LABELS) == set(checkins.ANSWERS)
    assert set(checkins.FACE_LABELS) == set(checkins.FACES)
    assert set(checkins.TIME_OF_DAY_NAMES) == set(checkins.TIMES_OF_DAY) == set(checkins.HOURS_OF)
    assert set(checkins.FACES) >= checkins.BAD
