"""The errors the Bot API answers with, worded exactly as Telegram words them."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A failed Bot API call: the HTTP status and Telegram's description.

    Args:
        error_code: The HTTP status, also sent as ``error_code`` in the body.
        description: Telegram's text, e.g. ``"Bad Request: chat not found"``.
        retry_after: Seconds to wait; only for 429, sent as ``parameters.retry_after``.
    """

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        """Return the response body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(text: str) -> ApiError:
    """Return a 400 error; ``text`` is what follows ``Bad Request:``."""
    return ApiError(400, f"Bad Request: {text}")


def forbidden(text: str) -> ApiError:
    """Return a 403 error; ``text`` is what follows ``Forbidden:``."""
    return ApiError(403, f"Forbidden: {text}")


def conflict(text: str) -> ApiError:
    """Return a 409 error; ``text`` is what follows ``Conflict:``."""
    return ApiError(409, f"Conflict: {text}")


def too_many_requests(retry_after: int) -> ApiError:
    """Return Telegram's flood-wait error asking to retry after ``retry_after`` seconds."""
    retry_after = max(1, int(retry_after))
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def not_found() -> ApiError:
    """Return the 404 Telegram gives for malformed tokens and unknown methods."""
    return ApiError(404, "Not Found")


def unauthorized() -> ApiError:
    """Return the 401 Telegram gives for well-formed but unknown tokens."""
    return ApiError(401, "Unauthorized")


class EntityParseError(ValueError):
    """Text markup (HTML, MarkdownV2, Markdown) that Telegram refuses to parse.

    The message is tdlib's, e.g. ``Unsupported start tag "x" at byte offset 0``; the Bot API
    turns it into ``Bad Request: can't parse entities: ...``.
    """
