"""`nara search` and `nara catalogue check` as operators and scripts use them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from flows.catalogue import default_catalogue_path


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.delenv("NARA_CATALOGUE", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout
    return CliRunner()


def test_search_json_is_the_contract_shape(runner: CliRunner) -> None:
    result = runner.invoke(main, ["search", "pengarna räcker inte till mat", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert set(answer) == {"language", "results"}
    assert answer["language"] == "sv"
    first = answer["results"][0]
    assert set(first) == {"id", "score", "title"}
    assert first["id"] == "financial-aid"
    assert isinstance(first["score"], float)
    assert first["title"].startswith("Ekonomiskt bistånd")
    scores = [row["score"] for row in answer["results"]]
    assert scores == sorted(scores, reverse=True)


def test_search_titles_are_in_the_result_language(runner: CliRunner) -> None:
    result = runner.invoke(main, ["search", "LSS", "--lang", "uk", "--limit", "1", "--json"])
    answer = json.loads(result.output)
    assert answer["language"] == "uk"
    assert len(answer["results"]) == 1
    assert "інвалідністю" in answer["results"][0]["title"]


def test_search_reads_one_text_per_line_from_stdin(runner: CliRunner) -> None:
    lines = "pengarna räcker inte till mat\nhur blir vädret imorgon\n\nГрошей не вистачає на їжу\n"
    result = runner.invoke(main, ["search", "-", "--json"], input=lines)
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.output.splitlines()]
    assert len(answers) == 4
    assert answers[0]["results"][0]["id"] == "financial-aid"
    assert answers[2] == {"language": "sv", "results": []}
    assert answers[3]["language"] == "uk"
    assert answers[3]["results"][0]["id"] == "financial-aid"


def test_search_table_explains_and_admits_when_nothing_fits(runner: CliRunner) -> None:
    result = runner.invoke(main, ["search", "min man slår mig", "--explain"])
    assert result.exit_code == 0
    assert "domestic-violence" in result.output
    assert "slår ~" in result.output
    result = runner.invoke(main, ["search", "hur blir vädret imorgon"])
    assert "no service matches" in result.output


def test_unknown_language_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["search", "hej", "--lang", "de", "--json"])
    assert result.exit_code == 2
    assert "Invalid value for '--lang'" in result.output


def test_search_uses_nara_catalogue(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = default_catalogue_path().read_text(encoding="utf-8")
    own = tmp_path / "own.yaml"
    own.write_text(text.replace("pengar till det du behöver för att leva", "pengar att leva på"))
    monkeypatch.setenv("NARA_CATALOGUE", str(own))
    result = runner.invoke(main, ["search", "försörjningsstöd", "--json"])
    assert json.loads(result.output)["results"][0]["title"] == (
        "Ekonomiskt bistånd – pengar att leva på"
    )


def test_catalogue_check_ok(runner: CliRunner) -> None:
    result = runner.invoke(main, ["catalogue", "check"])
    assert result.exit_code == 0
    assert result.output.strip().splitlines() == [
        "OK: 21 services, 8 languages",
        "OK: 3 check-in plans (after-support, continued-contact, after-crisis)",
    ]


def test_catalogue_check_reads_a_broken_plans_file_by_its_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    from flows.checkins import PLAN_FILE

    text = PLAN_FILE.read_text(encoding="utf-8")
    broken = tmp_path / "checkins.yaml"
    step = "      - {after: 2 weeks, message: how-are-things}"
    broken.write_text(text.replace(step, step.replace("2 weeks", "two weeks"), 1), encoding="utf-8")
    result = runner.invoke(main, ["catalogue", "check", str(broken)])
    assert result.exit_code == 1
    line = text.splitlines().index(step) + 1
    assert f"checkins.yaml:{line}:" in result.output


def test_catalogue_check_lists_problems_and_fails(runner: CliRunner, tmp_path: Path) -> None:
    text = default_catalogue_path().read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("situations: [money]\n", "situations: [cash]\n", 1))
    result = runner.invoke(main, ["catalogue", "check", str(broken)])
    assert result.exit_code == 1
    line = text.splitlines().index("    situations: [money]") + 1
    assert f"broken.yaml:{line}: financial-aid: unknown situation 'cash'" in result.output
