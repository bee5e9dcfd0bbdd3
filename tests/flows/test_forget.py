"""/forget as plain values: what it asks, what it answers, and refusing forged buttons."""

from __future__ import annotations

import pytest

from flows import forget


def test_it_asks_once_and_says_case_records_stay() -> None:
    reply = forget.ask()
    msgids = [text.msgid for text in reply.paragraphs]
    assert msgids[-1].endswith("?") and sum(m.endswith("?") for m in msgids) == 1
    assert any("records by law" in m for m in msgids)
    (row,) = reply.buttons
    assert [forget.answer(button.data) for button in row] == [True, False]
    assert all(len(button.data.encode()) <= 64 for button in row)


@pytest.mark.parametrize("data", ["forget:", "forget:maybe", "forget:yes;drop", "lang:sv", ""])
def test_forged_answers_are_refused(data: str) -> None:
    assert forget.answer(data) is None


def test_the_confirmation_says_whether_a_case_stays() -> None:
    with_case = [t.msgid for t in forget.done(case_kept=True).paragraphs]
    without = [t.msgid for t in forget.done(case_kept=False).paragraphs]
    assert with_case[0] == without[0]
    assert any("records of your case" in m for m in with_case)
    assert not any("case" in m for m in without)
    assert any("from the beginning" in m for m in without)
