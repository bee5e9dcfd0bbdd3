"""``nara search`` and ``nara catalogue check``: the catalogue and its search from a shell.

``nara search TEXT [--lang CODE] [--limit N] --json`` prints exactly the contract's
shape (``{"language": CODE, "results": [{"id", "score", "title"}, ...]}``, best first);
TEXT ``-`` reads one text per line from standard input and prints one JSON object per
line, in order. Without ``--json`` it prints a table a person can read, and
``--explain`` adds which words matched which catalogue terms.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from flows.catalogue import (
    Catalogue,
    CatalogueError,
    check_catalogue,
    default_catalogue_path,
    load_catalogue,
)
from flows.checkins import PLAN_FILE, check_plans, load_plans
from flows.language import LOCALES
from flows.search import SearchResult, search


def _catalogue_path() -> Path:
    """Return NARA_CATALOGUE when set, otherwise the catalogue shipped with Nära."""
    from bot.cli.common import settings_or_exit

    return settings_or_exit().catalogue or default_catalogue_path()


def _load(path: Path) -> Catalogue:
    try:
        return load_catalogue(path)
    except CatalogueError as error:
        raise click.ClickException(
            f"the catalogue cannot be used; run `nara catalogue check {path}`:\n{error}"
        ) from None
    except OSError as error:
        raise click.ClickException(f"cannot read the catalogue {path}: {error.strerror}") from None


def result_json(catalogue: Catalogue, result: SearchResult) -> dict[str, object]:
    """Return the contract's JSON shape for one search result; titles in its language."""
    return {
        "language": result.language,
        "results": [
            {
                "id": hit.service_id,
                "score": hit.score,
                "title": catalogue[hit.service_id].title_in(result.language),
            }
            for hit in result.hits
        ],
    }


def _print_table(catalogue: Catalogue, text: str, result: SearchResult, explain: bool) -> None:
    click.echo(f"question: {text}")
    click.echo(f"language: {result.language}")
    if not result.hits:
        click.echo("no service matches: offer the menu and a person")
        return
    width = max(len(hit.service_id) for hit in result.hits)
    for rank, hit in enumerate(result.hits, start=1):
        title = catalogue[hit.service_id].title_in(result.language)
        sure = "" if hit.confident else "  (not confident)"
        click.echo(f"{rank:>2}. {hit.score:7.2f}  {hit.service_id:<{width}}  {title}{sure}")
        if explain:
            for match in hit.matched:
                click.echo(f"{'':14}{match}")
    if not result.answered:
        click.echo("nothing fits well enough to answer: offer the menu and a person")


@click.command("search")
@click.argument("text")
@click.option(
    "--lang",
    type=click.Choice(LOCALES),
    default=None,
    help="The language of TEXT; detected when left out.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="How many services to list at most.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per text).")
@click.option("--explain", is_flag=True, help="Show which words matched, with weights.")
def search_command(text: str, lang: str | None, limit: int, as_json: bool, explain: bool) -> None:
    """Find the services that fit TEXT (use - to read one text per line from stdin)."""
    catalogue = _load(_catalogue_path())
    texts = (line.rstrip("\r\n") for line in sys.stdin) if text == "-" else iter([text])
    for question in texts:
        result = search(catalogue, question, locale=lang, limit=limit)
        if as_json:
            # One line per text, flushed, so a batch caller can read answers as they come.
            click.echo(json.dumps(result_json(catalogue, result), ensure_ascii=False))
            sys.stdout.flush()
        else:
            _print_table(catalogue, question, result, explain)


@click.group("catalogue")
def catalogue_group() -> None:
    """Work with the support catalogue (catalogue/services.yaml)."""


@catalogue_group.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def catalogue_check(path: Path | None) -> None:
    """Check the catalogue and the check-in plans (or the one file at PATH).

    Without PATH: NARA_CATALOGUE (or the shipped services.yaml) and NARA_CHECKINS (or
    the shipped checkins.yaml). A file with a top-level ``plans:`` is read as check-in plans.
    """
    from bot.cli.common import settings_or_exit

    if path is None:
        settings = settings_or_exit()
        files = [
            (settings.catalogue or default_catalogue_path(), False),
            (settings.checkins or PLAN_FILE, True),
        ]
    else:
        files = [(path, _is_plans(path))]
    problems_in_all = 0
    for target, plans in files:
        problems = check_plans(target) if plans else check_catalogue(target)
        for problem in problems:
            click.echo(str(problem))
        problems_in_all += len(problems)
        if problems:
            continue
        if plans:
            loaded = load_plans(target)
            click.echo(f"OK: {len(loaded)} check-in plans ({', '.join(loaded.plans)})")
        else:
            catalogue = load_catalogue(target)
            languages = {locale for service in catalogue for locale in service.description}
            click.echo(f"OK: {len(catalogue)} services, {len(languages)} languages")
    if problems_in_all:
        noun = "problem" if problems_in_all == 1 else "problems"
        click.echo(f"{problems_in_all} {noun} to fix", err=True)
        raise SystemExit(1)


def _is_plans(path: Path) -> bool:
    """Tell a check-in plans file (``plans:`` at the top) from a services catalogue."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return any(line.startswith("plans:") for line in text.splitlines())
