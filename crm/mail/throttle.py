"""Protects the relay: at most so many messages per second (in this process) and per hour (across senders)."""

from __future__ import annotations

import time
from collections.abc import Callable


class Throttle:
    """``per_second`` <= 0 or ``per_hour`` <= 0 means no limit of that kind.

    The hourly budget is read from the database (``sent_last_hour``) when a pass starts and every minute, then
    counted down locally, so a sender does not count the deliveries table for every batch.
    """

    REFRESH_SECONDS = 60.0

    def __init__(self, per_second: float, per_hour: int, sent_last_hour: Callable[[], int],
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.per_hour = per_hour
        self._sent_last_hour = sent_last_hour
        self._clock = clock
        self._sleep = sleep
        self._next_slot = clock()
        self._hour_budget: int | None = None
        self._budget_read_at = 0.0

    def hourly_allowance(self) -> int | None:
        """How many more messages may leave now under the hourly limit (None: no limit)."""
        if self.per_hour <= 0:
            return None
        now = self._clock()
        if self._hour_budget is None or now - self._budget_read_at >= self.REFRESH_SECONDS:
            self._hour_budget = max(0, self.per_hour - self._sent_last_hour())
            self._budget_read_at = now
        return self._hour_budget

    def wait(self) -> None:
        """Blocks until the next message may leave under the per-second limit."""
        if self.interval:
            now = self._clock()
            if self._next_slot > now:
                self._sleep(self._next_slot - now)
                now = self._next_slot
            # No credit is saved up while idle: a burst after a pause stays within the rate.
            self._next_slot = max(self._next_slot, now) + self.interval

    def sent(self) -> None:
        if self._hour_budget is not None:
            self._hour_budget = max(0, self._hour_budget - 1)
