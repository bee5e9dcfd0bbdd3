"""The shell of Nära: Telegram wiring, HTTP server, command line and translations."""

import os

# PTB 22 gives RetryAfter.retry_after as a timedelta when asked to (the future default).
os.environ.setdefault("PTB_TIMEDELTA", "1")
