"""A resident's own contact person: invite links, /contact, handovers, staff who leave.

Plain values only: what the resident and the staff are told, and the callback data of
every button, read back through :func:`read_press`, which refuses anything else. The
shell (``bot/calls/contact.py``) stores the links and decides who may do what.

Residents see a staff member's first name only. A resident never has to give a reason
for wanting another contact person, and is always told, by name, who their contact is
now: nobody is passed around without knowing it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from flows.replies import N_, Button, Reply, Text

CONTACT_BUTTON: Final = "contact"
# An invite's deep-link payload is this prefix and the code; any other payload is a source
# (a poster, a library), as before.
INVITE_PREFIX: Final = "c-"
# Our codes are 32 characters (storage.contacts.new_code); a little leeway either side, and
# never more than a deep link carries (64 with the prefix).
_CODE = re.compile(r"[A-Za-z0-9_-]{16,62}")
# Case and staff numbers in a handover button: three of 15 digits still fit Telegram's
# 64 bytes of callback data.
_NUMBER = re.compile(r"[0-9]{1,15}")

# What the buttons do: confirm or decline an invite, choose how to talk, write to the
# contact, ask for another contact, and (staff) hand a resident to a colleague.
YES, NO, HOW, WRITE, OTHER, GIVE = "yes", "no", "how", "write", "other", "give"

# How a resident likes to talk, as stored in Resident.preferred_how and Booking.how.
WAYS: Final = ("phone", "video", "in-person", "chat")
WAY_NAMES: Final = {
    "phone": N_("Phone"),
    "video": N_("Video"),
    "in-person": N_("Meeting in person"),
    "chat": N_("Chat"),
}

# A /handover list shows at most this many colleagues (Telegram allows 100 buttons).
MOST_COLLEAGUES: Final = 40

_EMERGENCY: Final = Text.of(N_("In an emergency, call 112."))


@dataclass(frozen=True)
class ContactPress:
    """A pressed contact button, read from its callback data."""

    action: str
    code: str | None = None
    how: str | None = None
    case_number: int | None = None
    # A handover: from whom (None: the reception team) to whom, as staff ids.
    from_staff: int | None = None
    to_staff: int | None = None


@dataclass(frozen=True)
class Colleague:
    """Someone a resident can be handed over to."""

    staff_id: int
    name: str


def invite_code(payload: str) -> str | None:
    """Return the invite code in a /start payload, or None when the payload is a source."""
    if not payload.startswith(INVITE_PREFIX):
        return None
    code = payload.removeprefix(INVITE_PREFIX)
    return code if _CODE.fullmatch(code) else None


def invite_link(bot_username: str, code: str) -> str:
    """Return the one-time link a staff member sends a resident."""
    return f"https://t.me/{bot_username}?start={INVITE_PREFIX}{code}"


def first_name(name: str) -> str:
    """Return the first name of a staff member's name ("Sara Lind" -> "Sara")."""
    words = name.split()
    return words[0] if words else name


def read_press(data: str) -> ContactPress | None:
    """Return the contact button pressed, or None for anything else (including forgeries)."""
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != CONTACT_BUTTON:
        return None
    action, rest = parts[1], parts[2:]
    if action in (NO, WRITE, OTHER) and not rest:
        return ContactPress(action)
    if action == YES and len(rest) == 1 and _CODE.fullmatch(rest[0]):
        return ContactPress(YES, code=rest[0])
    if action == HOW and len(rest) == 1 and rest[0] in WAYS:
        return ContactPress(HOW, how=rest[0])
    if action == GIVE and len(rest) == 3 and all(_NUMBER.fullmatch(part) for part in rest):
        case_number, from_staff, to_staff = (int(part) for part in rest)
        if case_number and to_staff:
            return ContactPress(
                GIVE,
                case_number=case_number,
                from_staff=from_staff or None,
                to_staff=to_staff,
            )
    return None


def is_case_number(text: str) -> bool:
    """Tell whether ``text`` is a case number a handover button can carry."""
    return _NUMBER.fullmatch(text) is not None


def _data(*parts: object) -> str:
    return ":".join((CONTACT_BUTTON, *(str(part) for part in parts)))


def _way(how: str) -> Text:
    return Text.of(WAY_NAMES[how])


# --- the resident opens an invite link -----------------------------------------------------


def invite_offer(name: str, code: str, *, current: str | None = None) -> Reply:
    """Show who invites the resident, what a contact person means, and ask once.

    ``current``: the first name of the contact they have now, who would be replaced.
    """
    paragraphs = [
        Text.of(N_("{name} from social services would like to be your contact person."), name=name),
        Text.of(
            N_(
                "This means that {name} is the person you talk to at social services. You do not have to explain everything again to someone new."  # noqa: E501
            ),
            name=name,
        ),
    ]
    if current is not None:
        paragraphs.append(
            Text.of(
                N_("Your contact person now is {current}. If you say yes, {name} takes over."),
                current=current,
                name=name,
            )
        )
    paragraphs.append(
        Text.of(
            N_("You can ask for another contact person at any time. You do not have to say why.")
        )
    )
    paragraphs.append(Text.of(N_("Do you want {name} as your contact person?"), name=name))
    return Reply(
        tuple(paragraphs),
        (
            (
                Button(Text.of(N_("Yes, I agree")), _data(YES, code)),
                Button(Text.of(N_("No, thank you")), _data(NO)),
            ),
        ),
    )


def answer_link(
    state: str,
    *,
    name: str | None,
    code: str,
    days: int,
    already_yours: bool = False,
    current: str | None = None,
) -> Reply:
    """What a resident reads on opening an invite link.

    Args:
        state: What the code stands for now, as ``storage.contacts.InviteState`` says:
            "valid", "used", "expired", "withdrawn" or "unknown".
        name: The first name of the staff member who made the link, when known.
        code: The code, carried by the Yes button.
        days: How long a link works.
        already_yours: That staff member is the resident's contact already.
        current: The first name of the resident's contact now, who would be replaced.
    """
    if already_yours and name is not None:
        return already_your_contact(name)
    if state == "valid" and name is not None:
        return invite_offer(name, code, current=current)
    return link_refused(state, days)


def answer_yes(state: str, *, name: str | None, days: int, already_yours: bool = False) -> Reply:
    """What a resident reads after pressing Yes: confirmed, already theirs, or why not."""
    if state == "valid" and name is not None:
        return contact_confirmed(name)
    if already_yours and name is not None:
        return already_your_contact(name)
    return link_refused(state, days)


def link_refused(state: str, days: int) -> Reply:
    """Why a link does not work: used, too old, or not (any longer) one of ours."""
    if state == "used":
        return link_used()
    if state == "expired":
        return link_expired(days)
    return link_not_working()


def link_used() -> Reply:
    """Answer a link someone already used."""
    return Reply.of(
        Text.of(
            N_(
                "This link has already been used. A link works only once. Please ask social services for a new link."  # noqa: E501
            )
        ),
        Text.of(N_("You can still write to me here, as before.")),
    )


def link_expired(days: int) -> Reply:
    """Answer a link older than its lifetime."""
    return Reply.of(
        Text.of(
            N_(
                "This link is too old. A link works for {days} days. Please ask social services for a new link."  # noqa: E501
            ),
            days=str(days),
        ),
        Text.of(N_("You can still write to me here, as before.")),
    )


def link_not_working() -> Reply:
    """Answer a link that never was ours (cut short, mistyped, forged) or was withdrawn."""
    return Reply.of(
        Text.of(
            N_(
                "This link does not work. Maybe a part of it is missing. Please ask social services for a new link."  # noqa: E501
            )
        ),
        Text.of(N_("You can still write to me here, as before.")),
    )


def already_your_contact(name: str) -> Reply:
    """Answer a resident who opens (or confirms) a link to the contact they already have."""
    return Reply.of(
        Text.of(N_("{name} is already your contact person."), name=name),
        Text.of(N_("Send /contact to see how to reach {name}."), name=name),
    )


def contact_confirmed(name: str) -> Reply:
    """Confirm the new contact person, and say where to find them."""
    return Reply.of(
        Text.of(N_("Done. {name} is now your contact person."), name=name),
        Text.of(
            N_("Send /contact to see how to reach {name}, or to ask for another contact person."),
            name=name,
        ),
    )


def invite_declined() -> Reply:
    """Confirm that nothing changed."""
    return Reply.of(
        Text.of(N_("Okay. Nothing has changed.")),
        Text.of(N_("If you change your mind, you can open the link again while it still works.")),
    )


# --- /contact ------------------------------------------------------------------------------


def _way_rows() -> tuple[tuple[Button, ...], ...]:
    buttons = [Button(_way(how), _data(HOW, how)) for how in WAYS]
    return (tuple(buttons[:2]), tuple(buttons[2:]))


def _preference(how: str | None) -> Text:
    if how is None:
        return Text.of(N_("How do you like to talk? You can choose below."))
    return Text.of(N_("How you like to talk: {way}."), way=_way(how))


def your_contact(name: str, *, how: str | None) -> Reply:
    """Say who the resident's contact person is, how to reach them, and how they like to talk."""
    return Reply(
        (
            Text.of(N_("Your contact person at social services is {name}."), name=name),
            Text.of(
                N_(
                    "To reach {name}, press “Write to {name}”. {name} will answer you here in this chat."  # noqa: E501
                ),
                name=name,
            ),
            Text.of(N_("To book a call with {name}, send /book."), name=name),
            _preference(how),
            Text.of(N_("You can ask for another contact person. You do not have to say why.")),
        ),
        (
            (Button(Text.of(N_("Write to {name}"), name=name), _data(WRITE)),),
            *_way_rows(),
            (Button(Text.of(N_("I would like another contact")), _data(OTHER)),),
        ),
    )


def no_contact(*, how: str | None) -> Reply:
    """Say that the reception team answers, how to get a contact, and how they like to talk."""
    return Reply(
        (
            Text.of(
                N_(
                    "You do not have your own contact person yet. The reception team at social services answers you here."  # noqa: E501
                )
            ),
            Text.of(
                N_(
                    "A staff member can send you a link to become your contact person. You can also ask for one."  # noqa: E501
                )
            ),
            _preference(how),
        ),
        (
            *_way_rows(),
            (Button(Text.of(N_("I would like my own contact person")), _data(OTHER)),),
        ),
    )


def preference_saved(how: str) -> Reply:
    """Confirm how the resident likes to talk."""
    return Reply.of(Text.of(N_("Saved. How you like to talk: {way}."), way=_way(how)))


def contact_told(name: str) -> Reply:
    """Confirm to the resident that their contact person heard they want to talk."""
    return Reply.of(
        Text.of(
            N_(
                "I have told {name} that you want to talk. {name} will write to you here as soon as possible."  # noqa: E501
            ),
            name=name,
        ),
        _EMERGENCY,
    )


def another_asked(*, has_contact: bool) -> Reply:
    """Confirm that a supervisor will find the resident another (or a first) contact person."""
    first = (
        N_("Okay. I have asked a supervisor at social services to find you another contact person.")
        if has_contact
        else N_("Okay. I have asked social services to find you a contact person.")
    )
    return Reply.of(
        Text.of(first),
        Text.of(N_("You do not have to say why. A person will write to you here.")),
        _EMERGENCY,
    )


def handed_over(name: str, *, before: str | None) -> Reply:
    """Tell the resident, by name, who their contact person is from now on."""
    paragraphs = [
        Text.of(N_("From now on, {name} is your contact person at social services."), name=name)
    ]
    if before is not None and before != name:
        paragraphs.append(
            Text.of(N_("Until now, your contact person was {before}."), before=before)
        )
    paragraphs.append(Text.of(N_("Send /contact to see how to reach {name}."), name=name))
    return Reply(tuple(paragraphs))


def contact_left(name: str) -> Reply:
    """Tell the resident plainly that their contact person left, and that the team helps now."""
    return Reply.of(
        Text.of(N_("{name} is no longer your contact person at social services."), name=name),
        Text.of(
            N_(
                "The reception team will help you until you get a new contact person. Write here as before. You do not need to do anything."  # noqa: E501
            )
        ),
        Text.of(N_("Send /contact if you would like a new contact person.")),
    )


# --- staff -----------------------------------------------------------------------------------


def invite_made(link: str, days: int) -> Reply:
    """Give a staff member the one-time link for one resident."""
    return Reply.of(
        Text.of(
            N_(
                "Here is a link for one resident. When they open it and say yes, you become their contact person."  # noqa: E501
            )
        ),
        Text.raw(link),
        Text.of(
            N_("The link works once, for {days} days. Send it only to that resident."),
            days=str(days),
        ),
    )


def _prefers(how: str | None) -> Text:
    if how is None:
        return Text.of(N_("How they like to talk: not said."))
    return Text.of(N_("How they like to talk: {way}."), way=_way(how))


def write_heading(name: str, how: str | None) -> Text:
    """The first line of a case card: a resident wants to talk to their contact person."""
    return Text.of(
        N_("🟡 A resident wants to talk to their contact person, {name}. {prefers}"),
        name=name,
        prefers=_prefers(how),
    )


def another_heading(name: str | None) -> Text:
    """The first line of a case card: a resident asks for another (or a first) contact person."""
    if name is None:
        return Text.of(
            N_(
                "🟡 A resident asks for their own contact person. A supervisor can give them one with /handover and the case number."  # noqa: E501
            )
        )
    return Text.of(
        N_(
            "🟡 A resident asks for another contact person instead of {name}. No reason is needed. A supervisor can hand them over with /handover and the case number."  # noqa: E501
        ),
        name=name,
    )


def write_in_case(number: int, how: str | None) -> Reply:
    """Tell a contact person that the resident of an open case wants to talk to them."""
    return Reply.of(
        Text.of(
            N_("Case {number}: the resident wants to talk to you, their contact person."),
            number=str(number),
        ),
        _prefers(how),
    )


def another_in_case(number: int, name: str | None) -> Reply:
    """Tell supervisors that the resident of an open case asks for another contact person."""
    if name is None:
        first = Text.of(
            N_("Case {number}: the resident asks for their own contact person."),
            number=str(number),
        )
    else:
        first = Text.of(
            N_("Case {number}: the resident asks for another contact person instead of {name}."),
            number=str(number),
            name=name,
        )
    return Reply.of(
        first,
        Text.of(
            N_("To hand them over, write /handover {number}. No reason is needed."),
            number=str(number),
        ),
    )


def handover_usage() -> Reply:
    """Say how /handover is written."""
    return Reply.of(Text.of(N_("Write /handover and the case number, for example: /handover 12")))


def no_such_case(number: int) -> Reply:
    """Answer /handover with a case number nobody has."""
    return Reply.of(Text.of(N_("There is no case {number}."), number=str(number)))


def handover_not_allowed() -> Text:
    """Refuse a handover to someone who is neither the contact person nor a supervisor."""
    return Text.of(N_("Only the resident's contact person or a supervisor can hand them over."))


def handover_choose(
    number: int, current: Colleague | None, colleagues: Sequence[Colleague]
) -> Reply:
    """Ask who the resident's contact person should be, one button per colleague."""
    now = (
        Text.of(N_("Now: {name}."), name=current.name)
        if current is not None
        else Text.of(N_("Now: the reception team."))
    )
    if not colleagues:
        return Reply.of(now, Text.of(N_("There is no colleague to hand over to.")))
    from_id = current.staff_id if current is not None else 0
    buttons = [
        Button(Text.raw(colleague.name), _data(GIVE, number, from_id, colleague.staff_id))
        for colleague in colleagues[:MOST_COLLEAGUES]
    ]
    return Reply(
        (
            Text.of(
                N_("Case {number}: who should be the resident's contact person from now on?"),
                number=str(number),
            ),
            now,
        ),
        tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)),
    )


def handover_done(number: int, name: str) -> Text:
    """Confirm a handover to the staff member who made it."""
    return Text.of(
        N_(
            "Done. {name} is now the contact person of the resident in case {number}. The resident has been told."  # noqa: E501
        ),
        name=name,
        number=str(number),
    )


def handover_changed(number: int) -> Text:
    """Answer a handover button that is out of date: someone changed the contact meanwhile."""
    return Text.of(
        N_("This has changed in the meantime. Write /handover {number} again."), number=str(number)
    )


def you_are_the_contact(number: int) -> Reply:
    """Tell a staff member that a resident was handed over to them."""
    return Reply.of(
        Text.of(
            N_("You are now the contact person of the resident in case {number}."),
            number=str(number),
        )
    )


def residents_handed_to_you(count: int) -> Reply:
    """Tell a staff member how many residents were handed over to them (``nara staff handover``)."""
    return Reply.of(
        Text.of(
            N_("Residents handed over to you as their contact person: {count}."), count=str(count)
        )
    )
