"""PTB's HTTP layer on aiohttp, which we already run for our own server.

PTB talks to the Bot API through a replaceable request class (``BaseRequest``); its
default is built on httpx, whose connection pool re-checks every pooled connection on
each request and response. With several calls under way at once that bookkeeping
cost more CPU than handling the update itself (see bench/throughput.py), so the
bot's calls go through an aiohttp session instead.
"""

from __future__ import annotations

from typing import Final

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DEFAULT_READ_TIMEOUT: Final = 10.0
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
DEFAULT_WRITE_TIMEOUT: Final = 10.0


class AiohttpRequest(BaseRequest):
    """Sends PTB's requests with one pooled aiohttp session."""

    def __init__(self, *, connections: int = 8, read_timeout: float = DEFAULT_READ_TIMEOUT) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when a call does not give its own."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (once)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return Telegram's status code and body."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            DEFAULT_CONNECT_TIMEOUT
            if isinstance(connect_timeout, DefaultValue)
            else connect_timeout
        )
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
        body: dict[str, str] | aiohttp.FormData | None = (
            request_data.json_parameters if request_data is not None else None
        )
        if request_data is not None and request_data.contains_files:
            # A booked call's calendar file: multipart, as Telegram wants uploads.
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (file_name, content, mime_type) in request_data.multipart_data.items():
                form.add_field(name, content, filename=file_name, content_type=mime_type)
            body = form
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
