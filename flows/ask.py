"""Questions about support: answer cards, the topics menu, and a service's details.

Everything here is plain values: the shell searches, passes the catalogue's services
in, and sends what comes back. Callback data stays short (Telegram allows 64 bytes)
and is checked against the catalogue before anything is shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from flows.catalogue import SITUATIONS, Catalogue, Service
from flows.replies import N_, Button, Reply, Text
from flows.search import SearchResult

MOST_CARDS: Final = 3
# A message this long (in characters) is usually a whole story, often with more than one
# worry: cards answer parts of it, so a person is offered for all of it as well.
LONG_MESSAGE: Final = 500
# Sentence ends in our scripts: Latin and Cyrillic, Arabic "؟", Ethiopic "።" and "፧".
_SENTENCE_END: Final = re.compile(r"(?<=[.!?።؟፧])\s+")

MORE, REACH, BOOK, PERSON, TOPICS, TOPIC, SERVICE, LANGUAGES = (
    "more",
    "reach",
    "book",
    "person",
    "topics",
    "topic",
    "svc",
    "langs",
)

TOPIC_NAMES: Final = {
    "money": N_("Money"),
    "home": N_("Home"),
    "family": N_("Family and children"),
    "health": N_("Health and addiction"),
    "violence": N_("Violence and safety"),
    "work": N_("Work and study"),
    "newcomer": N_("New in Sweden"),
    "elderly-disability": N_("Older people and disability"),
}


@dataclass(frozen=True)
class Press:
    """A pressed button of this flow, read from its callback data."""

    action: str
    subject: str | None = None


def read_press(data: str, catalogue: Catalogue) -> Press | None:
    """Return what a button means, or None when the data is not one of ours (or forged)."""
    action, _, subject = data.partition(":")
    if action in (MORE, REACH, BOOK, SERVICE):
        return Press(action, subject) if catalogue.get(subject) is not None else None
    if action == PERSON:
        if not subject or catalogue.get(subject) is not None:
            return Press(action, subject or None)
        return None
    if action == TOPIC:
        return Press(action, subject) if subject in SITUATIONS else None
    if action in (TOPICS, LANGUAGES) and not subject:
        return Press(action)
    return None


def _sentences(text: str, count: int) -> str:
    return " ".join(_SENTENCE_END.split(text.strip())[:count])


def _buttons(service: Service, *, more: bool = True) -> tuple[tuple[Button, ...], ...]:
    first: list[Button] = []
    if more:
        first.append(Button(Text.of(N_("Tell me more")), f"{MORE}:{service.id}"))
    first.append(Button(Text.of(N_("How do I get in touch?")), f"{REACH}:{service.id}"))
    second = [Button(Text.of(N_("Talk to a person")), f"{PERSON}:{service.id}")]
    if service.bookable:
        second.insert(0, Button(Text.of(N_("Book a call")), f"{BOOK}:{service.id}"))
    return (tuple(first), tuple(second), (Button(Text.of(N_("🌐 Language")), LANGUAGES),))


def card(service: Service) -> Reply:
    """A short card: the title, two plain sentences, and what the resident can do next."""
    short = {locale: _sentences(text, 2) for locale, text in service.description.items()}
    return Reply.of(
        Text.written(service.title, bold=True), Text.written(short), buttons=_buttons(service)
    )


def is_long(text: str) -> bool:
    """Tell whether a message is long enough to offer a person for the whole of it."""
    return len(text) >= LONG_MESSAGE


def answer(
    result: SearchResult, catalogue: Catalogue, *, long_message: bool = False
) -> list[Reply]:
    """Answer a question: one to three cards, or an honest "not found" with other ways on.

    ``long_message``: the question was a whole story (see :func:`is_long`); after the
    cards, a person is offered for all of it ("not found" offers a person anyway).
    """
    if not result.answered:
        return [not_found()]
    services = [catalogue[hit.service_id] for hit in result.hits[:MOST_CARDS] if hit.confident]
    cards = [card(service) for service in services]
    intro = Text.of(N_("This support may fit your question:"))
    cards[0] = Reply((intro, *cards[0].paragraphs), cards[0].buttons)
    if long_message:
        cards.append(person_for_all_of_it())
    return cards


def person_for_all_of_it() -> Reply:
    """After a long message's cards: a person can go through all of it."""
    return Reply.of(
        Text.of(
            N_(
                "Thank you for telling me all this. A person from social services can go through it with you."  # noqa: E501
            )
        ),
        buttons=((Button(Text.of(N_("Talk to a person")), PERSON),),),
    )


def not_found() -> Reply:
    """Say honestly that nothing fits, and offer the topics and a person."""
    return Reply.of(
        Text.of(N_("Sorry, I did not find support that fits your question.")),
        Text.of(N_("You can choose a topic, or talk to a person.")),
        buttons=(
            (Button(Text.of(N_("Choose a topic")), TOPICS),),
            (Button(Text.of(N_("Talk to a person")), PERSON),),
        ),
    )


def topics() -> Reply:
    """The life situations menu, two to a row."""
    buttons = [Button(Text.of(TOPIC_NAMES[name]), f"{TOPIC}:{name}") for name in SITUATIONS]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return Reply.of(Text.of(N_("Choose a topic:")), buttons=rows)


def topic(situation: str, catalogue: Catalogue) -> Reply:
    """The services for one life situation, one button each."""
    services = [service for service in catalogue if situation in service.situations]
    rows: list[tuple[Button, ...]] = [
        (Button(Text.written(service.title), f"{SERVICE}:{service.id}"),) for service in services
    ]
    rows.append((Button(Text.of(N_("Other topics")), TOPICS),))
    return Reply.of(
        Text.of(N_("Support for: {topic}"), topic=Text.of(TOPIC_NAMES[situation])),
        buttons=tuple(rows),
    )


def more(service: Service, related: Sequence[Service]) -> Reply:
    """Everything the catalogue says about a service, and where to go next."""
    rows = list(_buttons(service, more=False))
    rows[-1:-1] = [
        (Button(Text.written(other.title), f"{SERVICE}:{other.id}"),) for other in related[:2]
    ]
    paragraphs = [Text.written(service.title, bold=True), Text.written(service.description)]
    if related:
        paragraphs.append(Text.of(N_("You may also want to look at:")))
    return Reply(tuple(paragraphs), tuple(rows))


def reach(service: Service, *, hours: str | None) -> Reply:
    """How to get in touch: phone, address, opening hours, web and e-mail, as written."""
    contact = service.contact
    lines = [Text.written(service.title, bold=True)]
    if contact.phone:
        lines.append(Text.of(N_("Phone: {phone}"), phone=contact.phone))
    if hours:
        lines.append(Text.of(N_("Open: {hours}"), hours=hours))
    if contact.address:
        lines.append(Text.of(N_("Address: {address}"), address=contact.address))
    if contact.web:
        lines.append(Text.of(N_("Web: {web}"), web=contact.web))
    if contact.email:
        lines.append(Text.of(N_("E-mail: {email}"), email=contact.email))
    lines.append(Text.of(N_("In an emergency, call 112.")))
    buttons = _buttons(service, more=False)
    return Reply(tuple(lines), (buttons[1], buttons[2]))
