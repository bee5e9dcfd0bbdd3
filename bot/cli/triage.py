"""``nara triage``: the urgent-message check from a shell.

``nara triage TEXT [--lang CODE] --json`` prints the contract's shape,
``{"urgent": BOOL, "category": NAME or null, "language": CODE}``, with ``"level"``
added: ``"urgent"``, ``"ask"`` (not sure: the resident is asked whether they are safe)
or ``"calm"``; ``"urgent"`` is true only at the urgent level. TEXT ``-`` reads one
text per line from standard input and prints one JSON object per line, in order.
Without ``--json`` it prints one readable line per text with the reason: which
vocabulary phrases matched, which were set aside, the calming signals and the model.
"""

from __future__ import annotations

import json
import sys

import click

from flows.language import LOCALES
from flows.triage.classify import ModelError, Triage, default_lexicon, read_vocabulary, triage
from flows.triage.lexicon import LexiconError


def _readable(text: str, result: Triage) -> str:
    verdicts = {"urgent": "URGENT", "ask": "ASK if safe"}
    verdict = (f"{verdicts[result.level]} {result.category}" if result.level in verdicts
               else "not urgent")
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
    from bot.cli.common import settings_or_exit

    folder = settings_or_exit().triage
    try:
        lexicon = read_vocabulary(folder) if folder else default_lexicon()
    except (LexiconError, ModelError) as error:
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
