"""The outages: PostgreSQL stopped and started again, and PostgreSQL paused (every one of its
processes sent SIGSTOP, as a frozen machine would be: connections stay open, the kernel
acknowledges what is sent, and nothing answers), then resumed."""

import contextlib
import importlib.machinery
import importlib.util
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from soak.clients import Clock
from soak.server import ROOT, port_open


def database_server() -> Any:
    """bin/with-postgres's own server handle, so the restart uses exactly its options."""
    # The script has no .py name to import it by.
    loader = importlib.machinery.SourceFileLoader("with_postgres", str(ROOT / "bin/with-postgres"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    server = module.Server(
        Path(os.environ["SCORECARD_PG_BIN"]),
        Path(os.environ["SCORECARD_PG_DATA"]),
        Path(os.environ["SCORECARD_PG_RUN_DIR"]),
    )
    server.port = int(os.environ["SCORECARD_PG_PORT"])
    return server


def restart_database(clock: Clock, at: float, down_for: float, timeline: dict[str, Any]) -> None:
    """Stop PostgreSQL at `at` seconds, start it `down_for` seconds later. The timeline gets
    when each step was sent and done (begin, down, restore, up)."""
    server = database_server()
    time.sleep(max(0.0, at - clock()))
    timeline["begin"] = clock()
    print(f"soak: {clock():5.1f} s  stopping PostgreSQL", flush=True)
    server.stop()
    timeline["down"] = clock()
    timeline["was_down"] = not port_open(server.port)
    time.sleep(down_for)
    timeline["restore"] = clock()
    print(f"soak: {clock():5.1f} s  starting PostgreSQL", flush=True)
    try:
        server.start()
    except SystemExit as failure:  # with-postgres reports a failed start so
        timeline["error"] = str(failure)
    timeline["up"] = clock()
    timeline["is_up"] = port_open(server.port)
    print(f"soak: {clock():5.1f} s  PostgreSQL accepts connections again", flush=True)


class Pause:
    """PostgreSQL's processes, stopped and continued; `resume()` is safe to call any time
    (the run calls it however it ends, so a failed run never leaves the server stopped)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopped: list[int] = []

    @staticmethod
    def processes() -> list[int]:
        """The postmaster, then every process it started."""
        data = Path(os.environ["SCORECARD_PG_DATA"])
        postmaster = int((data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster, *children]

    @staticmethod
    def state(pid: int) -> str:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return "gone"

    def pause(self) -> list[int]:
        with self._lock:
            for pid in self.processes():  # the postmaster first: it starts no new ones
                os.kill(pid, signal.SIGSTOP)
                self._stopped.append(pid)
            return list(self._stopped)

    def resume(self) -> None:
        with self._lock:
            while self._stopped:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._stopped.pop(), signal.SIGCONT)


def pause_database(
    clock: Clock, pause: Pause, at: float, paused_for: float, timeline: dict[str, Any]
) -> None:
    time.sleep(max(0.0, at - clock()))
    timeline["begin"] = clock()
    print(f"soak: {clock():5.1f} s  pausing PostgreSQL (SIGSTOP)", flush=True)
    try:
        stopped = pause.pause()
        timeline["down"] = clock()
        time.sleep(0.2)
        timeline["was_down"] = all(pause.state(pid) == "T" for pid in stopped)
        time.sleep(max(0.0, paused_for - 0.2))
    finally:
        timeline["restore"] = clock()
        print(f"soak: {clock():5.1f} s  resuming PostgreSQL (SIGCONT)", flush=True)
        pause.resume()
    timeline["up"] = clock()
    timeline["is_up"] = True
