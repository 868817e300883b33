"""Progress of long local work on a terminal: documents, rate and ETA on one line, redrawn every second.

Workers count what they read (`Progress.get().tick()`, `done_bytes()`) and, when the launcher asked for
progress, write their counts to a small file in a directory named by CURATE_PROGRESS_DIR (inherited by
the local runner's worker processes). The launcher's `Monitor` thread sums those files and draws the line.
Nothing is shown when stderr is not a terminal (piped, redirected) or in CI (the CI variable is set), and
remote workers never have the variable: they count and write nothing.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ENV = "CURATE_PROGRESS_DIR"
WRITE_EVERY_S = 1.0


class Progress:
    """A worker process's counts, written to its file at most once per WRITE_EVERY_S."""

    _instance: Progress | None = None
    _lock = threading.Lock()

    def __init__(self, directory: str | None):
        self.directory = directory
        self.path = Path(directory) / f"{os.getpid()}-{id(self)}.json" if directory else None
        self.records = self.bytes = 0
        self.last = 0.0

    @classmethod
    def get(cls) -> Progress:
        with cls._lock:
            directory = os.environ.get(ENV)
            if cls._instance is None or cls._instance.directory != directory:
                cls._instance = cls(directory)
            return cls._instance

    def tick(self, records: int = 1) -> None:
        self.records += records
        self._maybe_write()

    def done_bytes(self, size: int) -> None:
        """Input bytes finished (a read task's size when it ends)."""
        self.bytes += size
        self._maybe_write(force=True)

    def _maybe_write(self, force: bool = False) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if force or now - self.last >= WRITE_EVERY_S:
            self.last = now
            temp = self.path.with_suffix(".tmp")
            try:
                temp.write_text(json.dumps({"records": self.records, "bytes": self.bytes}))
                temp.replace(self.path)
            except OSError:  # the launcher removed the directory: the run is over
                self.path = None


def wanted(stream=None) -> bool:
    """Progress is drawn on an interactive terminal outside CI only."""
    stream = stream or sys.stderr
    return stream.isatty() and not os.environ.get("CI")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return (
        f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
        if seconds >= 3600
        else f"{seconds // 60}m{seconds % 60:02d}s"
    )


def line(records: int, done: int, total: int, elapsed: float, unit: str = "documents read") -> str:
    """`records` so far, their rate, and the share of `total` done with an ETA (by bytes or records)."""
    rate = records / elapsed if elapsed > 0 else 0.0
    text = f"{records:,} {unit} ({rate:,.0f}/s)"
    if total:
        share = min(done / total, 1.0)
        if share >= 1:
            text += ", all read: global steps and writing"
        else:
            eta = f", ETA {_duration(elapsed * (1 - share) / share)}" if share > 0 else ""
            text += f", {share:.0%} of the input{eta}"
    return text + f", {_duration(elapsed)} elapsed"


class Monitor:
    """Context manager: while the body runs, sums the workers' files and redraws the progress line.
    `total_bytes` gives an ETA from finished input bytes; `total_records` from records."""

    def __init__(
        self, total_bytes: int = 0, total_records: int = 0, unit: str = "documents read", stream=None
    ):
        self.total_bytes, self.total_records, self.unit = total_bytes, total_records, unit
        self.stream = stream or sys.stderr
        self.active = wanted(self.stream)
        self._stop = threading.Event()

    def __enter__(self) -> Monitor:
        if self.active:
            self.directory = tempfile.mkdtemp(prefix="curate-progress-")
            self._previous = os.environ.get(ENV)
            os.environ[ENV] = self.directory
            self.started = time.monotonic()
            self._thread = threading.Thread(target=self._draw, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if not self.active:
            return
        self._stop.set()
        self._thread.join()
        self.stream.write("\r\033[K")
        self.stream.flush()
        if self._previous is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = self._previous
        for path in Path(self.directory).glob("*"):
            path.unlink(missing_ok=True)
        os.rmdir(self.directory)

    def counts(self) -> tuple[int, int]:
        records = size = 0
        for path in Path(self.directory).glob("*.json"):
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError):  # being replaced
                continue
            records, size = records + data["records"], size + data["bytes"]
        return records, size

    def _draw(self) -> None:
        while not self._stop.wait(1.0):
            records, size = self.counts()
            done, total = (size, self.total_bytes) if self.total_bytes else (records, self.total_records)
            self.stream.write(
                "\r\033[K" + line(records, done, total, time.monotonic() - self.started, self.unit)
            )
            self.stream.flush()
