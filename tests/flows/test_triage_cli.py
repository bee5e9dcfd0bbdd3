"""``nara triage``: the contract's JSON, batches from stdin, readable output, --lang errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bot.cli import main


def test_json_has_exactly_the_contract_shape() -> None:
    result = CliRunner().invoke(main, ["triage", "he said he will kill me", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"urgent": True, "category": "violence",
                                         "language": "en"}


def test_lang_is_used_as_given() -> None:
    result = CliRunner().invoke(main, ["triage", "hej", "--lang", "fa_AF", "--json"])
    assert json.loads(result.output) == {"urgent": False, "category": None, "language": "fa_AF"}


def test_dash_reads_one_text_per_line_and_answers_in_order() -> None:
    lines = "we sleep outside tonight\nhur ansöker jag\n\nmin styvpappa tar på mig på natten\n"
    result = CliRunner().invoke(main, ["triage", "-", "--json"], input=lines)
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.output.splitlines()]
    assert [a["category"] for a in answers] == ["homeless-tonight", None, None, "child-at-risk"]
    assert [a["urgent"] for a in answers] == [True, False, False, True]


def test_readable_output_explains_the_decision() -> None:
    urgent = CliRunner().invoke(main, ["triage", "jag vill dö", "--lang", "sv"])
    assert urgent.output.startswith("URGENT self-harm [sv]")
    assert "'vill dö'" in urgent.output
    calm = CliRunner().invoke(main, ["triage", "jag dör av skratt", "--lang", "sv"])
    assert calm.output.startswith("not urgent [sv]")


def test_unknown_lang_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["triage", "hej", "--lang", "xx", "--json"])
    assert result.exit_code == 2
    assert "Invalid value for '--lang'" in result.output
