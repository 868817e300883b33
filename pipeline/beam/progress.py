"""Progress lines for long local runs: each worker process logs its record count every few seconds."""

from __future__ import annotations

import logging
import os
import threading
import time

_LOG = logging.getLogger("curate")


class Progress:
    """A per-process counter that logs at most once per `interval` seconds."""

    _instance: Progress | None = None
    _lock = threading.Lock()

    def __init__(self, interval: float = 15.0):
        self.interval = interval
        self.count = 0
        self.started = self.last = time.monotonic()

    @classmethod
    def get(cls) -> Progress:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def tick(self) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            rate = self.count / (now - self.started)
            _LOG.warning("worker %d: %d records read (%.0f/s)", os.getpid(), self.count, rate)
