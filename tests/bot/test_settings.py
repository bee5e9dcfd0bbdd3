"""Configuration: defaults, and one clear line naming the variable when something is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.settings import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("NARA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_match_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARA_DATA_DIR", "/srv/nara")
    settings = load_settings()
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.database == "sqlite+aiosqlite:////srv/nara/nara.db"
    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 8080)
    assert settings.timezone == "Europe/Stockholm"
    assert settings.webhook_url is None and settings.staff_chat_id is None


def test_a_generated_webhook_secret_is_stable_and_telegram_shaped() -> None:
    import re

    settings = load_settings()
    assert settings.secret == settings.secret
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", settings.secret)


def test_a_missing_token_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^NARA_TELEGRAM_TOKEN: "):
        load_settings().token  # noqa: B018


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NARA_HTTP_PORT", "eighty"),
        ("NARA_HTTP_PORT", "70000"),
        ("NARA_TIMEZONE", "Mars/Olympus"),
        ("NARA_TELEGRAM_TOKEN", "not a token"),
        ("NARA_TELEGRAM_API_URL", "ftp://example.org"),
        ("NARA_DATABASE_URL", "sqlite:///sync-driver.db"),
        ("NARA_WEBHOOK_URL", "http://example.org/hook"),
        ("NARA_WEBHOOK_SECRET", "has spaces in it"),
        ("NARA_STAFF_CHAT_ID", "staff"),
        ("NARA_CATALOGUE", "/no/such/catalogue.yaml"),
        ("NARA_OFFICE_HOURS", "all day"),
        ("NARA_TRIAGE", "/no/such/folder"),
    ],
)
def test_each_invalid_value_names_its_variable_and_not_its_value(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{name}: ")
    assert "\n" not in message
    if name in ("NARA_TELEGRAM_TOKEN", "NARA_WEBHOOK_SECRET"):
        assert value not in message


def test_nara_run_stops_with_one_line_and_exit_code_2(tmp_path: object) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("NARA_")}
    env["NARA_HTTP_PORT"] = "not-a-port"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 2
    expected = "nara: NARA_HTTP_PORT: Input should be a valid integer, unable to parse string as an integer"
    assert result.stderr.strip().splitlines() == [expected]
    assert "Traceback" not in result.stderr


def test_nara_run_without_a_token_says_so(tmp_path: object) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("NARA_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.startswith("nara: NARA_TELEGRAM_TOKEN: is required")


def test_a_broken_triage_vocabulary_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "sv.yaml").write_text("language: sv\nurgent: {self-harm: ['{vill|dö']}\n")
    settings = load_settings(triage=tmp_path)
    with pytest.raises(ConfigError) as caught:
        settings.vocabulary()
    message = str(caught.value)
    assert message.startswith("NARA_TRIAGE: ") and "sv.yaml" in message and "\n" not in message


@pytest.mark.parametrize("command", ["run", "sandbox"])
@pytest.mark.parametrize("variable", ["NARA_TRIAGE", "NARA_CATALOGUE"])
def test_a_broken_data_file_stops_run_and_sandbox_with_one_line(
    tmp_path: Path, command: str, variable: str
) -> None:
    import os

    broken = tmp_path / "triage"
    broken.mkdir()
    (broken / "sv.yaml").write_text("language: sv\nurgent: {self-harm: [vill dö]}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARA_")}
    env.update({"NARA_TELEGRAM_TOKEN": "123:ABCdef", "NARA_DATA_DIR": str(tmp_path / "data"),
                "NARA_HTTP_PORT": "0"})
    env[variable] = str(broken if variable == "NARA_TRIAGE" else broken / "sv.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "bot", command], capture_output=True, text=True, env=env,
        cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"nara: {variable}: ") and "sv.yaml" in line
