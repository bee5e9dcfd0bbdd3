"""Flood limits and injected faults: the two ways a real Bot API call fails for no fault of ours.

Both are deterministic so tests can rely on them: rate limits run on an injectable monotonic
clock, and random faults on a seeded generator.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from tgserver.errors import ApiError, too_many_requests

# Methods that put or change a message in a chat; these are what Telegram's flood control counts.
MESSAGE_METHODS = frozenset(
    {
        "sendmessage", "sendphoto", "senddocument", "sendsticker", "sendvoice", "sendaudio",
        "sendvideo", "sendanimation", "sendvideonote", "sendlocation", "sendvenue",
        "sendcontact", "senddice", "sendpoll", "sendmediagroup", "copymessage",
        "forwardmessage", "copymessages", "forwardmessages", "editmessagetext",
        "editmessagecaption", "editmessagemedia", "editmessagereplymarkup",
    }
)


@dataclass
class RateLimits:
    """Telegram's documented flood limits; off unless ``enabled``.

    Attributes:
        enabled: Whether calls are limited at all.
        per_bot_per_second: Messages a bot may send per second across all chats.
        per_chat_per_second: Sustained messages per second in one chat.
        per_chat_burst: Messages a chat tolerates in a burst before the per-second rate applies.
        per_group_per_minute: Messages per minute in one group or supergroup.
    """

    enabled: bool = False
    per_bot_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    per_group_per_minute: int = 20

    def to_json(self) -> dict[str, Any]:
        """Return the settings as a JSON object."""
        return asdict(self)


@dataclass
class _Bucket:
    capacity: float
    rate: float  # tokens per second
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self) -> float:
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class _Window:
    """At most ``limit`` sends in any ``period`` seconds (Telegram's "20 per minute")."""

    limit: int
    period: float
    times: deque[float] = field(default_factory=deque)

    def wait_time(self, now: float) -> float:
        while self.times and self.times[0] <= now - self.period:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[0] + self.period - now


class RateLimiter:
    """Flood control per bot, per chat and per group, as Telegram's behaves.

    A bot and a chat get token buckets (a short burst, then a steady rate); a group gets a
    sliding window, since Telegram states its limit as messages per minute.

    Args:
        limits: The limits; change them at any time through :attr:`limits`.
        clock: A monotonic clock in seconds; tests pass a fake one.
    """

    def __init__(self, limits: RateLimits | None = None, clock: Callable[[], float] | None = None):
        import time

        self.limits = limits or RateLimits()
        self.clock = clock or time.monotonic
        self._buckets: dict[tuple[Any, ...], _Bucket] = {}
        self._windows: dict[tuple[Any, ...], _Window] = {}

    def reset(self) -> None:
        """Forget all spent quota."""
        self._buckets.clear()
        self._windows.clear()

    def _bucket(self, key: tuple[Any, ...], capacity: float, rate: float, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None or bucket.capacity != capacity or bucket.rate != rate:
            bucket = _Bucket(capacity, rate, capacity, now)
            self._buckets[key] = bucket
        bucket.refill(now)
        return bucket

    def spend(self, bot_id: int, chat_id: int, *, is_group: bool) -> None:
        """Spend one message of quota, or refuse the call like Telegram.

        Raises:
            ApiError: 429 ``Too Many Requests: retry after N`` when a limit is exceeded; no
                quota is spent then.
        """
        limits = self.limits
        if not limits.enabled:
            return
        now = self.clock()
        buckets = [
            self._bucket(
                ("bot", bot_id), limits.per_bot_per_second, limits.per_bot_per_second, now
            ),
            self._bucket(
                ("chat", bot_id, chat_id),
                float(limits.per_chat_burst),
                limits.per_chat_per_second,
                now,
            ),
        ]
        window = None
        if is_group:
            key = ("group", bot_id, chat_id)
            window = self._windows.get(key)
            if window is None or window.limit != int(limits.per_group_per_minute):
                window = self._windows[key] = _Window(int(limits.per_group_per_minute), 60.0)
        wait = max(bucket.wait_time() for bucket in buckets)
        if window is not None:
            wait = max(wait, window.wait_time(now))
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait - 1e-9)))
        for bucket in buckets:
            bucket.tokens -= 1
        if window is not None:
            window.times.append(now)


_FAULT_TEXTS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                504: "Gateway Timeout"}


@dataclass
class FaultRule:
    """One injected fault.

    Attributes:
        method: Lower-case Bot API method it applies to, or None for any method.
        count: How many calls it still affects; None for every call until cleared.
        status: HTTP status to answer (500, 502, 429...), or None to only delay.
        retry_after: For 429: the ``retry_after`` to send.
        delay: Seconds to wait before answering.
        lose_response: Let the call take effect and fail only the answer, like a response lost
            on the way back; by default a faulted call has no effect.
    """

    method: str | None = None
    count: int | None = 1
    status: int | None = 500
    retry_after: int | None = None
    delay: float = 0.0
    lose_response: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the rule as a JSON object."""
        return asdict(self)

    def error(self) -> ApiError | None:
        """Return the error this rule answers with, if it answers with one."""
        if self.status is None:
            return None
        if self.status == 429:
            return too_many_requests(self.retry_after or 1)
        return ApiError(self.status, _FAULT_TEXTS.get(self.status, "Internal Server Error"))


@dataclass
class Fault:
    """What to do to one call: wait ``delay`` seconds, then fail with ``error`` (if any)."""

    delay: float = 0.0
    error: ApiError | None = None
    lose_response: bool = False


@dataclass
class Faults:
    """Deterministic fault injection for Bot API calls.

    Rules are consulted in order; the first matching rule with calls left applies. After the
    rules, a seeded random failure rate applies to the methods it covers.
    """

    rules: list[FaultRule] = field(default_factory=list)
    fail_rate: float = 0.0
    fail_status: int = 500
    seed: int | None = None
    # Methods the random failure rate spares; long polling failing at random only slows tests.
    spared: frozenset[str] = frozenset({"getupdates"})
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def fail_next(
        self, method: str | None = None, *, count: int = 1, status: int = 500,
        lose_response: bool = False,
    ) -> FaultRule:
        """Make the next ``count`` calls of ``method`` (any method if None) fail with ``status``."""
        return self.add(FaultRule(_lower(method), count, status, lose_response=lose_response))

    def throttle_next(
        self, method: str | None = None, *, retry_after: int = 1, count: int = 1
    ) -> FaultRule:
        """Make the next ``count`` calls answer 429 with ``retry_after``."""
        return self.add(FaultRule(_lower(method), count, 429, retry_after=retry_after))

    def delay(self, method: str | None, seconds: float, *, count: int | None = None) -> FaultRule:
        """Delay calls of ``method`` by ``seconds`` (``count`` calls, or all until cleared)."""
        return self.add(FaultRule(_lower(method), count, None, delay=seconds))

    def add(self, rule: FaultRule) -> FaultRule:
        """Append a rule."""
        rule.method = _lower(rule.method)
        self.rules.append(rule)
        return rule

    def set_fail_rate(self, rate: float, *, seed: int | None = None, status: int = 500) -> None:
        """Fail a fraction ``rate`` of calls at random, reproducibly for a given ``seed``."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("fail rate must be between 0 and 1")
        self.fail_rate = rate
        self.fail_status = status
        self.seed = seed
        # Reproducible on purpose (seeded), so not a cryptographic generator.
        self._rng = random.Random(seed)  # noqa: S311

    def clear(self) -> None:
        """Remove every rule and the random failure rate."""
        self.rules.clear()
        self.fail_rate = 0.0

    def take(self, method: str) -> Fault | None:
        """Return the fault for one call of ``method`` (lower-case), spending a rule's count."""
        for rule in self.rules:
            if rule.method not in (None, method):
                continue
            if rule.count is not None:
                if rule.count <= 0:
                    continue
                rule.count -= 1
            self.rules = [r for r in self.rules if r.count is None or r.count > 0]
            return Fault(rule.delay, rule.error(), rule.lose_response)
        if self.fail_rate > 0 and method not in self.spared and self._rng.random() < self.fail_rate:
            return Fault(0.0, FaultRule(status=self.fail_status).error())
        return None

    def to_json(self) -> dict[str, Any]:
        """Return the current rules and random failure settings."""
        return {
            "rules": [rule.to_json() for rule in self.rules],
            "fail_rate": self.fail_rate,
            "fail_status": self.fail_status,
            "seed": self.seed,
        }


def _lower(method: str | None) -> str | None:
    return method.lower() if method else None
