"""Message text as Telegram stores it: plain text plus entities in UTF-16 code units.

The HTML, MarkdownV2 and Markdown parsers follow tdlib's (``td/telegram/MessageEntity.cpp``)
byte for byte where it matters to a bot: which tags exist, which attributes count, and the exact
error texts with their byte offsets, so a bot sees the same ``can't parse entities`` error here
as from Telegram.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tgserver.errors import EntityParseError

Entity = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

# tdlib's is_space(): note that NUL counts, which is how "end of text" is detected.
_SPACE = frozenset(b" \t\r\n\0\v")

# tdlib's MessageEntity::get_type_priority, by Bot API type name; orders entities that share
# offset and length.
_PRIORITY = {
    "mention": 50,
    "hashtag": 50,
    "bot_command": 50,
    "url": 50,
    "email": 50,
    "bold": 90,
    "italic": 91,
    "code": 20,
    "pre": 11,
    "text_link": 49,
    "text_mention": 49,
    "cashtag": 50,
    "phone_number": 50,
    "underline": 92,
    "strikethrough": 93,
    "blockquote": 0,
    "expandable_blockquote": 0,
    "spoiler": 94,
    "custom_emoji": 99,
}

# Entity types a bot may pass in ``entities``; the detected ones (url, mention...) Telegram
# finds again by itself.
FORMATTING_TYPES = frozenset(
    {
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "blockquote",
        "expandable_blockquote",
    }
)
DETECTED_TYPES = frozenset(
    {"mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number"}
)
# Types that only style text: a detected link or command may lie inside them.
_STYLE_TYPES = frozenset(
    {"bold", "italic", "underline", "strikethrough", "spoiler", "blockquote",
     "expandable_blockquote"}
)


def utf16_len(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units, the unit of entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def utf16_slice(text: str, offset: int, length: int) -> str:
    """Return the part of ``text`` an entity covers (offset and length in UTF-16 units)."""
    units = text.encode("utf-16-le")
    return units[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


def sort_entities(entities: list[Entity]) -> list[Entity]:
    """Sort entities like tdlib: by offset, longer first, then by type priority."""
    entities.sort(key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))
    return entities


def _entity(kind: str, offset: int, length: int, **extra: Any) -> Entity:
    entity: Entity = {"type": kind, "offset": offset, "length": length}
    entity.update({k: v for k, v in extra.items() if v is not None})
    return entity


# ---------------------------------------------------------------------------------------------
# Links


def check_link(url: str) -> str | None:
    """Return the URL Telegram would store for a link, or None if it refuses the link.

    Like tdlib's ``LinkManager::get_checked_link``: a missing scheme becomes ``http://`` and an
    empty path becomes ``/`` (``telegram.org`` -> ``http://telegram.org/``).
    """
    if not url or any(ch.isspace() for ch in url):
        return None
    if "://" not in url and not url.lower().startswith(("tg:", "ton:")):
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme in ("tg", "ton", "tonsite"):
        return url
    if scheme not in ("http", "https", "ftp") or not parts.hostname:
        return None
    host = parts.hostname
    if "." not in host and host != "localhost":
        return None
    rebuilt = f"{scheme}://{parts.netloc}{parts.path or '/'}"
    if parts.query:
        rebuilt += "?" + parts.query
    if parts.fragment:
        rebuilt += "#" + parts.fragment
    return rebuilt


_USER_LINK = re.compile(r"^tg://user\?id=(\d+)$", re.IGNORECASE)


def _link_entity(offset: int, length: int, url: str) -> Entity | None:
    user = _USER_LINK.match(url.strip())
    if user:
        # Resolved to a user object (or dropped) by the caller, which knows the users.
        return _entity("text_mention", offset, length, user={"id": int(user.group(1))})
    checked = check_link(url)
    if checked is None:
        return None
    return _entity("text_link", offset, length, url=checked)


# ---------------------------------------------------------------------------------------------
# HTML


_HTML_TAGS = frozenset(
    {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
     "span", "pre", "code", "blockquote"}
)


def _decode_html_entity(data: bytes, pos: int) -> tuple[int, int]:
    """Decode the character reference at ``data[pos] == '&'``: (code point or 0, next pos)."""
    size = len(data)

    def at(i: int) -> int:
        return data[i] if i < size else 0

    end = pos + 1
    code = 0
    if at(pos + 1) == ord("#"):
        end += 1
        if at(pos + 2) == ord("x"):
            end += 1
            while chr(at(end)) in "0123456789abcdefABCDEF" and at(end):
                code = code * 16 + int(chr(at(end)), 16)
                end += 1
        else:
            while ord("0") <= at(end) <= ord("9"):
                code = code * 10 + at(end) - ord("0")
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while chr(at(end)).isascii() and chr(at(end)).isalpha():
            end += 1
        name = data[pos + 1 : end]
        code = {b"lt": 0x3C, b"gt": 0x3E, b"amp": 0x26, b"quot": 0x22}.get(name, 0)
        if code == 0:
            return 0, pos
    if at(end) == ord(";"):
        end += 1
    return code, end


def _utf8(code: int) -> bytes:
    return chr(code).encode("utf-8", errors="surrogatepass")


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int  # UTF-16 offset in the result
    byte_pos: int  # byte position in the result, for <a> without href


def parse_html(text: str) -> tuple[str, list[Entity]]:
    """Parse Telegram HTML into plain text and entities.

    Args:
        text: The message text with HTML markup.

    Returns:
        The plain text and its entities (Bot API dicts, offsets in UTF-16 code units).

    Raises:
        EntityParseError: With tdlib's message, e.g. ``Unsupported start tag "x" at byte
            offset 0`` or ``Can't find end tag corresponding to start tag "b"``.
    """
    data = text.encode("utf-8", errors="surrogatepass")
    size = len(data)

    def at(i: int) -> int:
        return data[i] if i < size else 0

    out = bytearray()
    utf16 = 0
    found: list[tuple[str, int, int, str]] = []  # (tdlib type, offset, length, argument)
    stack: list[_OpenTag] = []
    has_surrogate = False
    i = 0
    while i < size:
        c = data[i]
        if c == ord("&"):
            code, after = _decode_html_entity(data, i)
            if code:
                utf16 += 1 + (code > 0xFFFF)
                has_surrogate |= 0xD800 <= code <= 0xDFFF
                out += _utf8(code)
                i = after
                continue
        if c != ord("<"):
            if c & 0xC0 != 0x80:
                utf16 += 1 + (c >= 0xF0)
            out.append(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != ord("/"):
            while at(i) not in _SPACE and at(i) != ord(">"):
                i += 1
            if at(i) == 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].lower().decode("utf-8", errors="replace")
            if tag not in _HTML_TAGS:
                raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            i, argument = _parse_html_attributes(data, tag, begin, i, at)
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            stack.append(_OpenTag(tag, argument, utf16, len(out)))
            i += 1  # past '>'
            continue

        # An end tag.
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        while at(i) not in _SPACE and at(i) != ord(">"):
            i += 1
        end_tag = data[begin + 2 : i].lower().decode("utf-8", errors="replace")
        while at(i) in _SPACE and at(i) != 0:
            i += 1
        if at(i) != ord(">"):
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        i += 1
        open_tag = stack[-1]
        if end_tag and end_tag != open_tag.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{open_tag.name}>", '
                f'found "</{end_tag}>"'
            )
        if utf16 > open_tag.offset:
            _close_html_entity(found, open_tag, utf16, out)
        stack.pop()

    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"'
        )
    if has_surrogate:
        raise EntityParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units"
        )
    entities: list[Entity] = []
    for kind, offset, length, argument in found:
        if kind == "PreCode":
            entities.append(_entity("pre", offset, length, language=argument))
        elif kind == "TextUrl":
            link = _link_entity(offset, length, argument)
            if link is not None:
                entities.append(link)
        elif kind == "CustomEmoji":
            entities.append(_entity("custom_emoji", offset, length, custom_emoji_id=argument))
        else:
            entities.append(_entity(kind, offset, length))
    return out.decode("utf-8"), sort_entities(entities)


def _parse_html_attributes(
    data: bytes, tag: str, begin: int, i: int, at: Callable[[int], int]
) -> tuple[int, str]:
    """Read a start tag's attributes from ``i``; return (position of '>', the tag argument)."""
    argument = ""
    while at(i) != ord(">"):
        while at(i) != 0 and at(i) in _SPACE:
            i += 1
        if at(i) == ord(">"):
            break
        if at(i) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        name_begin = i
        while at(i) not in _SPACE and at(i) not in (ord("="), ord(">")):
            i += 1
        name = data[name_begin:i]
        if not name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
            )
        while at(i) != 0 and at(i) in _SPACE:
            i += 1
        if at(i) != ord("="):
            # An attribute without a value; only <blockquote expandable> gives it meaning.
            if tag == "blockquote" and name == b"expandable":
                argument = "1"
            continue
        i += 1
        while at(i) != 0 and at(i) in _SPACE:
            i += 1
        if at(i) == 0:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        if at(i) not in (ord("'"), ord('"')):
            # A name token: letters, digits, periods and hyphens, case-insensitive.
            token_begin = i
            while chr(at(i)).isascii() and (chr(at(i)).isalnum() or at(i) in b".-") and at(i):
                i += 1
            value = data[token_begin:i].lower()
            if at(i) not in _SPACE and at(i) != ord(">"):
                raise EntityParseError(f"Unexpected end of name token at byte offset {token_begin}")
        else:
            quote = at(i)
            i += 1
            collected = bytearray()
            while at(i) != quote and at(i) != 0:
                if at(i) == ord("&"):
                    code, after = _decode_html_entity(data, i)
                    if code:
                        collected += _utf8(code)
                        i = after
                        continue
                collected.append(at(i))
                i += 1
            if at(i) == quote:
                i += 1
            value = bytes(collected)
        if at(i) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        decoded = value.decode("utf-8", errors="replace")
        if tag == "a" and name == b"href":
            argument = decoded
        elif tag == "code" and name == b"class" and decoded.startswith("language-"):
            argument = decoded[len("language-") :]
        elif tag == "span" and name == b"class" and decoded.startswith("tg-"):
            argument = decoded[len("tg-") :]
        elif tag == "tg-emoji" and name == b"emoji-id":
            argument = decoded
        elif tag == "blockquote" and name == b"expandable":
            argument = "1"
    return i, argument


def _close_html_entity(
    found: list[tuple[str, int, int, str]], tag: _OpenTag, utf16: int, out: bytearray
) -> None:
    offset = tag.offset
    length = utf16 - offset
    name = tag.name
    simple = {
        "i": "italic", "em": "italic", "b": "bold", "strong": "bold",
        "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
        "u": "underline", "ins": "underline", "tg-spoiler": "spoiler", "span": "spoiler",
    }
    if name in simple:
        found.append((simple[name], offset, length, ""))
    elif name == "tg-emoji":
        try:
            emoji_id = int(tag.argument)
        except ValueError:
            emoji_id = 0
        if emoji_id == 0 or not -(2**63) <= emoji_id < 2**63:
            raise EntityParseError("Invalid custom emoji identifier specified")
        found.append(("CustomEmoji", offset, length, str(emoji_id)))
    elif name == "a":
        url = tag.argument or out[tag.byte_pos :].decode("utf-8", errors="replace")
        found.append(("TextUrl", offset, length, url))
    elif name == "pre":
        last = found[-1] if found else None
        if last and last[0] == "code" and last[1:3] == (offset, length) and last[3]:
            found[-1] = ("PreCode", offset, length, last[3])
        else:
            found.append(("pre", offset, length, ""))
    elif name == "code":
        last = found[-1] if found else None
        if last and last[0] == "pre" and last[1:3] == (offset, length) and tag.argument:
            found[-1] = ("PreCode", offset, length, tag.argument)
        else:
            # The language is kept only until a surrounding <pre> claims it.
            found.append(("code", offset, length, tag.argument))
    elif name == "blockquote":
        kind = "expandable_blockquote" if tag.argument else "blockquote"
        found.append((kind, offset, length, ""))


# ---------------------------------------------------------------------------------------------
# MarkdownV2


_MD2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MD2_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline",
    "strikethrough": "Strikethrough", "spoiler": "Spoiler", "code": "Code", "pre": "Pre",
    "pre_code": "PreCode", "text_link": "TextUrl", "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}


@dataclass
class _OpenMd:
    kind: str
    argument: str
    offset: int
    byte_offset: int
    result_pos: int


def parse_markdown_v2(text: str) -> tuple[str, list[Entity]]:
    r"""Parse MarkdownV2 into plain text and entities.

    Supports tdlib's entities (bold, italic, underline, strikethrough, spoiler, code, pre with
    language, links, custom emoji) and ``>`` block quotes; not the ``**>`` expandable form.

    Raises:
        EntityParseError: With tdlib's message, e.g. ``Character '!' is reserved and must be
            escaped with the preceding '\\'``.
    """
    data = text.encode("utf-8", errors="surrogatepass")
    size = len(data)

    def at(i: int) -> int:
        return data[i] if i < size else 0

    out = bytearray()
    utf16 = 0
    entities: list[Entity] = []
    stack: list[_OpenMd] = []
    quote: _OpenMd | None = None
    i = 0
    while i < size:
        line_start = i == 0 or data[i - 1] == ord("\n")
        in_code = bool(stack) and stack[-1].kind in ("code", "pre", "pre_code")
        if line_start and not in_code:
            if at(i) == ord(">"):
                if quote is None:
                    quote = _OpenMd("blockquote", "", utf16, i, len(out))
                i += 1
                continue
            if quote is not None:
                _end_quote(quote, stack, entities, utf16, out)
                quote = None
        c = data[i]
        if c == ord("\\") and 0 < at(i + 1) <= 126:
            i += 1
            utf16 += 1
            out.append(data[i])
            i += 1
            continue
        reserved = "`" if in_code else _MD2_RESERVED
        if chr(c) not in reserved:
            if c & 0xC0 != 0x80:
                utf16 += 1 + (c >= 0xF0)
            out.append(c)
            i += 1
            continue

        top = stack[-1].kind if stack else None
        ends = {
            "bold": c == ord("*"),
            "italic": c == ord("_") and at(i + 1) != ord("_"),
            "code": c == ord("`"),
            "pre": c == ord("`") and at(i + 1) == ord("`") and at(i + 2) == ord("`"),
            "pre_code": c == ord("`") and at(i + 1) == ord("`") and at(i + 2) == ord("`"),
            "text_link": c == ord("]"),
            "underline": c == ord("_") and at(i + 1) == ord("_"),
            "strikethrough": c == ord("~"),
            "spoiler": c == ord("|") and at(i + 1) == ord("|"),
            "custom_emoji": c == ord("]"),
        }.get(top or "", False)
        if not ends:
            i = _open_markdown_v2(data, i, at, utf16, out, stack)
            continue

        opened = stack.pop()
        skip = utf16 == opened.offset
        argument = opened.argument
        kind = opened.kind
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind in ("pre", "pre_code"):
            i += 2
        elif kind in ("text_link", "custom_emoji"):
            url = ""
            if at(i + 1) != ord("(") and kind == "custom_emoji":
                raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
            if at(i + 1) != ord("("):
                url = out[opened.result_pos :].decode("utf-8", errors="replace")
            else:
                i += 2
                url_begin = i
                collected = bytearray()
                while i < size and data[i] != ord(")"):
                    if data[i] == ord("\\") and 0 < at(i + 1) <= 126:
                        collected.append(data[i + 1])
                        i += 2
                        continue
                    collected.append(data[i])
                    i += 1
                if at(i) != ord(")"):
                    what = "a custom emoji URL" if kind == "custom_emoji" else "a URL"
                    raise EntityParseError(f"Can't find end of {what} at byte offset {url_begin}")
                url = collected.decode("utf-8", errors="replace")
            if kind == "custom_emoji":
                argument = _custom_emoji_id(url)
            else:
                link = _link_entity(opened.offset, utf16 - opened.offset, url)
                if link is None:
                    skip = True
                elif not skip:
                    entities.append(link)
                    skip = True
        if not skip:
            length = utf16 - opened.offset
            if kind == "pre_code":
                entities.append(_entity("pre", opened.offset, length, language=argument))
            elif kind == "custom_emoji":
                entities.append(
                    _entity("custom_emoji", opened.offset, length, custom_emoji_id=argument)
                )
            else:
                entities.append(_entity(kind, opened.offset, length))
        i += 1

    if quote is not None:
        _end_quote(quote, stack, entities, utf16, out)
    if stack:
        top_open = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MD2_NAMES[top_open.kind]} entity at byte offset "
            f"{top_open.byte_offset}"
        )
    return out.decode("utf-8"), sort_entities(entities)


def _end_quote(
    quote: _OpenMd, stack: list[_OpenMd], entities: list[Entity], utf16: int, out: bytearray
) -> None:
    inner = [opened for opened in stack if opened.result_pos >= quote.result_pos]
    if inner:
        raise EntityParseError(
            f"Can't find end of {_MD2_NAMES[inner[-1].kind]} entity at byte offset "
            f"{inner[-1].byte_offset}"
        )
    end = utf16 - (1 if out.endswith(b"\n") else 0)
    if end > quote.offset:
        entities.append(_entity("blockquote", quote.offset, end - quote.offset))


def _open_markdown_v2(
    data: bytes, i: int, at: Callable[[int], int], utf16: int, out: bytearray,
    stack: list[_OpenMd],
) -> int:
    """Open the entity starting at ``data[i]``; return the position after its marker."""
    c = data[i]
    begin = i
    argument = ""
    if c == ord("_"):
        if at(i + 1) == ord("_"):
            kind = "underline"
            i += 1
        else:
            kind = "italic"
    elif c == ord("*"):
        kind = "bold"
    elif c == ord("~"):
        kind = "strikethrough"
    elif c == ord("|") and at(i + 1) == ord("|"):
        kind = "spoiler"
        i += 1
    elif c == ord("["):
        kind = "text_link"
    elif c == ord("`"):
        if at(i + 1) == ord("`") and at(i + 2) == ord("`"):
            i += 3
            kind = "pre"
            language_end = i
            while at(language_end) not in _SPACE and at(language_end) != ord("`"):
                language_end += 1
            if i != language_end and language_end < len(data) and at(language_end) != ord("`"):
                kind = "pre_code"
                argument = data[i:language_end].decode("utf-8", errors="replace")
                i = language_end
            if at(i) in (ord("\n"), ord("\r")):
                if at(i + 1) in (ord("\n"), ord("\r")) and at(i) != at(i + 1):
                    i += 2
                else:
                    i += 1
            stack.append(_OpenMd(kind, argument, utf16, begin, len(out)))
            return i
        kind = "code"
    elif c == ord("!") and at(i + 1) == ord("["):
        kind = "custom_emoji"
        i += 1
    else:
        raise EntityParseError(
            f"Character '{chr(c)}' is reserved and must be escaped with the preceding '\\'"
        )
    stack.append(_OpenMd(kind, argument, utf16, begin, len(out)))
    return i + 1


def _custom_emoji_id(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "tg":
        raise EntityParseError("Custom emoji URL must have scheme tg")
    if parts.netloc != "emoji":
        raise EntityParseError('Custom emoji URL must have host "emoji"')
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    if "id" not in query:
        raise EntityParseError("Custom emoji URL must have an emoji identifier")
    value = query["id"]
    if not value.isdigit() or value.startswith("0"):
        raise EntityParseError("Invalid custom emoji identifier specified")
    return value


# ---------------------------------------------------------------------------------------------
# Markdown (legacy)


def parse_markdown(text: str) -> tuple[str, list[Entity]]:
    """Parse legacy Markdown (``*bold*``, ``_italic_``, code, pre, ``[text](url)``).

    Raises:
        EntityParseError: ``Can't find end of the entity starting at byte offset N``.
    """
    data = text.encode("utf-8", errors="surrogatepass")
    size = len(data)

    def at(i: int) -> int:
        return data[i] if i < size else 0

    out = bytearray()
    utf16 = 0
    entities: list[Entity] = []
    i = 0
    while i < size:
        c = data[i]
        if c == ord("\\") and at(i + 1) in b"_*`[":
            out.append(data[i + 1])
            utf16 += 1
            i += 2
            continue
        if c not in b"_*`[":
            if c & 0xC0 != 0x80:
                utf16 += 1 + (c >= 0xF0)
            out.append(c)
            i += 1
            continue
        begin = i
        end_char = ord("]") if c == ord("[") else c
        is_pre = False
        language = ""
        i += 1
        if c == ord("`") and at(i) == ord("`") and at(i + 1) == ord("`"):
            i += 2
            is_pre = True
            language_end = i
            while at(language_end) not in _SPACE and at(language_end) != ord("`"):
                language_end += 1
            if i != language_end and language_end < size and at(language_end) != ord("`"):
                language = data[i:language_end].decode("utf-8", errors="replace")
                i = language_end
            if at(i) in (ord("\n"), ord("\r")):
                i += 2 if at(i + 1) in (ord("\n"), ord("\r")) and at(i) != at(i + 1) else 1
        offset = utf16
        start_pos = len(out)
        while i < size and (
            data[i] != end_char
            or (is_pre and not (at(i + 1) == ord("`") and at(i + 2) == ord("`")))
        ):
            if data[i] & 0xC0 != 0x80:
                utf16 += 1 + (data[i] >= 0xF0)
            out.append(data[i])
            i += 1
        if i >= size:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {begin}"
            )
        length = utf16 - offset
        if c == ord("["):
            url = out[start_pos:].decode("utf-8", errors="replace")
            if at(i + 1) == ord("("):
                i += 2
                url_bytes = bytearray()
                while i < size and data[i] != ord(")"):
                    url_bytes.append(data[i])
                    i += 1
                url = url_bytes.decode("utf-8", errors="replace")
            link = _link_entity(offset, length, url) if length else None
            if link is not None:
                entities.append(link)
        elif length:
            if c == ord("_"):
                entities.append(_entity("italic", offset, length))
            elif c == ord("*"):
                entities.append(_entity("bold", offset, length))
            elif is_pre:
                entities.append(_entity("pre", offset, length, language=language or None))
            else:
                entities.append(_entity("code", offset, length))
        if is_pre:
            i += 2
        i += 1
    return out.decode("utf-8"), sort_entities(entities)


# ---------------------------------------------------------------------------------------------
# Entities Telegram finds by itself


_TLDS = (
    "com|org|net|info|biz|io|app|dev|me|eu|se|fi|no|dk|de|uk|fr|nl|be|it|es|ch|at|pl|ee|lv|lt|"
    "ru|ua|us|ca|au|nz|gov|edu|int|nu|tv|co|ai|xyz|online|site|tech|ly|gl|to|so|af|sa|ae|er|et"
)
_URL = re.compile(
    r"(?<![\w@.\-/])(?:"
    r"(?:https?|ftp|tg|tonsite)://[^\s<>\"]+"
    r"|(?:www\.)?(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+(?:" + _TLDS + r")(?![\w\-])"
    r"(?::\d{1,5})?(?:[/?#][^\s<>\"]*)?"
    r")",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"(?<![\w.+\-])[a-z0-9._+\-]+@(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z]{2,}(?![\w\-])",
    re.IGNORECASE,
)
_MENTION = re.compile(r"(?<!\w)@[A-Za-z0-9_]{5,32}(?!\w)")
_COMMAND = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")
_HASHTAG = re.compile(r"(?<![\w\u200c])#[\w\u200c]{1,256}(?![\w\u200c]*#)")
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""


def _char_to_utf16_offsets(text: str) -> list[int]:
    offsets = [0]
    for ch in text:
        offsets.append(offsets[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return offsets


def find_entities(text: str, existing: Iterable[Entity] = ()) -> list[Entity]:
    """Return the entities Telegram detects by itself: links, e-mails, mentions, commands.

    A detected entity is skipped where it would overlap an entity other than plain styling
    (a link inside ``<code>`` or a ``text_link`` stays as it is).
    """
    units = _char_to_utf16_offsets(text)
    blocked = [
        (e["offset"], e["offset"] + e["length"]) for e in existing if e["type"] not in _STYLE_TYPES
    ]
    spans: list[tuple[int, int, str]] = []

    def add(start: int, end: int, kind: str) -> None:
        if end <= start:
            return
        if any(s < end and start < e for s, e, _ in spans):
            return
        spans.append((start, end, kind))

    for match in _EMAIL.finditer(text):
        add(match.start(), match.end(), "email")
    for match in _URL.finditer(text):
        end = match.end()
        while end > match.start() and text[end - 1] in _TRAILING_PUNCTUATION:
            end -= 1
        add(match.start(), end, "url")
    for match in _COMMAND.finditer(text):
        add(match.start(), match.end(), "bot_command")
    for match in _MENTION.finditer(text):
        add(match.start(), match.end(), "mention")
    for match in _HASHTAG.finditer(text):
        if any(ch.isalpha() for ch in match.group()[1:]):
            add(match.start(), match.end(), "hashtag")

    found = []
    for start, end, kind in spans:
        begin_unit, end_unit = units[start], units[end]
        if any(s < end_unit and begin_unit < e for s, e in blocked):
            continue
        found.append(_entity(kind, begin_unit, end_unit - begin_unit))
    return found


# ---------------------------------------------------------------------------------------------
# Finishing a text


_TRIM = " \t\n\r\v\f"


def finish_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Trim the text like Telegram, clip entities to it and add the detected ones.

    Returns:
        The stored text and its sorted entities (empty text when nothing visible is left).
    """
    stripped_left = text.lstrip(_TRIM)
    head = utf16_len(text) - utf16_len(stripped_left)
    stripped = stripped_left.rstrip(_TRIM)
    total = utf16_len(stripped)
    kept: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - head, 0)
        end = min(entity["offset"] + entity["length"] - head, total)
        if end <= start:
            continue
        clipped = dict(entity)
        clipped["offset"] = start
        clipped["length"] = end - start
        kept.append(clipped)
    kept.extend(find_entities(stripped, kept))
    return stripped, sort_entities(kept)


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """Parse ``text`` in ``parse_mode`` (HTML, MarkdownV2, Markdown or none).

    Raises:
        EntityParseError: The markup is invalid.
        ValueError: The parse mode is not one Telegram knows.
    """
    mode = (parse_mode or "").strip().lower()
    if mode == "":
        return text, []
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise ValueError(parse_mode)


# ---------------------------------------------------------------------------------------------
# Rendering, for people looking at the sandbox


_HTML_TAG_OF = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="tg-spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote expandable>", "</blockquote>"),
}


def _open_close(entity: Entity) -> tuple[str, str]:
    kind = entity["type"]
    if kind in _HTML_TAG_OF:
        return _HTML_TAG_OF[kind]
    if kind == "pre":
        language = entity.get("language")
        if language:
            return f'<pre><code class="language-{html.escape(language)}">', "</code></pre>"
        return "<pre>", "</pre>"
    if kind in ("text_link", "url"):
        return f'<a href="{html.escape(entity.get("url", ""), quote=True)}">', "</a>"
    if kind == "text_mention":
        return f'<a href="tg://user?id={entity.get("user", {}).get("id", "")}">', "</a>"
    return "", ""


def to_html(text: str, entities: Iterable[Entity]) -> str:
    """Render text and entities as Telegram-style HTML (the inverse of :func:`parse_html`)."""
    ordered = sort_entities([dict(e) for e in entities if _open_close(e) != ("", "")])
    units = text.encode("utf-16-le")
    total = len(units) // 2
    opens: dict[int, list[Entity]] = {}
    for entity in ordered:
        opens.setdefault(entity["offset"], []).append(entity)
    stack: list[Entity] = []
    pieces: list[str] = []
    pos = 0
    boundaries = sorted(
        {0, total}
        | {e["offset"] for e in ordered}
        | {e["offset"] + e["length"] for e in ordered}
    )
    for point in boundaries:
        if point > pos:
            chunk = units[pos * 2 : point * 2].decode("utf-16-le", errors="replace")
            pieces.append(html.escape(chunk, quote=False))
            pos = point
        # Close what ends here; reopen what was closed only to keep the nesting valid.
        reopen: list[Entity] = []
        while any(e["offset"] + e["length"] == point for e in stack):
            top = stack.pop()
            pieces.append(_open_close(top)[1])
            if top["offset"] + top["length"] != point:
                reopen.append(top)
        for entity in reversed(reopen):
            pieces.append(_open_close(entity)[0])
            stack.append(entity)
        for entity in opens.get(point, []):
            if entity["length"] > 0 and point < total:
                pieces.append(_open_close(entity)[0])
                stack.append(entity)
    while stack:
        pieces.append(_open_close(stack.pop())[1])
    return "".join(pieces)
