"""``nara triage``: the urgent-message check from a shell.

``nara triage TEXT [--lang CODE] --json`` prints exactly the contract's shape,
``{"urgent": BOOL, "category": NAME or null, "language": CODE}``; TEXT ``-`` reads
one text per line from standard input and prints one JSON object per line, in
order. Without ``--json`` it prints one readable line per text with the reason:
which lexicon phrases matched, and which were set aside as figures of speech.
"""

from __future__ import annotations

import json
import sys

import click

from flows.language import LOCALES
from flows.triage import Triage, default_lexicon, triage
from flows.triage_lexicon import LexiconError, read_lexicon


def _readable(text: str, result: Triage) -> str:
    verdict = f"URGENT {result.category}" if result.urgent else "not urgent"
    also = f" (also {', '.join(result.categories[1:])})" if len(result.categories) > 1 else ""
    return f"{verdict}{also} [{result.language}] {text!r}: {result.explanation}"


@click.command("triage")
@click.argument("text")
@click.option(
    "--lang",
    type=click.Choice(LOCALES),
    default=None,
    help="The language of TEXT; detected when left out.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per text).")
def triage_command(text: str, lang: str | None, as_json: bool) -> None:
    """Tell whether TEXT needs a person now (use - to read one text per line from stdin)."""
    from bot.cli import settings_or_exit

    folder = settings_or_exit().triage
    try:
        lexicon = read_lexicon(folder) if folder else default_lexicon()
    except LexiconError as error:
        raise click.ClickException(f"the triage vocabulary cannot be used:\n{error}") from None
    texts = (line.rstrip("\r\n") for line in sys.stdin) if text == "-" else iter([text])
    for message in texts:
        result = triage(message, locale=lang, lexicon=lexicon)
        if as_json:
            # One line per text, flushed, so a batch caller can read answers as they come.
            click.echo(json.dumps(result.as_json(), ensure_ascii=False))
            sys.stdout.flush()
        else:
            click.echo(_readable(message, result))
