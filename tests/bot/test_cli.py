"""The ``nara`` command line: help, staff management and reports, on a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = [
    "run",
    "sandbox",
    "db upgrade",
    "staff add",
    "staff list",
    "staff remove",
    "staff invite",
    "staff handover",
    "staff hours",
    "search",
    "triage",
    "catalogue check",
    "report gaps",
    "report triage",
    "report usage",
    "report checkins",
    "bookings",
    "checkins offer",
]


def nara(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        cwd=Path(__file__).resolve().parents[2],
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("NARA_")}
    values["NARA_DATA_DIR"] = str(tmp_path)
    return values


def test_help_lists_every_command_on_one_line_each(env: dict[str, str]) -> None:
    result = nara("--help", env=env)
    assert result.returncode == 0
    section = result.stdout.split("Commands:")[1].strip().splitlines()
    listed = {
        " ".join(line.split()[:2])
        if line.split()[0] in ("db", "staff", "catalogue", "report", "checkins")
        else line.split()[0]
        for line in section
    }
    assert listed == set(COMMANDS)
    assert len(section) == len(COMMANDS), "each command on exactly one line"


def test_staff_can_be_added_listed_and_removed(env: dict[str, str]) -> None:
    added = nara(
        "staff",
        "add",
        "--telegram-id",
        "4242",
        "--name",
        "Sara Lind",
        "--role",
        "supervisor",
        env=env,
    )
    assert added.returncode == 0, added.stderr
    listing = nara("staff", "list", env=env)
    assert (
        "4242" in listing.stdout
        and "supervisor" in listing.stdout
        and "Sara Lind" in listing.stdout
    )
    bad_role = nara("staff", "add", "--telegram-id", "1", "--name", "X", "--role", "boss", env=env)
    assert bad_role.returncode == 2 and "boss" in bad_role.stderr
    assert nara("staff", "remove", "--telegram-id", "4242", env=env).returncode == 0
    assert nara("staff", "remove", "--telegram-id", "4242", env=env).returncode == 1
    assert "Sara Lind" not in nara("staff", "list", env=env).stdout
    assert "removed" in nara("staff", "list", "--all", env=env).stdout


def test_reports_start_empty_and_speak_json(env: dict[str, str]) -> None:
    gaps = nara("report", "gaps", "--json", env=env)
    assert gaps.returncode == 0, gaps.stderr
    assert json.loads(gaps.stdout)["questions"] == 0
    usage = nara("report", "usage", "--weeks", "4", "--json", env=env)
    assert json.loads(usage.stdout)["rows"] == []


def test_db_upgrade_reports_the_newest_migration(env: dict[str, str]) -> None:
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    result = nara("db", "upgrade", env=env)
    assert result.returncode == 0
    assert result.stdout.strip() == f"database is at migration {head}"


def test_report_triage_lists_misses_false_alarms_and_answers(
    env: dict[str, str], tmp_path: Path
) -> None:
    import asyncio
    from datetime import UTC, datetime

    from storage import triage_feedback
    from storage.db import Database

    assert nara("db", "upgrade", env=env).returncode == 0
    now = datetime.now(UTC)

    async def keep() -> None:
        database = Database(f"sqlite+aiosqlite:///{tmp_path}/nara.db")
        try:
            async with database.session() as session, session.begin():
                for kind, source, answer, level, text in (
                    ("missed", "resident", None, "calm", "jag har inget att äta idag"),
                    ("false-alarm", "staff", None, "urgent", "kön dödar mig 😂"),
                    ("asked", "resident", "danger", "ask", "vill bara sova länge"),
                    ("asked", "timer", "none", "ask", None),
                ):
                    await triage_feedback.record(
                        session, kind=kind, source=source, answer=answer, language="sv",
                        level=level, category="no-food", text=text, now=now,
                    )
        finally:
            await database.close()

    asyncio.run(keep())
    listing = nara("report", "triage", env=env)
    assert listing.returncode == 0, listing.stderr
    missed, false_alarms, answers = listing.stdout.split("\n\n")[1:4]
    assert "Missed" in missed and "inget att äta" in missed and "vill bara sova" in missed
    assert "False alarms" in false_alarms and "kön dödar mig" in false_alarms
    assert "in danger now 1" in answers and "no answer 1" in answers and "OK 0" in answers
    as_json = json.loads(nara("report", "triage", "--json", env=env).stdout)
    assert [f["text"] for f in as_json["missed"]] == [
        "jag har inget att äta idag", "vill bara sova länge"
    ]
    assert as_json["answers"] == {"danger": 1, "later": 0, "ok": 0, "none": 1}
