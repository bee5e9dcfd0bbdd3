"""The sandbox: the bot on a local Telegram-compatible server with a chat page."""
