"""``python -m bot`` is the same as the ``nara`` command."""

from bot.cli import main

main(prog_name="nara")
