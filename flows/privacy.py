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

EMAIL_MARK: Final = "[e-mail]"
NUMBER_MARK: Final = "[number]"


def scrub(text: str) -> str:
    """Return ``text`` with identity numbers, phone numbers and e-mail addresses replaced.

    Arabic-Indic and Persian digits count as digits: a number typed on an Arabic or
    Dari keyboard is removed too.
    """
    if _ANY_DIGITS.search(text):
        text = text.translate(_EASTERN_DIGITS)
    text = _EMAIL.sub(EMAIL_MARK, text)
    text = _FINNISH_ID.sub(NUMBER_MARK, text)
    text = _SWEDISH_ID.sub(NUMBER_MARK, text)
    return _PHONE.sub(NUMBER_MARK, text)
