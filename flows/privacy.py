"""Remove what identifies a person from a text before it is kept (unanswered questions)."""

from __future__ import annotations

import re
from typing import Final

# Swedish personal identity and coordination numbers (ÅÅMMDD-NNNN, ÅÅÅÅMMDDNNNN, with
# "-" or "+") and Finnish ones (PPKKVV-NNNT, century sign -, +, A-F, U-Y).
_SWEDISH_ID: Final = re.compile(r"(?<!\d)(?:19|20)?\d{6}[-+ ]?\d{4}(?!\d)")
_FINNISH_ID: Final = re.compile(
    r"(?<![\dA-Za-z])\d{6}[-+A-FU-Ya-fu-y]\d{3}[0-9A-Ya-y](?![\dA-Za-z])"
)
_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Phone numbers: a run of at least seven digits, allowing spaces, dashes, dots,
# parentheses and a leading +; written Swedish style (070-123 45 67) or international.
_PHONE: Final = re.compile(r"(?<![\w+])\+?\(?\d(?:[\s\-.()]*\d){6,}(?!\w)")
_ANY_DIGITS: Final = re.compile(r"[0-9٠-٩۰-۹]")
_EASTERN_DIGITS: Final = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

# "My name is ...", in our eight languages: the one or two words after it are a name.
_NAME_INTRO: Final = re.compile(
    r"(?i)\b(jag heter|mitt namn är|my name is|i am called|minun nimeni on|nimeni on|"
    r"mun nimi on|magacaygu waa|magacayga waa|мене звати|меня зовут|моє ім'я|моє імʼя)"
    r"|(اسمي|أسمي|نام من|نامم)"
)
_NAME_AFTER: Final = re.compile(r"\s+([^\s,.!?;:،؟]+)(\s+[^\s,.!?;:،؟]+)?")
# Swedish and Finnish street addresses: "Storgatan 12", "Björkvägen 3B", "Mannerheimintie 5".
_STREET: Final = re.compile(
    r"(?i)\b[\wåäöÅÄÖ-]+(?:gatan|gata|vägen|väg|gränd|torget|stigen|backen|allén|platsen|"
    r"leden|katu|tie|kuja|polku)\s+\d+\s?[a-z]?\b"
)

EMAIL_MARK: Final = "[e-mail]"
NUMBER_MARK: Final = "[number]"
NAME_MARK: Final = "[name]"
ADDRESS_MARK: Final = "[address]"


def _without_names(text: str) -> str:
    """Replace the name after "my name is" (in any of our languages) with a mark."""
    parts, last = [], 0
    for intro in _NAME_INTRO.finditer(text):
        after = _NAME_AFTER.match(text, intro.end())
        if after is None or intro.start() < last:
            continue
        # A second word counts as a surname only when it is capitalised ("Amal Hassan").
        surname = after.group(2)
        end = after.end() if surname and surname.strip()[:1].isupper() else after.end(1)
        parts.append(text[last : intro.end()] + " " + NAME_MARK)
        last = end
    return "".join(parts) + text[last:]


def scrub(text: str) -> str:
    """Return ``text`` with names, street addresses, identity, phone numbers, e-mails replaced.

    Arabic-Indic and Persian digits count as digits: a number typed on an Arabic or
    Dari keyboard is removed too.
    """
    if _ANY_DIGITS.search(text):
        text = text.translate(_EASTERN_DIGITS)
    text = _EMAIL.sub(EMAIL_MARK, text)
    text = _STREET.sub(ADDRESS_MARK, text)
    text = _without_names(text)
    text = _FINNISH_ID.sub(NUMBER_MARK, text)
    text = _SWEDISH_ID.sub(NUMBER_MARK, text)
    return _PHONE.sub(NUMBER_MARK, text)
