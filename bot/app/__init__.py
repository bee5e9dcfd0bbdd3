"""Running the bot: update pipeline, handlers, timers, polling, webhook server."""
