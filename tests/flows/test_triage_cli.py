"""``nara triage``: the contract's JSON, batches from stdin, readable output, --lang errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from tests.vocabulary import vocabulary_with


def test_json_has_exactly_the_contract_shape() -> None:
    result = CliRunner().invoke(main, ["triage", "he said he will kill me", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"urgent": True, "category": "violence",
                                         "language": "en", "level": "urgent"}


def test_lang_is_used_as_given() -> None:
    result = CliRunner().invoke(main, ["triage", "hej", "--lang", "fa_AF", "--json"])
    assert json.loads(result.output) == {
        "urgent": False, "category": None, "language": "fa_AF", "level": "calm"
    }


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


def test_nara_triage_uses_the_vocabulary_in_NARA_TRIAGE(tmp_path: Path) -> None:
    folder = vocabulary_with(tmp_path, "no-food", "kylskåpet ekar tomt")
    text = "kylskåpet ekar tomt igen"
    shipped = CliRunner().invoke(main, ["triage", text, "--lang", "sv", "--json"])
    edited = CliRunner().invoke(main, ["triage", text, "--lang", "sv", "--json"],
                                env={"NARA_TRIAGE": str(folder)})
    assert json.loads(shipped.output)["urgent"] is False, shipped.output
    assert json.loads(edited.output)["category"] == "no-food", edited.output


def test_a_broken_vocabulary_is_named_not_a_traceback(tmp_path: Path) -> None:
    folder = vocabulary_with(tmp_path, "no-food", "{tomt|inget i kylen")
    result = CliRunner().invoke(main, ["triage", "hej", "--json"], env={"NARA_TRIAGE": str(folder)})
    assert result.exit_code != 0
    assert "sv.yaml" in result.output and "unclosed brace" in result.output
    assert "Traceback" not in result.output
