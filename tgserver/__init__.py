"""tgserver: a local Telegram-compatible Bot API server with a control API for tests.

The bot under test talks to it exactly as to Telegram (``base_url=f"{root}/bot"``); tests and
the browser sandbox play the people through the control API (``/sandbox/api/``) or
:class:`~tgserver.client.SandboxClient`.
"""

from tgserver.botapi import create_app, setup_routes
from tgserver.client import SandboxClient, SandboxError, SandboxTimeout
from tgserver.world import World, WorldError

__all__ = [
    "SandboxClient",
    "SandboxError",
    "SandboxTimeout",
    "World",
    "WorldError",
    "create_app",
    "setup_routes",
]
