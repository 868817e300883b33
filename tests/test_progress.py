"""Progress on a terminal: workers' counts reach the launcher's line through the progress directory; nothing
is drawn (and nothing counted to disk) when stderr is piped or in CI."""

from __future__ import annotations

import os
import time

from pipeline.beam.progress import ENV, Monitor, Progress, line


def _tty():
    """A real pseudo-terminal: (the stream a Monitor writes to, the fd its output is read from)."""
    controller, terminal = os.openpty()
    return os.fdopen(terminal, "w"), controller


def test_a_terminal_gets_documents_rate_share_and_eta(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    stream, controller = _tty()
    with Monitor(total_bytes=4000, stream=stream) as monitor:
        assert os.environ[ENV] == monitor.directory  # inherited by local worker processes
        worker = Progress.get()
        worker.tick(1234)
        worker.done_bytes(1000)
        deadline = time.monotonic() + 20
        drawn = b""
        while b"1,234 documents read" not in drawn and time.monotonic() < deadline:
            time.sleep(0.2)
            drawn += os.read(controller, 65536) if _ready(controller) else b""
    stream.close()
    text = drawn.decode()
    assert "1,234 documents read" in text and "25% of the input" in text and "ETA" in text
    assert ENV not in os.environ and not os.path.exists(monitor.directory)  # cleaned up
    os.close(controller)


def _ready(fd: int) -> bool:
    import select

    return bool(select.select([fd], [], [], 0)[0])


def test_piped_or_ci_output_stays_quiet(monkeypatch, tmp_path):
    piped = (tmp_path / "log").open("w")
    with Monitor(total_bytes=10, stream=piped) as monitor:
        assert not monitor.active and ENV not in os.environ
        Progress.get().tick(5)  # counted in memory only: no directory to write to
        assert Progress.get().path is None
    piped.close()
    assert (tmp_path / "log").read_text() == ""
    monkeypatch.setenv("CI", "true")
    stream, controller = _tty()
    with Monitor(total_bytes=10, stream=stream) as monitor:
        assert not monitor.active
    stream.close()
    os.close(controller)


def test_the_line_reads_well_at_each_phase():
    assert line(500, 0, 0, 10.0) == "500 documents read (50/s), 0m10s elapsed"
    assert (
        line(3000, 50, 200, 60.0) == "3,000 documents read (50/s), 25% of the input, ETA 3m00s, 1m00s elapsed"
    )
    assert line(9000, 200, 200, 4000.0).endswith("all read: global steps and writing, 1h06m elapsed")
