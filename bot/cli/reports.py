"""``nara report``: how reachable social services are, from anonymous counts."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import run_in_transaction, settings_or_exit
from flows.reports import Feedback, Question, gap_topics, triage_report
from storage import queries, triage_feedback


@click.group("report")
def report_group() -> None:
    """Reports for the municipality: unanswered topics, usage, and how triage does."""


@report_group.command("gaps")
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=90,
    show_default=True,
    help="Look at questions from this many days back.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 500),
    default=20,
    show_default=True,
    help="Show at most this many topics.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def report_gaps(days: int, limit: int, as_json: bool) -> None:
    """List the most common topics residents asked about that the catalogue lacks."""
    since = datetime.now(UTC) - timedelta(days=days)

    async def fetch(session: AsyncSession) -> list[Question]:
        rows = await queries.unanswered_since(session, since)
        return [Question(row.text, row.language) for row in rows]

    questions = run_in_transaction(fetch)
    topics = gap_topics(questions, limit=limit)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "days": days,
                    "questions": len(questions),
                    "topics": [
                        {
                            "topic": t.word,
                            "questions": len(t.questions),
                            "languages": dict(t.languages),
                            "examples": [q.text for q in t.questions[:3]],
                        }
                        for t in topics
                    ],
                },
                ensure_ascii=False,
            )
        )
        return
    if not questions:
        click.echo(f"no unanswered questions in the last {days} days")
        return
    click.echo(f"{len(questions)} questions without a good answer in the last {days} days")
    click.echo(f"{'topic':<20} {'count':>5}  languages          example")
    for topic in topics:
        languages = ", ".join(f"{code} {n}" for code, n in topic.languages.most_common(3))
        example = topic.questions[0].text.replace("\n", " ")
        example = example if len(example) <= 60 else example[:57] + "..."
        click.echo(
            f"{topic.word or '(no clear word)':<20} {len(topic.questions):>5}  "
            f"{languages:<18} {example}"
        )


@report_group.command("usage")
@click.option(
    "--weeks",
    type=click.IntRange(1, 520),
    default=12,
    show_default=True,
    help="Look at this many weeks back (this week included).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def report_usage(weeks: int, as_json: bool) -> None:
    """Count searches and opened services per service, language, week and deep-link source."""
    settings = settings_or_exit()
    today = datetime.now(settings.zone).date()
    since = today - timedelta(days=today.weekday() + 7 * (weeks - 1))

    async def fetch(session: AsyncSession) -> list[dict[str, object]]:
        rows = await queries.usage_since(session, since)
        return [
            {
                "week": row.week.isoformat(),
                "kind": row.kind,
                "service": row.service_id,
                "language": row.language,
                "source": row.source,
                "count": row.count,
            }
            for row in rows
        ]

    rows = run_in_transaction(fetch)
    if as_json:
        click.echo(json.dumps({"since": since.isoformat(), "rows": rows}, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"nothing counted since {since.isoformat()}")
        return
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        totals[(str(row["kind"]), str(row["service"]) or "(no good answer)")] += int(row["count"])  # type: ignore[call-overload]
    click.echo(f"since {since.isoformat()} (week of Monday)")
    click.echo(f"{'week':<11} {'kind':<7} {'service':<26} {'lang':<6} {'source':<14} {'count':>6}")
    for row in rows:
        click.echo(
            f"{row['week']!s:<11} {row['kind']!s:<7} {row['service'] or '(no good answer)'!s:<26} "
            f"{row['language']!s:<6} {row['source'] or '-'!s:<14} {row['count']!s:>6}"
        )
    click.echo("\ntotals")
    for (kind, service), count in sorted(totals.items(), key=lambda item: -item[1]):
        click.echo(f"  {kind:<7} {service:<26} {count:>6}")


_ANSWER_NAMES = {
    "danger": "in danger now",
    "later": "needs help, not now",
    "ok": "OK",
    "none": "no answer",
}


def _feedback_line(item: Feedback) -> str:
    text = (item.text or "(text no longer kept)").replace("\n", " ")
    text = text if len(text) <= 90 else text[:87] + "..."
    said = item.level + (f" {item.category}" if item.category else "")
    who = _ANSWER_NAMES.get(item.answer or "", item.source) if item.kind == "asked" else item.source
    return f"  {item.at[:16]}  {item.language:<6} {said:<24} {who:<20} {text}"


@report_group.command("triage")
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=90,
    show_default=True,
    help="Look at feedback from this many days back.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a list.")
def report_triage(days: int, as_json: bool) -> None:
    """List triage's misses and false alarms from real use, and answers to "are you safe?".

    Texts are scrubbed of names, numbers and addresses and carry no resident: add them,
    reworded, to the corpus and the vocabulary (see catalogue/triage/README.md).
    """
    since = datetime.now(UTC) - timedelta(days=days)

    async def fetch(session: AsyncSession) -> list[Feedback]:
        rows = await triage_feedback.since(session, since)
        return [
            Feedback(row.at.isoformat(), row.kind, row.source, row.answer, row.language,
                     row.level, row.category, row.text)
            for row in rows
        ]

    report = triage_report(run_in_transaction(fetch))
    if as_json:
        click.echo(
            json.dumps(
                {
                    "days": days,
                    "missed": [vars(f) for f in report.missed],
                    "false_alarms": [vars(f) for f in report.false_alarms],
                    "answers": report.answers,
                    "asked": [vars(f) for f in report.asked],
                },
                ensure_ascii=False,
            )
        )
        return
    click.echo(f"Triage feedback from the last {days} days")
    click.echo(f"\nMissed (it was urgent; triage said calm, or only asked): {len(report.missed)}")
    for item in report.missed:
        click.echo(_feedback_line(item))
    click.echo(f"\nFalse alarms (staff marked an urgent case not urgent): "
               f"{len(report.false_alarms)}")
    for item in report.false_alarms:
        click.echo(_feedback_line(item))
    counts = ", ".join(f"{_ANSWER_NAMES[a]} {n}" for a, n in report.answers.items())
    click.echo(f"\nAnswers to \"Are you safe right now?\": {counts}")
    for item in report.asked:
        click.echo(_feedback_line(item))
    if not (report.missed or report.false_alarms or report.asked):
        click.echo("\nNothing to learn from yet.")


_FACE_NAMES = {
    "1": "very bad",
    "2": "bad",
    "3": "okay",
    "4": "good",
    "5": "very good",
    "call": "call me",
}


@report_group.command("checkins")
@click.option(
    "--weeks",
    type=click.IntRange(1, 520),
    default=12,
    show_default=True,
    help="Look at check-ins sent this many weeks back.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def report_checkins(weeks: int, as_json: bool) -> None:
    """Answer rates and answers per week, language and plan; the year-later answers.

    Counts only, no identities; the words kept from the last ("did you get what you
    needed?") step are scrubbed of personal numbers like kept questions.
    """
    from storage import checkins

    settings = settings_or_exit()
    plans = settings.checkin_plans()
    since = datetime.now(UTC) - timedelta(weeks=weeks)

    async def fetch(session: AsyncSession) -> tuple[list[checkins.ReportRow], int]:
        return await checkins.report_rows(session, since), await checkins.count_live(session)

    rows, live = run_in_transaction(fetch)

    def group(key: str) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in rows:
            cell = table[str(getattr(row, key))]
            cell["sent"] += 1
            if row.answer is not None or row.words is not None:
                cell["answered"] += 1
            cell[row.answer or ("words" if row.words else "none")] += 1
        return {name: dict(counts) for name, counts in sorted(table.items())}

    def is_last(row: checkins.ReportRow) -> bool:
        plan = plans.get(row.plan)
        return plan is not None and row.step == len(plan.steps) - 1

    last = [row for row in rows if is_last(row)]
    year_later = {
        "sent": len(last),
        "answers": {
            _FACE_NAMES.get(a, a): sum(1 for row in last if row.answer == a) for a in _FACE_NAMES
        },
        "words": [row.words for row in last if row.words],
    }
    report = {
        "weeks": weeks,
        "plans_running": live,
        "sent": len(rows),
        "answered": sum(1 for row in rows if row.answer is not None or row.words is not None),
        "by_week": group("week"),
        "by_language": group("locale"),
        "by_plan": group("plan"),
        "year_later": year_later,
    }
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    click.echo(f"Check-ins in the last {weeks} weeks ({live} plans running or paused)")
    if not rows:
        click.echo("no check-ins were sent in that time")
        return
    rate = report["answered"] / len(rows)  # type: ignore[operator]
    click.echo(f"sent {len(rows)}, answered {report['answered']} ({rate:.0%})")
    columns = ["1", "2", "3", "4", "5", "call", "words", "none"]
    header = " ".join(f"{_FACE_NAMES.get(c, c):>9}" for c in columns)
    for title, key in (("week (Monday)", "by_week"), ("language", "by_language"),
                       ("plan", "by_plan")):
        click.echo(f"\n{title:<18} {'sent':>5} {'answered':>9} {header}")
        table = report[key]
        assert isinstance(table, dict)
        for name, counts in table.items():
            cells = " ".join(f"{counts.get(c, 0):>9}" for c in columns)
            click.echo(f"{name:<18} {counts['sent']:>5} {counts.get('answered', 0):>9} {cells}")
    click.echo(f"\nThe year-later question: sent {len(last)}")
    for name, count in year_later["answers"].items():  # type: ignore[attr-defined]
        click.echo(f"  {name:<10} {count:>5}")
    for words in year_later["words"]:  # type: ignore[attr-defined]
        click.echo(f"  - {words}")
