"""Urgent cases and handoff to a person: what the resident and the staff are told.

Plain values only. The shell decides when (triage, timers, buttons) and stores the
case; these functions say what to write. Resident texts follow safe-messaging
practice: acknowledge, do not minimise, no method details, the right numbers, what
happens now, and no promise of secrecy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from flows.helplines import Helpline
from flows.language import OWN_NAMES
from flows.replies import N_, Button, Reply, Text

CASE_BUTTON: Final = "case"
CLAIM, CLOSE = "claim", "close"
# Staff teach triage: "this was not urgent" on an urgent case, "this was urgent" on another.
MARK_NOT_URGENT, MARK_URGENT = "calm", "urgent"
CASE_ACTIONS: Final = (CLAIM, CLOSE, MARK_NOT_URGENT, MARK_URGENT)

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
    mark = (
        Button(Text.of(N_("Not urgent")), f"{CASE_BUTTON}:{MARK_NOT_URGENT}:{number}")
        if urgent
        else Button(Text.of(N_("It was urgent")), f"{CASE_BUTTON}:{MARK_URGENT}:{number}")
    )
    return (
        (
            Button(Text.of(N_("Claim")), f"{CASE_BUTTON}:{CLAIM}:{number}"),
            Button(Text.of(N_("Close")), f"{CASE_BUTTON}:{CLOSE}:{number}"),
        ),
        (mark,),
    )


def _case_lines(case: CaseView) -> list[Text]:
    lines = [
        Text.of(
            N_("Case {number} · language: {language} · {time}"),
            number=str(case.number),
            language=OWN_NAMES.get(case.language, case.language),
            time=case.opened,
        )
    ]
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
        Text.raw(f"“{text[:EXCERPT_LENGTH]}”"),
        Text.of(
            N_("They were given the emergency numbers. Please tell the people who run Nära now.")
        ),
    )


def staff_notification(case: CaseView, *, escalated_after: int | None = None) -> Reply:
    """The staff group's notification of a new (or escalated) case, with Claim and Close."""
    if case.heading is not None:
        head = case.heading
    elif case.kind == "urgent" and case.category is not None:
        head = Text.of(N_("🔴 URGENT: {category}"), category=Text.of(CATEGORY_NAMES[case.category]))
    elif case.service is not None:
        head = Text.of(N_("🟡 A resident asks for a call about: {service}"), service=case.service)
    else:
        head = Text.of(N_("🟡 A resident wants to talk to a person"))
    paragraphs = [head]
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


def claimed_for_staff(number: int, staff_name: str) -> Reply:
    """Tell the staff group who claimed a case."""
    return Reply.of(
        Text.of(N_("Case {number} was claimed by {name}."), number=str(number), name=staff_name)
    )


def already_claimed(number: int, staff_name: str) -> Text:
    """Answer a second Claim: someone else has it."""
    return Text.of(
        N_("Case {number} is already claimed by {name}."), number=str(number), name=staff_name
    )


def case_closed_for_resident(staff_name: str) -> Reply:
    """Tell the resident the conversation with a person has ended."""
    return Reply.of(
        Text.of(
            N_("Your conversation with {name} has ended. You can write here again at any time."),
            name=staff_name,
        ),
        Text.of(N_("In an emergency, call 112.")),
    )


def closed_for_staff(number: int, staff_name: str) -> Reply:
    """Tell the staff group who closed a case."""
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
