"""A resident's own contact person as plain values: links, buttons, texts, forged data."""

from __future__ import annotations

import re

import pytest

from flows.calls import contact
from flows.calls.contact import Colleague
from flows.replies import Reply

CODE = "Abc_def-0123456789abcdefghijklmn"  # 32 characters, as storage.contacts.new_code makes


def datas(reply: Reply) -> list[str]:
    return [button.data for row in reply.buttons for button in row]


def msgids(reply: Reply) -> list[str]:
    return [text.msgid for text in reply.paragraphs]


def test_an_invite_payload_is_told_apart_from_a_source() -> None:
    link = contact.invite_link("nara_bot", CODE)
    assert link == f"https://t.me/nara_bot?start=c-{CODE}"
    payload = link.split("?start=")[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)
    assert contact.invite_code(payload) == CODE
    # Sources stay sources: posters, libraries, and anything that is not our code.
    for source in ("library", "poster-2026", "c", "c-", "c-short", "cx" + CODE, "C-" + CODE):
        assert contact.invite_code(source) is None
    assert contact.invite_code("c-" + "a" * 63) is None


def test_every_button_reads_back_as_itself_and_fits_telegram() -> None:
    offer = contact.invite_offer("Sara", CODE)
    mine = contact.your_contact("Sara", how=None)
    none = contact.no_contact(how="chat")
    big = 10**15 - 2  # the largest numbers a handover button carries
    handover = contact.handover_choose(big, Colleague(big, "Sara Lind"), [Colleague(big + 1, "J")])
    everything = [*datas(offer), *datas(mine), *datas(none), *datas(handover)]
    assert all(len(data.encode()) <= 64 for data in everything)
    read = [contact.read_press(data) for data in everything]
    assert all(press is not None for press in read)
    yes, no = (contact.read_press(data) for data in datas(offer))
    assert yes == contact.ContactPress(contact.YES, code=CODE)
    assert no == contact.ContactPress(contact.NO)
    assert {p.how for p in read if p is not None and p.action == contact.HOW} == set(contact.WAYS)
    (give,) = (p for p in read if p is not None and p.action == contact.GIVE)
    assert (give.case_number, give.from_staff, give.to_staff) == (big, big, big + 1)


@pytest.mark.parametrize(
    "data",
    [
        "",
        "contact",
        "contact:",
        "contact:yes",
        "contact:yes:short",
        "contact:yes:" + CODE + ":x",
        "contact:how:fax",
        "contact:write:1",
        "contact:give:1:2",
        "contact:give:0:1:2",
        "contact:give:1:2:0",
        "contact:give:1:2:-3",
        "contact:give:1:2:3:4",
        "contact:give:a:2:3",
        "contact:give:1:2:" + "9" * 16,
        "case:claim:1",
        "forget:yes",
    ],
)
def test_forged_or_foreign_data_is_refused(data: str) -> None:
    assert contact.read_press(data) is None


def test_a_handover_from_the_reception_team_has_no_from() -> None:
    reply = contact.handover_choose(12, None, [Colleague(5, "Jonas")])
    (data,) = datas(reply)
    press = contact.read_press(data)
    assert press is not None and press.from_staff is None and press.to_staff == 5
    assert "reception team" in msgids(reply)[1]


def test_the_offer_names_the_person_says_what_it_means_and_asks_once() -> None:
    offer = contact.invite_offer("Sara", CODE)
    assert all(text.params.get("name") == "Sara" for text in offer.paragraphs if text.params)
    questions = [m for m in msgids(offer) if m.endswith("?")]
    assert len(questions) == 1 and msgids(offer)[-1] == questions[0]
    assert any("do not have to say why" in m for m in msgids(offer))
    replacing = contact.invite_offer("Sara", CODE, current="Jonas")
    (extra,) = set(msgids(replacing)) - set(msgids(offer))
    assert "takes over" in extra


def test_staff_are_named_by_first_name_only() -> None:
    assert contact.first_name("Sara Lind") == "Sara"
    assert contact.first_name("  Jonas  ") == "Jonas"
    assert contact.first_name("") == ""


def test_contact_shows_how_to_reach_and_the_preference() -> None:
    unset = contact.your_contact("Sara", how=None)
    chosen = contact.your_contact("Sara", how="in-person")
    assert msgids(unset)[0] == "Your contact person at social services is {name}."
    (preference,) = [t for t in chosen.paragraphs if "{way}" in t.msgid]
    way = preference.params["way"]
    assert not isinstance(way, str) and way.msgid == "Meeting in person"
    assert not any("{way}" in m for m in msgids(unset))
    assert datas(chosen)[0] == "contact:write" and datas(chosen)[-1] == "contact:other"
    # Without a contact there is no one to write to, but one can be asked for.
    alone = contact.no_contact(how=None)
    assert "contact:write" not in datas(alone) and datas(alone)[-1] == "contact:other"


def test_a_request_for_another_contact_needs_no_reason() -> None:
    asked = msgids(contact.another_asked(has_contact=True))
    assert "another contact person" in asked[0]
    assert any("do not have to say why" in m for m in asked)
    assert "another" not in msgids(contact.another_asked(has_contact=False))[0]
    heading = contact.another_heading("Sara Lind")
    assert "No reason is needed" in heading.msgid and heading.params["name"] == "Sara Lind"


def test_a_resident_is_told_who_by_name_on_handover_and_when_their_contact_leaves() -> None:
    handed = contact.handed_over("Jonas", before="Sara")
    assert [t.params for t in handed.paragraphs][:2] == [
        {"name": "Jonas"},
        {"before": "Sara"},
    ]
    from_reception = contact.handed_over("Jonas", before=None)
    assert len(from_reception.paragraphs) == len(handed.paragraphs) - 1
    left = contact.contact_left("Sara")
    assert left.paragraphs[0].params == {"name": "Sara"}
    assert any("reception team" in m for m in msgids(left))


def test_a_handover_list_is_bounded_and_says_when_there_is_no_one() -> None:
    many = [Colleague(i, f"Person {i}") for i in range(1, 100)]
    reply = contact.handover_choose(3, None, many)
    assert len(datas(reply)) == contact.MOST_COLLEAGUES
    assert all(len(row) <= 2 for row in reply.buttons)
    nobody = contact.handover_choose(3, None, [])
    assert nobody.buttons == () and "no colleague" in msgids(nobody)[-1]


def test_link_answers_are_kind_and_point_to_a_new_link() -> None:
    for reply in (contact.link_used(), contact.link_expired(7), contact.link_not_working()):
        first, second = msgids(reply)
        assert "new link" in first and "write to me here" in second
    assert contact.link_expired(7).paragraphs[0].params == {"days": "7"}


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("used", "This link has already been used."),
        ("expired", "This link is too old."),
        ("withdrawn", "This link does not work."),
        ("unknown", "This link does not work."),
    ],
)
def test_a_link_that_does_not_work_says_why(state: str, expected: str) -> None:
    for reply in (
        contact.answer_link(state, name="Sara", code=CODE, days=7),
        contact.answer_yes(state, name="Sara", days=7),
    ):
        assert msgids(reply)[0].startswith(expected) and reply.buttons == ()


def test_opening_a_link_offers_once_and_knows_a_contact_already_there() -> None:
    offer = contact.answer_link("valid", name="Sara", code=CODE, days=7, current="Jonas")
    assert datas(offer)[0] == f"contact:yes:{CODE}" and any(
        "takes over" in m for m in msgids(offer)
    )
    for state in ("valid", "used"):
        again = contact.answer_link(state, name="Sara", code=CODE, days=7, already_yours=True)
        assert msgids(again)[0] == "{name} is already your contact person."
    confirmed = contact.answer_yes("valid", name="Sara", days=7)
    assert msgids(confirmed)[0] == "Done. {name} is now your contact person."
    pressed_twice = contact.answer_yes("used", name="Sara", days=7, already_yours=True)
    assert msgids(pressed_twice)[0] == "{name} is already your contact person."
    # A forged code has no staff member behind it: never an offer, whatever else is said.
    assert contact.answer_link("valid", name=None, code=CODE, days=7).buttons == ()
