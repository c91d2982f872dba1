"""Idle memory of the running bot: `duban run` as a real process against the emulator (over
HTTP, in a thread of this process), on the shipped table (a new database) and on the large
deployment (its clock started at `data.NOW`, where nothing is due). Its resident memory
(VmRSS) is read once it has started and finished its first tick (the second heartbeat it
writes), with its peak so far (VmHWM) beside it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import ROUNDS, Figure
from benchmarks.data import NOW, Deployment
from bot.emulator.thread import EmulatorThread

ROOT = Path(__file__).resolve().parents[1]
DUBAN = Path(sys.executable).parent / "duban"


def _status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = int(line.split()[1])
    return out


def _heartbeat(db: Path) -> str | None:
    if not db.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'heartbeat'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def rss_after_first_tick(config: Path, db: Path, clock_start: str | None) -> dict[str, Any]:
    """Start `duban run`, wait for its first tick to end, read its memory, stop it."""
    emulator = EmulatorThread()
    base = emulator.start()
    cmd = [str(DUBAN), "run", "--config", str(config), "--db", str(db), "--base-url", base,
           "--tick", "1", "--no-watch", "--log-level", "WARNING"]  # fmt: skip
    if clock_start:
        cmd += ["--clock-start", clock_start]
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        beats: list[str] = []
        while len(beats) < 2:
            if proc.poll() is not None:
                raise RuntimeError(f"duban run exited: {proc.stderr.read() if proc.stderr else ''}")
            beat = _heartbeat(db)
            if beat is not None and (not beats or beat != beats[-1]):
                beats.append(beat)
            if time.perf_counter() - t0 > 300:
                raise RuntimeError("duban run did not tick within 300 s")
            time.sleep(0.1)
        started = time.perf_counter() - t0
        mem = _status(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        emulator.stop()
    return {"rss_mib": mem["VmRSS"] / 1024, "hwm_mib": mem["VmHWM"] / 1024, "seconds": started}


def memory(dep: Deployment) -> list[Figure]:
    """The shipped table and the 1,000-task deployment, each ROUNDS times."""
    shipped = Figure("idle memory (RSS), shipped table", "MiB", 120)
    large = Figure("idle memory (RSS), 1,000-task table, 100k updates", "MiB", 200)
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
            r = rss_after_first_tick(ROOT / "config" / "tasks.yaml", Path(tmp) / "duban.db", None)
        shipped.add(r["rss_mib"])
        shipped.extra.setdefault("peak_mib", []).append(round(r["hwm_mib"]))
        with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
            copy = dep.copy(Path(tmp))
            r = rss_after_first_tick(copy.config, copy.db, NOW.isoformat())
        large.add(r["rss_mib"])
        large.extra.setdefault("peak_mib", []).append(round(r["hwm_mib"]))
        large.extra.setdefault("start_and_tick_s", []).append(round(r["seconds"], 1))
    return [shipped, large]
