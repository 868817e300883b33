"""The worker server of local `--workers N` runs: a process that sets the graph's DoFns up once, then forks
one SDK worker per request, so workers start at once and share copy-on-write its modules and the models
loaded once per process (fastText, spaCy, the extraction block model), which the setups froze out of the
garbage collector's sight (`runner.freeze_loaded`). It imports nothing of Beam's at module level: the
launcher starts it before importing Beam, so the server's start overlaps the launcher's.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import traceback
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection

CLOSE_TIMEOUT_S = 60.0
# What the stages' setups import, ~2 s of the server's start (spaCy and presidio 1.5 s, datasketch 0.5 s):
# imported while the launcher builds the graph instead of after it sends the DoFns.
SETUP_IMPORTS = ("pipeline.pii.redactor", "datasketch")
_server: WorkerServer | None = None


def current() -> WorkerServer | None:
    """The server of the `worker_server` block running now, if any."""
    return _server


class WorkerServer:
    """A process that sets the graph's DoFns up once, then forks one SDK worker per request.

    It never touches gRPC before its workers do. It is forked from the launcher while the launcher has not
    loaded gRPC or started a thread (the `curate` command starts it before importing Beam: no interpreter
    to start, no command modules to import again, 0.35 s sooner), spawned as a fresh interpreter otherwise
    (a notebook, a test session, a second run), as a process that has run gRPC cannot be forked safely.
    It starts with the run, so its imports overlap the launcher's graph construction. A worker that
    dies during the run (the out-of-memory killer) would leave FnApiRunner waiting for its answer forever:
    the launcher's main thread is interrupted instead, and `deaths` says what happened."""

    def __init__(self):
        self.deaths: list[str] = []  # workers that ended abnormally, one line each
        self._closing = False
        self._closed = threading.Event()
        forkable = "grpc" not in sys.modules and threading.active_count() == 1
        context = multiprocessing.get_context("fork" if forkable else "spawn")
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(theirs,), name="curate-worker-server")
        self.process.start()
        theirs.close()
        threading.Thread(target=self._listen, name="worker-server-listener", daemon=True).start()

    def warm(self, fns: list) -> None:
        """Sends `fns` (DoFns) to be set up before any worker forks."""
        from apache_beam.internal import pickler

        self.conn.send(("warm", pickler.dumps(fns)))

    def start_worker(self, env: dict[str, str]) -> None:
        self.conn.send(("worker", env))

    def close(self) -> None:
        """Asks the server to wait for its workers and exit; kills the lot if they outlive the run."""
        self._closing = True
        with suppress(OSError):  # the server is already gone
            self.conn.send(("close", None))
        if not self._closed.wait(CLOSE_TIMEOUT_S):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.join()

    def _listen(self) -> None:
        while True:
            try:
                kind, line = self.conn.recv()
            except (EOFError, OSError):
                break
            if kind == "closed":
                break
            self.deaths.append(line)
            if not self._closing and threading.main_thread().is_alive():
                os.kill(os.getpid(), signal.SIGINT)  # wakes the main thread's wait with KeyboardInterrupt
        self._closed.set()


def _serve(conn: Connection) -> None:
    os.setpgid(0, 0)  # the server and its workers: one group, killed together if they hang
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    import apache_beam.runners.worker.sdk_worker_main  # noqa: F401  (imported once, for every worker)

    from pipeline.beam import engine_tuning

    engine_tuning.install()

    for name in SETUP_IMPORTS:
        with suppress(ImportError):  # the setup that needs it reports it
            importlib.import_module(name)

    workers: set[int] = set()
    while True:
        for line in _reap(workers, block=False):
            conn.send(("died", line))
        if not conn.poll(0.5):
            continue
        try:
            kind, payload = conn.recv()
        except EOFError:  # the launcher is gone; its workers end with their control streams
            break
        if kind == "close":
            break
        if kind == "warm":
            _warm(payload)
            continue
        pid = os.fork()
        if pid == 0:
            conn.close()
            _work(payload)
        workers.add(pid)
    with suppress(OSError):
        for line in _reap(workers, block=True):
            conn.send(("died", line))
        conn.send(("closed", None))


def _warm(payload: bytes) -> None:
    from apache_beam.internal import pickler

    try:
        for fn in pickler.loads(payload):
            fn.setup()
    except Exception:  # each worker sets its DoFns up again and reports the failure through Beam
        logging.getLogger(__name__).warning("warming the worker server failed", exc_info=True)


def _reap(workers: set[int], block: bool) -> list[str]:
    """Waits for ended workers; says how each that did not exit cleanly ended."""
    deaths = []
    for pid in list(workers):
        done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
        if not done:
            continue
        workers.discard(done)
        if os.WIFSIGNALED(status):
            name = signal.Signals(os.WTERMSIG(status)).name
            hint = " (the kernel's out-of-memory killer sends it)" if name == "SIGKILL" else ""
            deaths.append(f"local worker {pid} was killed by {name}{hint}")
        elif os.waitstatus_to_exitcode(status):
            deaths.append(f"local worker {pid} exited with status {os.waitstatus_to_exitcode(status)}")
    return deaths


def _work(env: dict[str, str]) -> None:
    """One SDK worker, as Beam's `sdk_worker_main` runs it from the environment it is given. Its log goes
    to the server's stderr handler, warnings and errors only, as the launcher's own."""
    from apache_beam.runners.worker import sdk_worker_main

    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)
        handler.addFilter(_no_session_warning)
    code = 0
    try:
        os.environ.update(env)
        sdk_worker_main.main(sys.argv)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _no_session_warning(record: logging.LogRecord) -> bool:
    # Beam warns that a worker has no staged main session to load: a fork has the server's modules
    return "semi_persistent_directory" not in record.getMessage()


@contextmanager
def worker_server():
    """The worker server for the block (`forked_runner`'s workers come from it); it and its workers are
    gone when the block ends. Send it `our_dofns(pipeline)` with `warm` once the graph is built."""
    global _server
    _server = WorkerServer()
    try:
        yield _server
    finally:
        server, _server = _server, None
        server.close()


