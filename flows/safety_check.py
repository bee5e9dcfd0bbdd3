"""The "ask" level of triage: when unsure, give the numbers and ask one plain question.

Triage is sometimes unsure (:mod:`flows.triage.classify`): a message reads like danger but
also like a joke, or the model is only half sure. Then the resident gets, at once, the
right numbers and "Are you safe right now?" with three buttons:

- "I am in danger now": an urgent case opens at once, as if triage had been sure;
- "I need help, but not right now": a case at normal priority, a person writes;
- "I am OK": a kind word, and the bot answers what they wrote.

No answer within the escalation time opens a normal case, so a person looks at it.
Safe-messaging rules as in :mod:`flows.urgent`: the numbers first, no judgement, no
promise of secrecy, and the bot says it is a program.

Also here: what staff and residents tell triage about itself (a miss, a false alarm),
kept for ``nara report triage``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from flows.helplines import Helpline
from flows.replies import N_, Button, Reply, Text
from flows.triage.lexicon import CATEGORIES
from flows.urgent import CATEGORY_NAMES, MARK_NOT_URGENT, helpline_line

SAFE_BUTTON: Final = "safe"
DANGER, LATER, OK = "danger", "later", "ok"
ANSWERS: Final = (DANGER, LATER, OK)
# The resident's conversation step while the question waits for an answer.
ASKED: Final = "asked"
# An urgent message this soon after a calm reply says the calm reply was a miss.
MISS_WINDOW: Final = timedelta(minutes=30)


@dataclass(frozen=True)
class SafetyAnswer:
    """A pressed answer to "Are you safe right now?", read from its callback data."""

    answer: str
    category: str


def question(category: str, helplines: Sequence[Helpline]) -> Reply:
    """Ask whether the resident is safe: the numbers first, then one question, three buttons."""
    paragraphs = [
        Text.of(N_("Thank you for writing. I want to be sure that you are safe.")),
        Text.of(N_("If you or someone else is in danger now, call 112.")),
    ]
    others = [line for line in helplines if line.dial != "112"]
    if others:
        paragraphs.append(Text.of(N_("You can also call:")))
        paragraphs.extend(helpline_line(line) for line in others)
    paragraphs.append(
        Text.of(N_("I am a computer program. Your answer helps me find the right help for you."))
    )
    # TRANSLATORS: one plain question; the three buttons below answer it.
    paragraphs.append(Text.of(N_("Are you safe right now?")))
    return Reply(tuple(paragraphs), answer_buttons(category))


IN_DANGER: Final = N_("I am in danger now")


def answer_buttons(category: str) -> tuple[tuple[Button, ...], ...]:
    """The three answers, one per row (long labels in some languages)."""
    return (
        (Button(Text.of(IN_DANGER), f"{SAFE_BUTTON}:{DANGER}:{category}"),),
        (Button(Text.of(N_("I need help, but not right now")),
                f"{SAFE_BUTTON}:{LATER}:{category}"),),
        (Button(Text.of(N_("I am OK")), f"{SAFE_BUTTON}:{OK}:{category}"),),
    )


def read_answer(data: str) -> SafetyAnswer | None:
    """Return the answer pressed, or None for anything else (including forgeries)."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != SAFE_BUTTON or parts[1] not in ANSWERS:
        return None
    if parts[2] not in CATEGORIES:
        return None
    return SafetyAnswer(parts[1], parts[2])


def glad_you_are_ok() -> Reply:
    """Answer "I am OK": glad, and where to turn if things change."""
    return Reply.of(
        Text.of(N_("Good. Thank you for telling me.")),
        Text.of(N_("You can write to me at any time. In an emergency, call 112.")),
    )


def person_will_look() -> Reply:
    """Tell the resident a person will read their message, since the question got no answer."""
    return Reply.of(
        Text.of(N_("I have asked a person from social services to read your message. They will write to you here.")),  # noqa: E501
        Text.of(N_("In an emergency, call 112.")),
    )


def staff_heading(category: str, answer: str, minutes: int) -> Text:
    """The first line of the staff card for a case that came from the question."""
    name = Text.of(CATEGORY_NAMES[category])
    if answer == LATER:
        return Text.of(
            N_("🟠 Maybe urgent ({category}): asked if they are safe, they need help but not right now."),  # noqa: E501
            category=name,
        )
    return Text.of(
        N_("🟠 Maybe urgent ({category}): asked if they are safe, no answer in {minutes} minutes."),
        category=name,
        minutes=str(minutes),
    )


def was_calm_just_before(entries: Sequence[dict[str, str]] | None, now: datetime) -> str | None:
    """Return the resident's previous text if triage found it calm within :data:`MISS_WINDOW`.

    ``entries`` are the resident's recent texts, oldest first, the newest being the
    urgent message just received; each may carry the ``level`` triage gave it.
    """
    if not entries or len(entries) < 2:
        return None
    before = entries[-2]
    if before.get("level") != "calm":
        return None
    if now - datetime.fromisoformat(before["at"]) > MISS_WINDOW:
        return None
    return before.get("text")


def marked(verdict: str) -> Text:
    """Thank a staff member for marking a case: it teaches triage."""
    if verdict == MARK_NOT_URGENT:
        return Text.of(N_("Noted: not urgent. Thank you, this helps triage learn."))
    return Text.of(N_("Noted: this was urgent. Thank you, this helps triage learn."))


def already_marked() -> Text:
    """Answer a second mark on the same case."""
    return Text.of(N_("This case is already marked."))
