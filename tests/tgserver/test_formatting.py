"""Text parsing against tdlib's own test vectors (test/message_entities.cpp)."""

from __future__ import annotations

import pytest

from tgserver.errors import EntityParseError
from tgserver.formatting import (
    finish_text,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
    to_html,
    utf16_len,
    utf16_slice,
)

SURROGATE_ERROR = (
    "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
    "surrogate code units"
)


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("&#57311;", SURROGATE_ERROR),
        ("&#xDFDF", SURROGATE_ERROR),
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba>", 'Can\'t find end tag corresponding to start tag "i"'),
        ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ('🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
        ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        (
            "🏟 🏟&lt;<i>a</em   >",
            'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
        ),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<tg-emoji emoji-id="x">y</tg-emoji>', "Invalid custom emoji identifier specified"),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
    ],
)
def test_html_errors_match_tdlib(html: str, error: str) -> None:
    with pytest.raises(EntityParseError) as raised:
        parse_html(html)
    assert str(raised.value) == error


def _simple(entities: list[dict]) -> list[tuple]:
    return [
        (e["type"], e["offset"], e["length"], *(v for k, v in e.items()
                                                 if k not in ("type", "offset", "length")))
        for e in entities
    ]


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        ("&ge;&lt;&gt;&amp;&quot;&laquo;&raquo;&#12345678;",
         '&ge;<>&"&laquo;&raquo;&#12345678;', []),
        ("➡️ ➡️<i>➡️ ➡️</i>", "➡️ ➡️➡️ ➡️", [("italic", 5, 5)]),
        ("🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt🏟</b></i>", "🏟 🏟🏟 ><🏟",
         [("italic", 5, 7), ("bold", 9, 3)]),
        ("🏟 🏟&lt;<i    aba  =  '&lt;&gt;&quot;'>a</>", "🏟 🏟<a", [("italic", 6, 1)]),
        ("<code><i><b> </b></i></code><i><b><code> </code></b></i>", "  ",
         [("code", 0, 1), ("bold", 0, 1), ("italic", 0, 1), ("code", 1, 1), ("bold", 1, 1),
          ("italic", 1, 1)]),
        ("<a href=telegram.org>\t</a>", "\t", [("text_link", 0, 1, "http://telegram.org/")]),
        ("<a   href=  'telegram.org?&lt;'   > </a>", " ",
         [("text_link", 0, 1, "http://telegram.org/?<")]),
        ("<a>telegram.org </a>", "telegram.org ", []),
        ('🏟 🏟&lt;<pre><code class="language-fift">🏟 🏟&lt;</></>', "🏟 🏟<🏟 🏟<",
         [("pre", 6, 6, "fift")]),
        ('🏟 🏟&lt;<pre><code class="language-fift">🏟 🏟&lt;</> </>', "🏟 🏟<🏟 🏟< ",
         [("pre", 6, 7), ("code", 6, 6)]),
        ("<blockquote   expandable   asd>a&lt;<pre  >b;</></>", "a<b;",
         [("expandable_blockquote", 0, 4), ("pre", 2, 2)]),
        ('<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>', "st",
         [("spoiler", 0, 1), ("spoiler", 1, 1)]),
        ('<a href="tg://user?id=42">you</a>', "you", [("text_mention", 0, 3, {"id": 42})]),
    ],
)
def test_html_parses_like_tdlib(html: str, text: str, entities: list[tuple]) -> None:
    parsed_text, parsed = parse_html(html)
    assert parsed_text == text
    assert _simple(parsed) == entities


def test_offsets_are_utf16_code_units_for_emoji_and_arabic() -> None:
    text, entities = parse_html("😀 <b>مرحبا</b> ትግርኛ <i>😀x</i>")
    assert text == "😀 مرحبا ትግርኛ 😀x"
    # The emoji is two UTF-16 units; Arabic and Ge'ez letters are one each.
    assert _simple(entities) == [("bold", 3, 5), ("italic", 14, 3)]
    assert utf16_slice(text, 14, 3) == "😀x"
    assert utf16_len(text) == len(text) + 2


@pytest.mark.parametrize(
    ("markdown", "error"),
    [
        ("🏟 🏟_abacaba", "Can't find end of Italic entity at byte offset 9"),
        ("🏟 🏟_abac * asd ", "Can't find end of Bold entity at byte offset 15"),
        ("🏟 🏟`", "Can't find end of Code entity at byte offset 9"),
        ("🏟 🏟```a ", "Can't find end of PreCode entity at byte offset 9"),
        ("🏟 🏟_🏟 🏟__", "Can't find end of Underline entity at byte offset 19"),
        ("[telegram\\.org](asd", "Can't find end of a URL at byte offset 16"),
        ("🏟 🏟||test\\|", "Can't find end of Spoiler entity at byte offset 9"),
        ("🏟 🏟!", "Character '!' is reserved and must be escaped with the preceding '\\'"),
        ("1177.se", "Character '.' is reserved and must be escaped with the preceding '\\'"),
        (">*b\n>ld \n>bo\nld*\nasd\ndef", "Can't find end of Bold entity at byte offset 1"),
    ],
)
def test_markdown_v2_errors_match_tdlib(markdown: str, error: str) -> None:
    with pytest.raises(EntityParseError) as raised:
        parse_markdown_v2(markdown)
    assert str(raised.value) == error


def test_markdown_v2_entities() -> None:
    text, entities = parse_markdown_v2(
        "*fet* _kursiv_ __under__ ~struken~ ||dold|| `kod` [länk](https://nara.se) 1177\\.se"
    )
    assert text == "fet kursiv under struken dold kod länk 1177.se"
    assert _simple(entities) == [
        ("bold", 0, 3), ("italic", 4, 6), ("underline", 11, 5), ("strikethrough", 17, 7),
        ("spoiler", 25, 4), ("code", 30, 3), ("text_link", 34, 4, "https://nara.se/"),
    ]


def test_markdown_v2_block_quote() -> None:
    text, entities = parse_markdown_v2(">rad ett\n>rad två\nefter")
    assert text == "rad ett\nrad två\nefter"
    assert _simple(entities) == [("blockquote", 0, 15)]


def test_legacy_markdown() -> None:
    assert parse_markdown("*a* _b_ `c` [d](http://e.se)") == (
        "a b c d",
        [{"type": "bold", "offset": 0, "length": 1}, {"type": "italic", "offset": 2, "length": 1},
         {"type": "code", "offset": 4, "length": 1},
         {"type": "text_link", "offset": 6, "length": 1, "url": "http://e.se/"}],
    )
    with pytest.raises(EntityParseError, match="starting at byte offset 2"):
        parse_markdown("a *b")


def test_finish_text_trims_and_detects_entities() -> None:
    text, entities = finish_text(
        "\n  <b>", [{"type": "bold", "offset": 0, "length": 6}]
    )
    assert (text, entities) == ("<b>", [{"type": "bold", "offset": 0, "length": 3}])
    text, entities = finish_text("/start@nara_test_bot hej @kommunen #stöd https://nara.se. "
                                 "mejla soc@kommun.se", [])
    assert [(e["type"], utf16_slice(text, e["offset"], e["length"])) for e in entities] == [
        ("bot_command", "/start@nara_test_bot"), ("mention", "@kommunen"),
        ("hashtag", "#stöd"), ("url", "https://nara.se"), ("email", "soc@kommun.se"),
    ]


def test_detected_links_do_not_enter_code() -> None:
    _, entities = finish_text("kod nara.se", [{"type": "code", "offset": 4, "length": 7}])
    assert entities == [{"type": "code", "offset": 4, "length": 7}]


def test_to_html_inverts_parse_html() -> None:
    source = ('<b>Hej <i>du</i></b> &amp; <a href="https://1177.se/">1177</a> '
              '<pre><code class="language-py">x&lt;1</code></pre> 😀<u>ü</u>')
    text, entities = parse_html(source)
    assert to_html(text, entities) == source
    assert parse_html(to_html(text, entities)) == (text, entities)
