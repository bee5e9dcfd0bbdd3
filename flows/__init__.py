"""The core of Nära: what the bot decides. No Telegram and no SQLAlchemy imports here."""
