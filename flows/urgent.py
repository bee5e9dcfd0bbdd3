"""Urgent cases and handoff to a person: what the resident and the staff are told.

Plain values only. The shell decides when (triage, timers, buttons) and stores the
case; these functions say what to write. Resident texts follow safe-messaging
practice: acknowledge, do not minimise, no method details, the right numbers, what
happens now, and no promise of secrecy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from flows.helplines import Helpline
from flows.language import OWN_NAMES
from flows.replies import N_, Button, Reply, Text

CASE_BUTTON: Final = "case"
CLAIM, CLOSE = "claim", "close"
# Close a case someone else holds, after being asked whether to.
CLOSE_ANYWAY: Final = "end"
# Staff teach triage: "this was not urgent" on an urgent case, "this was urgent" on another.
MARK_NOT_URGENT, MARK_URGENT = "calm", "urgent"
CASE_ACTIONS: Final = (CLAIM, CLOSE, CLOSE_ANYWAY, MARK_NOT_URGENT, MARK_URGENT)

# The staff's command menu, in their private chats with the bot and in the staff group.
STAFF_COMMANDS: Final = (
    ("cases", N_("See the open cases")),
    ("close", N_("Close the case you are handling")),
    ("invite", N_("A link that makes you a resident's contact person")),
    ("handover", N_("Hand a resident over to a colleague")),
    ("hours", N_("Your hours for booked calls")),
    ("bookings", N_("Booked calls today")),
    ("checkins", N_("Offer check-ins to a case's resident")),
    ("help", N_("What staff can do here")),
)
STAFF_GROUP_COMMANDS: Final = ("cases", "close")

# TRANSLATORS: the first thing a person in crisis reads. Calm, warm, no judgement.
ACKNOWLEDGE: Final = {
    "self-harm": N_(
        "Thank you for telling me. I am sorry you are in so much pain. You do not have to be alone with this."  # noqa: E501
    ),
    "violence": N_("Thank you for telling me. Violence is never your fault."),
    "child-at-risk": N_("Thank you for telling me. It is right to tell. A child must be safe."),
    "homeless-tonight": N_("Thank you for telling me. No one should have to sleep outside."),
    "no-food": N_("Thank you for telling me. You should not be without food."),
    "medical": N_("This may be an emergency. Call 112 now."),
}

# How much of a message an alert quotes.
EXCERPT_LENGTH: Final = 1000
# How much of each sentence that raised the alarm a quote keeps (longer ones are cut).
ALARM_QUOTE_LENGTH: Final = 300
# At most this many alarming sentences are quoted; the start of the message still fits.
ALARMS_QUOTED: Final = 3
START_QUOTED: Final = 200
# How much of the resident's recent messages one card quotes: with its own lines the card
# stays one Telegram message (4096 characters at most).
CARD_QUOTE_LENGTH: Final = 2400
# Marks every place where a quote leaves text out.
CUT: Final = "…"

# Short names for the staff notification (written in the staff's language).
CATEGORY_NAMES: Final = {
    "self-harm": N_("suicide or self-harm"),
    "violence": N_("violence or threats"),
    "child-at-risk": N_("a child at risk"),
    "homeless-tonight": N_("nowhere to sleep tonight"),
    "no-food": N_("no food"),
    "medical": N_("medical emergency or overdose"),
}


@dataclass(frozen=True)
class CaseView:
    """What the staff see about a case."""

    number: int
    kind: str
    category: str | None
    language: str
    opened: str
    excerpt: Sequence[str] = ()
    service: Text | None = None
    # Why the case opened, when not the usual heading (the question "are you safe?").
    heading: Text | None = None


@dataclass(frozen=True)
class CaseAction:
    """A pressed Claim or Close button, read from its callback data."""

    action: str
    case_number: int


def read_case_button(data: str) -> CaseAction | None:
    """Return the case button pressed, or None for anything else (including forgeries)."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != CASE_BUTTON or parts[1] not in CASE_ACTIONS:
        return None
    if not parts[2].isdigit() or len(parts[2]) > 18:
        return None
    return CaseAction(parts[1], int(parts[2]))


def helpline_line(line: Helpline) -> Text:
    """One helpline as a line: number, name, what it is for, when it answers."""
    return Text.of(
        N_("{number} – {name}. {about}. {hours}."),
        number=line.number,
        name=line.name,
        about=Text.written(line.about),
        hours=Text.written(line.hours),
    )


def safety_reply(
    category: str,
    helplines: Sequence[Helpline],
    *,
    person_told: bool,
    office_open: bool = True,
    after_hours: Helpline | None = None,
    emergency_now: bool = False,
) -> Reply:
    """The reply in the same moment as an urgent message: numbers first, then what happens.

    ``emergency_now``: the message also reads as a medical emergency (an overdose taken,
    say): "call 112 now" then comes first, before anything else.
    """
    paragraphs = []
    if emergency_now and category != "medical":
        paragraphs.append(Text.of(ACKNOWLEDGE["medical"]))
    paragraphs.append(Text.of(ACKNOWLEDGE[category]))
    if category != "medical" and not emergency_now:
        paragraphs.append(Text.of(N_("If you or someone else is in danger now, call 112.")))
    others = [line for line in helplines if line.dial != "112"]
    if others:
        paragraphs.append(Text.of(N_("You can also call:")))
        paragraphs.extend(helpline_line(line) for line in others)
    if person_told:
        paragraphs.append(
            Text.of(
                N_(
                    "I am a computer program. I have told a person at social services. They will write to you here as soon as they can."  # noqa: E501
                )
            )
        )
        if not office_open and after_hours is not None:
            paragraphs.append(
                Text.of(
                    N_("Our office is closed now. If you cannot wait, call {name}: {number}."),
                    name=after_hours.name,
                    number=after_hours.number,
                )
            )
        paragraphs.append(Text.of(N_("You can keep writing here while you wait.")))
    else:
        paragraphs.append(
            Text.of(
                N_(
                    "I am a computer program, so please call one of these numbers to talk to a person."  # noqa: E501
                )
            )
        )
    if category == "child-at-risk":
        # TRANSLATORS: staff have a duty to report concern for a child; never promise secrecy.
        paragraphs.append(Text.of(N_("Social services must act when a child may be at risk.")))
    return Reply(tuple(paragraphs))


def person_asked(*, open_now: bool, next_opening: str, after_hours: Helpline | None) -> Reply:
    """Answer "Talk to a person": who will answer, and when."""
    if open_now:
        first = Text.of(
            N_(
                "I have asked a person from social services to write to you. They will answer here as soon as they can."  # noqa: E501
            )
        )
        return Reply.of(first, Text.of(N_("In an emergency, call 112.")))
    paragraphs = [
        Text.of(
            N_("Our office is closed now. When we open again ({when}), a person will write to you here."),  # noqa: E501
            when=next_opening,
        ),
    ]
    if after_hours is not None:
        paragraphs.append(
            Text.of(
                N_("If it cannot wait, call {name}: {number}."),
                name=after_hours.name,
                number=after_hours.number,
            )
        )
    paragraphs.append(Text.of(N_("In an emergency, call 112.")))
    return Reply(tuple(paragraphs))


def call_asked(service: Text, *, open_now: bool, next_opening: str) -> Reply:
    """Answer "Book a call": a person will write to find a time."""
    first = Text.of(N_("I have asked for a call with you about: {service}."), service=service)
    if open_now:
        second = Text.of(N_("A person will write to you here to find a time."))
    else:
        second = Text.of(
            N_("When we open again ({when}), a person will write to you here to find a time."), when=next_opening  # noqa: E501
        )
    return Reply.of(first, second)


def added_to_case() -> Reply:
    """Tell the resident their message reached their case (while no one has claimed it)."""
    return Reply.of(
        Text.of(N_("I have added this to your case. A person will answer as soon as they can."))
    )


def case_buttons(number: int, *, urgent: bool = True) -> tuple[tuple[Button, ...], ...]:
    """Claim and Close, for the staff group; and a mark that teaches triage.

    An urgent case can be marked "Not urgent" (a false alarm); any other case "It was
    urgent" (a miss).
    """
    return (
        (
            Button(Text.of(N_("Claim")), f"{CASE_BUTTON}:{CLAIM}:{number}"),
            _close_button(number),
        ),
        (_mark_button(number, urgent=urgent),),
    )


def _close_button(number: int) -> Button:
    return Button(Text.of(N_("Close")), f"{CASE_BUTTON}:{CLOSE}:{number}")


def _mark_button(number: int, *, urgent: bool) -> Button:
    if urgent:
        return Button(Text.of(N_("Not urgent")), f"{CASE_BUTTON}:{MARK_NOT_URGENT}:{number}")
    return Button(Text.of(N_("It was urgent")), f"{CASE_BUTTON}:{MARK_URGENT}:{number}")


def buttons_left(
    number: int, *, urgent: bool, closed: bool, marked: bool
) -> tuple[tuple[Button, ...], ...]:
    """The buttons a card keeps once its case is claimed (Close) or closed (none).

    The mark that teaches triage stays until someone has used it.
    """
    rows: list[tuple[Button, ...]] = [] if closed else [(_close_button(number),)]
    if not marked:
        rows.append((_mark_button(number, urgent=urgent),))
    return tuple(rows)


def _case_line(case: CaseView) -> Text:
    return Text.of(
        N_("Case {number} · language: {language} · {time}"),
        number=str(case.number),
        language=OWN_NAMES.get(case.language, case.language),
        time=case.opened,
    )


def _case_lines(case: CaseView) -> list[Text]:
    lines = [_case_line(case)]
    if case.excerpt:
        lines.append(Text.of(N_("What they wrote:")))
        lines.extend(Text.raw(f"“{text}”") for text in case.excerpt)
    return lines


def unhandled_urgent(category: str, first_name: str, text: str) -> Reply:
    """Tell the staff that an urgent message came but no case could be opened for it."""
    return Reply.of(
        Text.of(
            N_("⚠️ Nära could not open a case for an urgent message from {name}."),
            name=first_name,
        ),
        Text.of(N_("🔴 URGENT: {category}"), category=Text.of(CATEGORY_NAMES[category])),
        Text.of(N_("What they wrote:")),
        Text.raw(f"“{quote_for_staff(text, lambda _sentence: False)}”"),
        Text.of(
            N_("They were given the emergency numbers. Please tell the people who run Nära now.")
        ),
    )


def card_head(case: CaseView) -> Text:
    """The first line of a case's card: how urgent, and why."""
    if case.heading is not None:
        return case.heading
    if case.kind == "urgent" and case.category is not None:
        return Text.of(N_("🔴 URGENT: {category}"), category=Text.of(CATEGORY_NAMES[case.category]))
    if case.service is not None:
        return Text.of(N_("🟡 A resident asks for a call about: {service}"), service=case.service)
    return Text.of(N_("🟡 A resident wants to talk to a person"))


def staff_notification(case: CaseView, *, escalated_after: int | None = None) -> Reply:
    """The staff group's notification of a new (or escalated) case, with Claim and Close."""
    paragraphs = [card_head(case)]
    if escalated_after is not None:
        paragraphs.insert(
            0,
            Text.of(
                N_("⚠️ ESCALATED: no one has claimed this case for {minutes} minutes."),
                minutes=str(escalated_after),
            ),
        )
    paragraphs.extend(_case_lines(case))
    paragraphs.append(
        Text.of(
            N_("Press Claim to take the case. Then reply to this message to write to the resident.")
        )
    )
    return Reply(tuple(paragraphs), case_buttons(case.number, urgent=case.kind == "urgent"))


def claimed_for_resident(staff_name: str) -> Reply:
    """Tell the resident, by name, that a person has their case."""
    return Reply.of(
        Text.of(
            N_("{name} from social services has your case now. {name} will write to you here."),
            name=staff_name,
        )
    )


def already_claimed(number: int, staff_name: str) -> Text:
    """Answer a second Claim: someone else has it."""
    return Text.of(
        N_("Case {number} is already claimed by {name}."), number=str(number), name=staff_name
    )


def case_closed_for_resident(owner_name: str | None) -> Reply:
    """Tell the resident their case has ended, naming the person they talked to.

    ``owner_name``: the staff member who held the case (not whoever pressed Close: the
    resident may never have heard of them); None when no one had claimed it.
    """
    if owner_name is None:
        first = Text.of(
            N_("Social services have closed your case. You can write here again at any time.")
        )
    else:
        first = Text.of(
            N_("Your conversation with {name} has ended. You can write here again at any time."),
            name=owner_name,
        )
    return Reply.of(first, Text.of(N_("In an emergency, call 112.")))


def closed_for_staff(number: int, staff_name: str) -> Reply:
    """Confirm to a staff member who wrote /close that the case is closed."""
    return Reply.of(
        Text.of(N_("Case {number} was closed by {name}."), number=str(number), name=staff_name)
    )


def not_claimable(number: int) -> Text:
    """Answer a button of a case that is closed or unknown."""
    return Text.of(N_("Case {number} is closed."), number=str(number))


def from_staff(staff_name: str, text: str, *, corrected: bool = False) -> Reply:
    """A staff member's words, relayed to the resident with their name.

    ``corrected``: they edited a message already sent; the new version follows.
    """
    heading = (
        N_("{name}, social services, corrected an earlier message:")
        if corrected
        else N_("{name}, social services:")
    )
    return Reply.of(Text.of(heading, name=staff_name), Text.raw(text))


def from_resident(number: int, first_name: str, text: str, *, corrected: bool = False) -> Reply:
    """A resident's words, relayed to the staff member with the case number.

    ``corrected``: they edited a message already sent; the new version follows.
    """
    heading = (
        N_("Case {number} – {name} corrected an earlier message:")
        if corrected
        else N_("Case {number} – {name} writes:")
    )
    return Reply.of(Text.of(heading, number=str(number), name=first_name), Text.raw(text))


def reminder_for_resident(after_hours: Helpline | None) -> Reply:
    """Remind the resident of 112 and the on-call team when no one has answered yet."""
    paragraphs = [
        Text.of(
            N_("I am sorry that no one has answered yet. We are still trying to reach a person.")
        ),
        Text.of(N_("If you or someone else is in danger now, call 112.")),
    ]
    if after_hours is not None:
        paragraphs.append(
            Text.of(
                N_("You can also call {name}: {number}."),
                name=after_hours.name,
                number=after_hours.number,
            )
        )
    return Reply(tuple(paragraphs))


def reminded_for_staff(number: int, minutes: int) -> Reply:
    """Tell the staff the resident was reminded of 112 because no one claimed the case."""
    return Reply(
        (
            Text.of(
                N_(
                    "⚠️ Case {number} has waited {minutes} minutes. The resident was reminded to call 112."  # noqa: E501
                ),
                number=str(number),
                minutes=str(minutes),
            ),
        ),
        case_buttons(number),
    )


def relayed() -> Text:
    """Confirm to a staff member that their words went to the resident."""
    return Text.of(N_("Sent to the resident."))


def staff_help() -> Reply:
    """What a staff member can do in their private chat with the bot."""
    return Reply.of(
        Text.of(N_("You are registered as staff.")),
        Text.of(
            N_(
                "Claim a case in the staff group. Then reply to its message, or write here, to answer the resident."  # noqa: E501
            )
        ),
        Text.of(N_("/cases – open cases")),
        Text.of(N_("/close – close the case you are handling")),
        Text.of(N_("/invite – a link that makes you a resident's contact person")),
        Text.of(N_("/handover 12 – hand the resident of case 12 over to a colleague")),
        Text.of(N_("/hours – your hours for booked calls: weekly hours, days off, a sick day")),
        Text.of(N_("/bookings – booked calls today: move or cancel")),
    )


def no_case_for_staff() -> Reply:
    """Tell a staff member there is no claimed case to send their words to."""
    return Reply.of(Text.of(N_("You have no claimed case. Claim one in the staff group first.")))


def claim_first(number: int) -> Reply:
    """Tell a staff member to claim a case before answering it."""
    return Reply.of(
        Text.of(N_("Press Claim on case {number} before you answer it."), number=str(number))
    )


def cases_list(lines: Sequence[str]) -> Reply:
    """The open cases, one line each, for a staff member."""
    if not lines:
        return Reply.of(Text.of(N_("There are no open cases.")))
    return Reply.of(Text.of(N_("Open cases:")), *(Text.raw(line) for line in lines))


# --- cards once a case is claimed or closed ------------------------------------------------


def claimed_status(staff_name: str, at: str) -> Text:
    """The line a card gets when someone claims its case."""
    return Text.of(
        N_("✋ Claimed by {name}, {time} — reply to this message to write to the resident."),
        name=staff_name,
        time=at,
    )


def closed_status(staff_name: str, at: str) -> Text:
    """The line a card gets when its case is closed."""
    return Text.of(N_("✅ Closed by {name}, {time}."), name=staff_name, time=at)


def settled_card(
    case: CaseView, head: Text | None, status: Text, buttons: tuple[tuple[Button, ...], ...]
) -> Reply:
    """A card edited after a Claim or Close: who has (or closed) the case, and when.

    ``head``: the card's first line as first sent; None for a reminder, which keeps only
    the case line. The "escalated" line and "Press Claim" go: they no longer hold.
    """
    if head is None:
        return Reply((_case_line(case), status), buttons)
    return Reply((head, *_case_lines(case), status), buttons)


def you_have_the_case(number: int) -> Reply:
    """Tell the staff member who claimed a case, once and privately, how to answer."""
    return Reply.of(
        Text.of(
            N_("You have case {number} now. To write to the resident, reply to this message, or to the case's message in the staff group. The resident sees your name."),  # noqa: E501
            number=str(number),
        ),
        Text.of(N_("A message in the staff group that is not a reply stays with the staff.")),
        Text.of(N_("When you are done, press Close or write /close.")),
    )


def reply_hint(number: int) -> Reply:
    """Hint, once, to a staff member who wrote in the group right after claiming a case."""
    return Reply.of(
        Text.of(
            N_("This message stayed in the staff group. To write to the resident of case {number}, reply to the case's message."),  # noqa: E501
            number=str(number),
        )
    )


def close_anyway(number: int, owner_name: str) -> Reply:
    """Ask a staff member who closes a case someone else holds whether they mean it."""
    return Reply.of(
        Text.of(
            N_("{name} is handling case {number}. Close it anyway?"),
            name=owner_name,
            number=str(number),
        ),
        buttons=((Button(Text.of(N_("Close anyway")), f"{CASE_BUTTON}:{CLOSE_ANYWAY}:{number}"),),),
    )


# --- quoting long messages on a card ---------------------------------------------------------

# A sentence ends at . ! ? … (and the Arabic, Ethiopic and CJK marks) before a space, or
# at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…؟።፧。！？])\s+|\s*\n\s*")


def _cut_at_word(text: str, length: int) -> str:
    """Return at most ``length`` characters of ``text``, ending at a word when one is near."""
    if len(text) <= length:
        return text
    space = text.rfind(" ", 0, length + 1)
    end = space if space > length // 2 else length
    return text[:end].rstrip()


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each sentence of ``text`` starts and ends; long ones in pieces of a quote's length."""
    spans: list[tuple[int, int]] = []
    start = 0
    for end_mark in [*_SENTENCE_END.finditer(text), None]:
        end = end_mark.start() if end_mark is not None else len(text)
        while end - start > ALARM_QUOTE_LENGTH:
            piece = _cut_at_word(text[start:end], ALARM_QUOTE_LENGTH)
            spans.append((start, start + len(piece)))
            start += len(piece)
            while start < end and text[start].isspace():
                start += 1
        if end > start:
            spans.append((start, end))
        if end_mark is not None:
            start = end_mark.end()
    return spans


def sentences(text: str) -> list[str]:
    """Split a message into sentences; a very long sentence comes in pieces of 300 or fewer."""
    return [text[start:end] for start, end in _sentence_spans(text)]


def _alarming(
    text: str,
    spans: Sequence[tuple[int, int]],
    raised_alarm: Callable[[str], bool],
    hints: Sequence[str],
) -> list[tuple[int, int]]:
    # Triage reads a long story slowly, sentence by sentence: the sentences with the words
    # that matched are read first; without them, from the end (where a long story most
    # often says what is wrong now) until one sentence raises the alarm.
    wanted = [h.casefold() for h in hints if h.strip()]
    first = [s for s in spans if any(w in text[s[0] : s[1]].casefold() for w in wanted)]
    found = [s for s in first[:ALARMS_QUOTED] if raised_alarm(text[s[0] : s[1]])]
    if not found:
        found = next(([s] for s in reversed(spans) if raised_alarm(text[s[0] : s[1]])), [])
    return sorted(found)


def quote_for_staff(
    text: str,
    raised_alarm: Callable[[str], bool],
    *,
    hints: Sequence[str] = (),
    limit: int = EXCERPT_LENGTH,
) -> str:
    """Quote a message for a staff card: what raised the alarm first, then the start.

    A message of ``limit`` characters or fewer is quoted whole. A longer one: each
    sentence that raises the alarm on its own (at most :data:`ALARMS_QUOTED`, each cut
    to :data:`ALARM_QUOTE_LENGTH`), one a line, then the start of the message, with
    :data:`CUT` wherever text is left out. The quote is at most ``limit`` characters.

    Args:
        text: What the resident wrote.
        raised_alarm: Says whether one sentence, read alone, raises the alarm (triage).
        hints: Words that raised the alarm in the whole message: their sentences are
            read first, which spares reading every sentence of a long story.
        limit: The most characters the quote may have.
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    spans = _sentence_spans(text)
    lines: list[str] = []
    used = 0
    for start, end in _alarming(text, spans, raised_alarm, hints):
        line = f"{CUT if start > 0 else ''}{text[start:end]}{CUT if end < len(text) else ''}"
        if used + len(line) + 1 > limit - START_QUOTED:
            break
        lines.append(line)
        used += len(line) + 1
    opening = _cut_at_word(text, limit - used - len(CUT))
    lines.append(f"{opening}{CUT}")
    return "\n".join(lines)


def _cut_to_size(text: str, size: int, measure: Callable[[str], int]) -> str:
    kept = _cut_at_word(text, size)
    while kept and measure(kept) > size:
        kept = _cut_at_word(kept, max(len(kept) - max(1, measure(kept) - size), 0))
    return kept


def fit_quotes(
    texts: Sequence[str],
    budget: int = CARD_QUOTE_LENGTH,
    measure: Callable[[str], int] = len,
) -> tuple[str, ...]:
    """Choose what of the resident's recent messages (oldest first) one card quotes.

    The newest come first to the budget: an older message that does not fit is cut,
    with :data:`CUT`, and the ones before it are left out, shown as a lone :data:`CUT`.
    ``measure`` says how much room a text takes (its length once escaped for HTML).
    """
    kept: list[str] = []
    left = budget
    for index in range(len(texts) - 1, -1, -1):
        text = texts[index]
        room = measure(text)
        if room <= left:
            kept.append(text)
            left -= room
            continue
        if left > START_QUOTED:
            kept.append(_cut_to_size(text, left - measure(CUT), measure) + CUT)
            index -= 1
        if index >= 0:
            kept.append(CUT)
        break
    return tuple(reversed(kept))
