"""Right-to-left texts that still show numbers the way people dial them.

In an Arabic or Dari paragraph the Unicode bidi algorithm (UAX #9) lays out each group of
digits as a run of its own and puts the runs in right-to-left order: ``020-50 50 50``
shows as ``50 50 020-50``, ``114 14`` as ``14 114``. A person in crisis could dial the
wrong number. So, in a right-to-left text:

- every number (a phone number, ``+46 8 123 45``, a time or time range ``08:00–16:00``,
  a date ``12/05``, an amount ``1 200 kr``; Arabic-Indic digits too) is wrapped in a
  left-to-right isolate, U+2066 … U+2069. The isolates surround the number and are never
  inside it, so tap-to-call still finds it. Its spaces become no-break spaces and a word
  joiner follows its dashes, so it is never broken across two lines;
- a slash command is isolated the same way, so ``/help`` never shows as ``help/`` (the
  left-to-right mark the translations put before it is then not needed);
- a line whose first strong letter is left to right (a Swedish name: "Ekonomiskt bistånd
  är …", "⁦90101⁩ – Självmordslinjen …") starts with a right-to-left mark, U+200F, so it
  still lays out right to left. Only in a paragraph that has right-to-left letters at all:
  a paragraph wholly in Swedish (a caseworker's own words, a service not yet translated)
  keeps its own direction, or its closing full stop would jump to its start.

Telegram keeps these characters: TDLib's ``clean_input_string`` deletes U+2028–U+202E,
which rules out the older embeddings (LRE … PDF), but not the isolates; and it turns all
but the last of two or more marks in a row (U+200E, U+200F) into U+200C, so no mark is
ever put next to another one here.

HTML tags and character references are left untouched: the text between them is changed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Final

LEFT_TO_RIGHT_ISOLATE: Final = "\u2066"
POP_DIRECTIONAL_ISOLATE: Final = "\u2069"
RIGHT_TO_LEFT_MARK: Final = "\u200f"
LEFT_TO_RIGHT_MARK: Final = "\u200e"
NO_BREAK_SPACE: Final = "\u00a0"
WORD_JOINER: Final = "\u2060"

_ISOLATE_OPENERS: Final = frozenset("\u2066\u2067\u2068")
_DIGIT: Final = "0-9\u0660-\u0669\u06f0-\u06f9"  # Latin, Arabic-Indic, Persian digits
_GROUP: Final = f"[{_DIGIT}]+"
# Inside a number: decimal and thousands separators, the colon of a time, the slash of a date.
_JOINER: Final = "[.,:/\u066b\u066c]"
# A line may break after these (not after the hyphen-minus: "020-50" never breaks).
_BREAKING_DASH: Final = "\u2010\u2012\u2013\u2014\u2212"
_DASH: Final = f"\\-\u2011{_BREAKING_DASH}"
_THIN: Final = "\u00a0\u2009\u202f"  # spaces Babel puts around a dash in a range
_SPACE: Final = " \u00a0\u202f"
_UNIT: Final = "(?:kr|SEK|EUR|€|%|\u066a)"
# Not the digits of a word ("H2O", "page2"), though Arabic glues prefixes to numbers ("بـ112").
_NOT_IN_A_WORD: Final = r"(?<![^\W\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff])(?<!\+)"
_NUMBER: Final = (
    rf"{_NOT_IN_A_WORD}\+?{_GROUP}"
    rf"(?:(?:{_JOINER}|[{_THIN}]?[{_DASH}][{_THIN}]?"
    # A space joins the groups of a phone number or an amount, not a year to a time.
    rf"|[{_SPACE}](?!{_GROUP}:)){_GROUP})*"
    rf"(?:[{_SPACE}]?{_UNIT}(?!\w))?"
)
_COMMAND: Final = (
    rf"(?<![\w/<>]){LEFT_TO_RIGHT_MARK}?/[A-Za-z0-9_]{{1,64}}(?:@\w{{3,32}})?(?![\w/])"
)
# Addresses keep their digits as they are: an isolate inside one would cut the link.
_LINK: Final = (
    r"(?:https?://|www\.)[^\s<>\"]+"
    r"|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
    r"|\b[\w\-]+(?:\.[\w\-]+)*\.(?:se|nu|fi|eu|com|org|net|info)\b[^\s<>\"]*"
)
# What is isolated already stays as it is, so doing it twice changes nothing.
_ISOLATED: Final = f"{LEFT_TO_RIGHT_ISOLATE}[^{POP_DIRECTIONAL_ISOLATE}]*{POP_DIRECTIONAL_ISOLATE}"
_TOKEN: Final = re.compile(
    rf"(?P<kept>{_ISOLATED}|{_LINK})|(?P<command>{_COMMAND})|(?P<number>{_NUMBER})",
    re.IGNORECASE,
)
_MARKUP: Final = re.compile(r"(<[^>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)")
_BREAKING_DASHES: Final = re.compile(f"([{_BREAKING_DASH}])")
_ARABIC_INDIC: Final = re.compile("[\u0660-\u0669]")
_SEPARATORS: Final = re.compile(f"[^{_DIGIT}]+")


def _isolated(match: re.Match[str]) -> str:
    kind = match.lastgroup
    text = match.group().lstrip(LEFT_TO_RIGHT_MARK)
    if kind == "kept":
        return text
    if kind == "number":
        text = _BREAKING_DASHES.sub(
            rf"\1{WORD_JOINER}", re.sub(f"[{_SPACE}]", NO_BREAK_SPACE, text)
        )
        if _ARABIC_INDIC.search(text):
            # Arabic-Indic digits count as right to left for what stands between them, even
            # in an isolate: a mark after each separator keeps the groups in their order.
            text = _SEPARATORS.sub(rf"\g<0>{LEFT_TO_RIGHT_MARK}", text)
    return f"{LEFT_TO_RIGHT_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"


def _pieces(text: str, *, html: bool) -> Iterator[tuple[bool, str]]:
    """Yield (is_text, piece): markup (tags, character references) is never text."""
    if not html:
        yield True, text
        return
    for index, piece in enumerate(_MARKUP.split(text)):
        if piece:
            yield index % 2 == 0, piece


def _strong(char: str) -> str | None:
    kind = unicodedata.bidirectional(char)
    if kind == "L":
        return "L"
    if kind in ("R", "AL"):
        return "R"
    return None


def _starting_right_to_left(pieces: list[tuple[bool, str]]) -> str:
    """Join ``pieces``, starting each left-to-right-first line with a right-to-left mark."""
    has_right_to_left = any(
        _strong(char) == "R" for is_text, piece in pieces if is_text for char in piece
    )
    if not has_right_to_left:
        return "".join(piece for _, piece in pieces)
    out: list[str] = []
    line_start = 0  # where in ``out`` the current line begins
    first: str | None = None  # the current line's first strong direction, outside isolates
    depth = 0

    def close_line() -> None:
        if first == "L":
            out.insert(line_start, RIGHT_TO_LEFT_MARK)

    for is_text, piece in pieces:
        if not is_text:
            out.append(piece)
            continue
        for char in piece:
            if char == "\n":
                close_line()
                out.append(char)
                line_start, first, depth = len(out), None, 0
                continue
            out.append(char)
            if char in _ISOLATE_OPENERS:
                depth += 1
            elif char == POP_DIRECTIONAL_ISOLATE:
                depth = max(depth - 1, 0)
            elif depth == 0 and first is None:
                first = _strong(char)
    close_line()
    return "".join(out)


def for_right_to_left(text: str, *, html: bool = True) -> str:
    """Return ``text`` ready to be shown right to left (see the module's docstring).

    Args:
        text: One paragraph of a reply (Telegram HTML when ``html``), or a button label.
        html: Whether ``text`` is HTML, whose tags and character references stay as they are.
    """
    pieces = [
        (is_text, _TOKEN.sub(_isolated, piece) if is_text else piece)
        for is_text, piece in _pieces(text, html=html)
    ]
    return _starting_right_to_left(pieces)


def as_seen(text: str) -> str:
    """Return ``text`` with the isolates, marks and joiners removed and plain spaces again.

    What a person reads (and what a test compares with the number as it was written).
    """
    for invisible in (
        LEFT_TO_RIGHT_ISOLATE,
        POP_DIRECTIONAL_ISOLATE,
        RIGHT_TO_LEFT_MARK,
        LEFT_TO_RIGHT_MARK,
        WORD_JOINER,
    ):
        text = text.replace(invisible, "")
    return text.replace(NO_BREAK_SPACE, " ")
