"""Configuration from ``NARA_*`` environment variables (and an optional ``.env`` file)."""

from __future__ import annotations

import functools
import re
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from flows.catalogue import Catalogue, CatalogueError, default_catalogue_path, load_catalogue
from flows.checkins import Plans, PlansError, QuietHours, load_plans
from flows.helplines import HelplineError, Helplines, default_helplines, load_helplines
from flows.hours import OfficeHours
from flows.language import LOCALES
from flows.triage.classify import ModelError, default_lexicon, read_vocabulary
from flows.triage.lexicon import Lexicon, LexiconError

if TYPE_CHECKING:
    from flows.calls.availability import PublicHolidays

ENV_PREFIX = "NARA_"
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class ConfigError(Exception):
    """A configuration value is missing or invalid; the message names the variable."""


class Settings(BaseSettings):
    """Everything an operator can set. Names match ``NARA_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str | None = None
    staff_chat_id: int | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    http_host: str = "127.0.0.1"
    http_port: Annotated[int, Field(ge=0, le=65535)] = 8080
    timezone: str = "Europe/Stockholm"
    catalogue: Path | None = None
    data_dir: Path = Field(default_factory=lambda: platformdirs.user_data_path("nara"))
    log_level: str = "INFO"
    municipality: str = "Näraby kommun"
    office_hours: str = "08:00-16:00"
    # Pace sends to Telegram's limits (30/s overall, 20/min per group). Off only for benchmarks.
    rate_limit: bool = True
    # How long questions without a good answer are kept for `nara report gaps`.
    question_retention_days: Annotated[int, Field(ge=1, le=3650)] = 90
    # The helplines shown with urgent replies (country-specific numbers).
    helplines: Path | None = None
    # A folder of triage vocabulary files (one per language), if not the shipped one.
    triage: Path | None = None
    # An urgent case nobody claimed is sent again, to on-call staff, after this long;
    # after as long again the resident is reminded of 112.
    escalation_minutes: Annotated[float, Field(gt=0, le=1440)] = 5.0
    # Telegram chat ids (people or groups) that get escalated cases, comma-separated.
    on_call_chat_ids: str = ""
    # The language of staff notifications.
    staff_locale: str = "sv"
    # The municipality's country (ISO code): its public holidays are days off for booking.
    country: str = "SE"
    # The check-in plans staff can offer (catalogue/checkins.yaml if unset).
    checkins: Path | None = None
    # No check-in is sent in these hours (local time); one due then waits for the morning.
    quiet_hours: str = "21:00-08:00"

    @field_validator("telegram_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN.match(value.get_secret_value()):
            raise ValueError("must look like 123456:ABC-DEF1234 (the token BotFather gave you)")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// (an async driver)"
            )
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        # Telegram only calls HTTPS webhooks; plain HTTP is allowed on this machine for tests.
        if parts.scheme == "https" and parts.netloc:
            return value
        if parts.scheme == "http" and parts.hostname in _LOOPBACK:
            return value
        raise ValueError("must be a public https:// URL")

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be a time zone name such as Europe/Stockholm") from None
        return value

    @field_validator("catalogue")
    @classmethod
    def _catalogue_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @field_validator("helplines")
    @classmethod
    def _helplines_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @field_validator("triage")
    @classmethod
    def _triage_folder(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"no such folder: {value}")
        return value

    @field_validator("on_call_chat_ids")
    @classmethod
    def _chat_ids(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            if not part.lstrip("-").isdigit():
                raise ValueError("must be Telegram chat ids separated by commas, e.g. 123,-100456")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        QuietHours.parse(value)
        return value

    @field_validator("staff_locale")
    @classmethod
    def _staff_locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"must be one of {', '.join(LOCALES)}")
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        # Imported here: the holiday tables take a moment to load, and most commands need none.
        from flows.calls.availability import PublicHolidays

        try:
            return PublicHolidays(value).country
        except ValueError:
            raise ValueError(
                "must be a country code with known public holidays, e.g. SE or FI"
            ) from None

    @field_validator("office_hours")
    @classmethod
    def _office_hours(cls, value: str) -> str:
        OfficeHours.parse(value)
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    @property
    def database(self) -> str:
        """The SQLAlchemy async URL, defaulting to a SQLite file in the data directory."""
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'nara.db'}"

    def services(self) -> Catalogue:
        """Load the support catalogue: NARA_CATALOGUE, or the one shipped with Nära."""
        try:
            return load_catalogue(self.catalogue or default_catalogue_path())
        except CatalogueError as error:
            first = error.problems[0] if error.problems else "unreadable"
            raise ConfigError(f"NARA_CATALOGUE: {first} (run `nara catalogue check`)") from None

    def checkin_plans(self) -> Plans:
        """Load the check-in plans: NARA_CHECKINS, or the ones shipped with Nära."""
        try:
            return _plans_from(self.checkins)
        except PlansError as error:
            first = error.problems[0] if error.problems else "unreadable"
            raise ConfigError(f"NARA_CHECKINS: {first} (run `nara catalogue check`)") from None

    @property
    def quiet(self) -> QuietHours:
        """The hours in which no check-in is sent."""
        return QuietHours.parse(self.quiet_hours)

    @property
    def on_call(self) -> tuple[int, ...]:
        """The chats that get escalated cases."""
        return tuple(int(p) for p in self.on_call_chat_ids.split(",") if p.strip())

    def numbers(self) -> Helplines:
        """Load the helplines: NARA_HELPLINES, or the Swedish ones shipped with Nära."""
        try:
            return load_helplines(self.helplines) if self.helplines else default_helplines()
        except HelplineError as error:
            raise ConfigError(f"NARA_HELPLINES: {error}") from None

    def vocabulary(self) -> Lexicon:
        """Load the triage vocabulary: NARA_TRIAGE, or the one shipped with Nära."""
        try:
            return read_vocabulary(self.triage) if self.triage else default_lexicon()
        except (LexiconError, ModelError) as error:
            first = str(error).splitlines()[0] if str(error) else "unreadable"
            raise ConfigError(f"NARA_TRIAGE: {first} (try `nara triage`)") from None

    @property
    def hours(self) -> OfficeHours:
        """When a person at social services reads messages (weekdays)."""
        return OfficeHours.parse(self.office_hours)

    @property
    def public_holidays(self) -> PublicHolidays:
        """The public holidays of the municipality's country: days off unless someone opens one."""
        from flows.calls.availability import PublicHolidays

        return PublicHolidays(self.country)

    @property
    def zone(self) -> ZoneInfo:
        """The municipality's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def secret(self) -> str:
        """The webhook secret; generated once per settings object when none is configured."""
        if self.webhook_secret is None:
            self.webhook_secret = SecretStr(secrets.token_urlsafe(32))
        return self.webhook_secret.get_secret_value()

    @property
    def token(self) -> str:
        """The bot token; raises :class:`ConfigError` when none is configured."""
        if self.telegram_token is None:
            raise ConfigError(
                "NARA_TELEGRAM_TOKEN: is required to talk to Telegram (get one from @BotFather)"
            )
        return self.telegram_token.get_secret_value()


def describe(error: ValidationError) -> str:
    """Return one line per invalid variable, naming it, without echoing its value."""
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "?"
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"{ENV_PREFIX}{field.upper()}: {message}")
    return "\n".join(lines)


@functools.cache
def _plans_from(path: Path | None) -> Plans:
    # Read once per file: every check-in and press needs them.
    return load_plans(path)


def load_settings(**overrides: object) -> Settings:
    """Read the configuration; raise :class:`ConfigError` naming the variable when it is invalid."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigError(describe(error)) from None


def exit_on_config_error(error: ConfigError) -> NoReturn:
    """Print the configuration problem on one line per variable and exit with code 2."""
    print(f"nara: {error}", file=sys.stderr)
    raise SystemExit(2)
