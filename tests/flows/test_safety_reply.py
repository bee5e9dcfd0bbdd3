"""The safety reply as plain values: what comes first, and which numbers."""

from __future__ import annotations

from flows import urgent
from flows.helplines import numbers_for

DANGER_LINE = "If you or someone else is in danger now, call 112."


def test_self_harm_acknowledges_first_and_names_112() -> None:
    reply = urgent.safety_reply("self-harm", numbers_for("self-harm"), person_told=True)
    msgids = [t.msgid for t in reply.paragraphs]
    assert msgids[0] == urgent.ACKNOWLEDGE["self-harm"]
    assert DANGER_LINE in msgids


def test_an_overdose_taken_puts_call_112_now_before_everything() -> None:
    reply = urgent.safety_reply(
        "self-harm", numbers_for("self-harm"), person_told=True, emergency_now=True
    )
    msgids = [t.msgid for t in reply.paragraphs]
    assert msgids[:2] == [urgent.ACKNOWLEDGE["medical"], urgent.ACKNOWLEDGE["self-harm"]]
    assert DANGER_LINE not in msgids  # "call 112 now" already said it, more plainly


def test_a_medical_emergency_alone_is_not_said_twice() -> None:
    reply = urgent.safety_reply("medical", numbers_for("medical"), person_told=True,
                                emergency_now=True)
    msgids = [t.msgid for t in reply.paragraphs]
    assert msgids.count(urgent.ACKNOWLEDGE["medical"]) == 1
