"""Prometheus metrics, one registry per running bot (tests run several in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """What operators watch: updates handled, reply latency, errors and backlog."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "nara_updates_handled",
            "Telegram updates handled, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.reply_latency = Histogram(
            "nara_reply_latency_seconds",
            "From receiving an update to Telegram accepting its reply.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.errors = Counter(
            "nara_errors", "Errors, by where they happened.", ["where"], registry=self.registry
        )
        self.api_failures = Counter(
            "nara_bot_api_failures",
            "Bot API calls that failed, by kind (retried or given up).",
            ["kind"],
            registry=self.registry,
        )
        self.inbox_backlog = Gauge(
            "nara_inbox_backlog", "Stored updates not yet handled.", registry=self.registry
        )
        self.outbox_backlog = Gauge(
            "nara_outbox_backlog", "Bot API calls not yet delivered.", registry=self.registry
        )

    def exposition(self) -> bytes:
        """Return the metrics in Prometheus' text format."""
        return generate_latest(self.registry)
