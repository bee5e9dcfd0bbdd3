"""The shell of Nära: Telegram wiring, HTTP server, command line and translations."""
