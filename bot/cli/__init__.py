"""The ``nara`` command line: one module per command group, wired here.

``common`` holds what they share; no module imports this one, so there are no cycles.
"""

from __future__ import annotations

import click

from bot.cli.bookings import bookings_command
from bot.cli.checkins import checkins_group
from bot.cli.common import Commands
from bot.cli.reports import report_group
from bot.cli.search import catalogue_group, search_command
from bot.cli.service import db, run, sandbox
from bot.cli.staff import staff
from bot.cli.triage import triage_command

__all__ = ["main"]


@click.group(
    cls=Commands,
    context_settings={"help_option_names": ["-h", "--help"], "terminal_width": 120},
)
@click.version_option(package_name="nara")
def main() -> None:
    """Nära: the municipality's social services, near you on Telegram."""


for command in (run, sandbox, db, staff, search_command, catalogue_group, triage_command,
                report_group):
    main.add_command(command)
main.add_command(bookings_command)
main.add_command(checkins_group)
