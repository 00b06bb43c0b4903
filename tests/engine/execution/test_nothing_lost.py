"""Nothing lost: real `gst` processes killed with real signals at exact moments, then resumed.

GST_FAULT makes a process SIGKILL itself the n-th time it reaches a named point (a training step, a pruning
moment, a database flush, an event received from a worker, the end of the last epoch), so every kill lands
where the test says. After each chain of kills and a final `gst resume`, the `epochs`, `prune_events` and
`prune_layers` rows equal those of an uninterrupted run of the same seeds and layout, and `gst check` passes.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from gst.store import queries
from gst.store.sql import fetch
from tests.conftest import tiny_preset
from tests.processes import Processes, Result, run_gst

pytestmark = pytest.mark.slow

LAYOUTS = {
    "in-process": ["--workers", "1"],
    "workers": ["--workers", "2"],
    "stacked": ["--workers", "1", "--stack-seeds", "2"],
}
TABLES = {
    "epochs": "SELECT run_id, epoch, lr, train_loss, train_acc, test_loss, test_acc, pre_prune_test_acc, "
    "params_remaining FROM epochs ORDER BY ALL",
    "prune_events": "SELECT run_id, epoch, acc_before, acc_after, drop_pp FROM prune_events ORDER BY ALL",
    "prune_layers": "SELECT run_id, epoch, layer, k_pruned, alive_after, score_mean FROM prune_layers ORDER BY ALL",
}
EPOCHS = 4


def gst(*args: str, at: Path, fault: str = "", once: Path | None = None) -> Result:
    """`gst ARGS` to its end, its output kept under `at`; GST_FAULT kills it at a named moment."""
    env = {"GST_FAULT": fault} if fault else {}
    env |= {"GST_FAULT_ONCE": str(once)} if once else {}
    return run_gst(*args, logs=at / "logs", env=env)


def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"  # fc1 pruned at epochs 2 and 3 of 4, 80 training images
    path.write_text(tiny_preset(epochs=EPOCHS, epc=8, end=2))
    return path


def tables(db: Path) -> dict[str, list[dict[str, object]]]:
    return {
        name: [
            {k: v for k, v in row.items() if k != "run_id"} | {"run": str(row["run_id"])[-1]} for row in fetch(db, sql)
        ]
        for name, sql in TABLES.items()
    }


def run_args(spec: Path, db: Path, layout: str) -> list[str]:
    return ["run", "spec", str(spec), "--db", str(db), "--device", "cpu", "--seeds", "0,1", "--sweep-id", "s",
            "--checkpoint-every", "2", *LAYOUTS[layout]]  # fmt: skip


def resume_args(db: Path, layout: str) -> list[str]:
    return ["resume", "s", "--db", str(db), "--device", "cpu", "--checkpoint-every", "2", *LAYOUTS[layout]]


def assert_checked(db: Path) -> None:
    result = gst("check", "s", "--db", str(db), at=db.parent)
    assert result.returncode == 0, result.stdout + result.stderr


class References(dict[str, dict[str, list[dict[str, object]]]]):
    """Uninterrupted runs of seeds 0 and 1 per layout, each made the first time a test asks for it (the workers
    layout shares the in-process one: on a CPU a seed's numbers do not depend on where it trains).

    Lazy, so that parallel test workers (pytest-xdist) each run only the references their tests compare with.
    """

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def __missing__(self, layout: str) -> dict[str, list[dict[str, object]]]:
        if layout == "workers":  # one seed, one result: two workers store the rows one process stores, bitwise
            found = self[layout] = self["in-process"]
            return found
        db = self.folder / f"{layout}.duckdb"
        result = gst(*run_args(spec_file(self.folder), db, layout), at=self.folder)
        assert result.returncode == 0, result.stderr
        found = self[layout] = tables(db)
        assert len(found["epochs"]) == 2 * EPOCHS and len(found["prune_events"]) == 4
        return found


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> References:
    return References(tmp_path_factory.mktemp("references"))


KILLS = {
    # (the moment, as GST_FAULT): early in training, during a pruning moment, during a database flush,
    # after an epoch's events but before its checkpoint, after the last epoch before the run is finished
    "in-process": ["train_step:3", "pruned:2", "flush:3", "epoch_end:3", "finished:1"],
    # stacked seeds share the in-process code paths after the step: the step, a pruning moment, the end
    "stacked": ["train_step:3", "pruned:2", "finished:1"],
    # the parent of two workers: after receiving events, during a flush, near the end
    "workers": ["received:4", "flush:2", "received:14"],
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_parent_killed_at_each_moment_then_resumed_equals_uninterrupted(
    layout: str, tmp_path: Path, references: References
) -> None:
    spec, db = spec_file(tmp_path), tmp_path / "gst.duckdb"
    for i, fault in enumerate(KILLS[layout]):
        args = run_args(spec, db, layout) if i == 0 else resume_args(db, layout)
        result = gst(*args, at=tmp_path, fault=fault)
        if result.returncode == 0:
            break  # the moment came after the sweep had nothing left to do
        assert result.returncode == -signal.SIGKILL, f"{fault}: {result.stderr}"
        runs = queries.runs(db)
        assert all(r["status"] != "completed" or r["epochs_done"] == EPOCHS for r in runs), runs
    final = gst(*resume_args(db, layout), at=tmp_path)
    assert final.returncode == 0, final.stderr
    assert all(r["status"] == "completed" for r in queries.runs(db))
    assert tables(db) == references[layout]
    assert_checked(db)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found += [int(x) for x in text.split()]
    return found


def test_killed_parent_leaves_no_worker_and_a_killed_worker_is_retried(
    tmp_path: Path, references: References, procs: Processes
) -> None:
    spec, db = spec_file(tmp_path), tmp_path / "gst.duckdb"
    # the parent SIGKILLs itself when it receives its second event from a worker: the workers are training
    proc = procs.gst(*run_args(spec, db, "workers"), env={"GST_FAULT": "received:2"})
    workers: set[int] = set()

    def parent_gone() -> bool:
        workers.update(children(proc.pid))  # the workers, and multiprocessing's resource tracker
        return proc.poll() is not None

    proc.wait_for(parent_gone, "the parent's kill")
    assert proc.returncode == -signal.SIGKILL and len(workers) >= 2, proc.output()
    killed = time.monotonic()
    alive = sorted(workers)
    while alive and time.monotonic() < killed + 120:  # generous: a loaded machine schedules the exits late
        time.sleep(0.2)
        alive = [
            w
            for w in alive
            if Path(f"/proc/{w}").exists() and "zombie" not in Path(f"/proc/{w}/status").read_text().lower()
        ]
    assert not alive, f"workers {alive} outlived their parent"
    # a worker SIGKILLed mid-stack: its journal is replayed and its stack retried on a fresh worker
    result = gst(*resume_args(db, "workers"), at=tmp_path, fault="worker:train_step:5", once=tmp_path / "fired")
    assert result.returncode == 0, result.stderr
    assert tables(db) == references["workers"]
    attempts = fetch(db, "SELECT max(attempt) AS a FROM runs")[0]["a"]
    assert attempts == 2
    assert_checked(db)


def test_sigterm_interrupts_and_damaged_checkpoints_fall_back(
    tmp_path: Path, references: References, procs: Processes
) -> None:
    spec, db = spec_file(tmp_path), tmp_path / "gst.duckdb"
    args = [*run_args(spec, db, "in-process"), "--checkpoint-every", "1"]
    # paused at the end of seed 1's third epoch (seed 0 has four): its checkpoints of epochs 1 and 2 are written
    paused = tmp_path / "paused"
    proc = procs.gst(*args, env={"GST_PAUSE": f"epoch_end:{EPOCHS + 3}", "GST_PAUSED": str(paused)})
    checkpoints = db.parent / "gst.duckdb.d" / "checkpoints"
    proc.wait_for(lambda: paused.exists() and (checkpoints / "s-base-1.prev.pt").exists(), "two checkpoints of seed 1")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait() == 143, proc.output()
    assert "interrupted by SIGTERM" in proc.stderr
    run = queries.run(db, "s-base-1")
    assert run["status"] == "interrupted" and run["error"] == "interrupted by SIGTERM"
    newest = checkpoints / "s-base-1.pt"
    assert newest.exists() and (checkpoints / "s-base-1.prev.pt").exists()
    newest.write_bytes(b"not a checkpoint")  # damaged newest: the previous one is used, and the user told
    result = gst(*resume_args(db, "in-process"), at=tmp_path, fault="epoch_end:1")
    assert result.returncode == -signal.SIGKILL
    assert "unreadable" in result.stderr and "continuing from epoch" in result.stderr
    for path in checkpoints.glob("s-base-1*"):
        path.unlink()  # every checkpoint gone: the run re-runs from scratch, its rows replaced
    final = gst(*resume_args(db, "in-process"), at=tmp_path)
    assert final.returncode == 0, final.stderr
    assert tables(db) == references["in-process"]
    assert_checked(db)


def test_database_held_by_a_reader_loses_nothing(tmp_path: Path, references: References, procs: Processes) -> None:
    spec, db = spec_file(tmp_path), tmp_path / "gst.duckdb"
    proc = procs.gst(*run_args(spec, db, "in-process"))
    proc.wait_for(db.exists, "the database file")
    hold = "import duckdb, sys, time\nwhile True:\n    try:\n        c = duckdb.connect(sys.argv[1], read_only=True); break\n    except Exception: time.sleep(0.01)\nprint('held', flush=True); time.sleep(15)"
    holder = procs.python("-c", hold, str(db))
    holder.wait_for(lambda: "held" in holder.stdout, "the reader's hold")
    assert proc.wait() == 0, proc.output()
    assert holder.wait() == 0, holder.output()
    assert tables(db) == references["in-process"]
    assert_checked(db)


# Stopped at exact moments (GST_PAUSE holds the process there until the signal comes): every run ends with a true
# status, nothing is left for a later command to fix, and a resume equals an uninterrupted run.
STOPS = {
    # SIGTERM while seed 0 trains in-process: seed 1 never started, and must not stay `queued`
    "a queued run": ("in-process", "epoch_end:2", signal.SIGTERM),
    # SIGTERM while the sweep and its runs are being written (the first flush): the registration is completed
    "the registration": ("in-process", "flush:1", signal.SIGTERM),
    # Ctrl-C in the parent of two workers right after it took a RunFinished off the queue, before writing it: the
    # run's final event comes from the worker's journal, so it is completed, not left `running`
    "a final event in flight": ("workers", "received_RunFinished:1", signal.SIGINT),
}


@pytest.mark.parametrize("moment", list(STOPS))
def test_a_signal_at_any_moment_leaves_every_status_true(
    moment: str, tmp_path: Path, references: References, procs: Processes
) -> None:
    layout, pause, sig = STOPS[moment]
    spec, db = spec_file(tmp_path), tmp_path / "gst.duckdb"
    paused = tmp_path / "paused"
    proc = procs.gst(*run_args(spec, db, layout), env={"GST_PAUSE": pause, "GST_PAUSED": str(paused)})
    proc.wait_for(paused.exists, f"the pause at {pause}")
    proc.send_signal(sig)
    assert proc.wait() == 128 + sig, proc.output()
    named = "interrupted by SIGTERM" if sig == signal.SIGTERM else "interrupted by Ctrl-C (SIGINT)"
    assert named in proc.stderr
    runs = queries.runs(db)
    assert len(runs) == 2 and all(r["status"] in ("completed", "interrupted") for r in runs), runs
    assert all(r["error"] == named for r in runs if r["status"] == "interrupted")
    if moment == "a final event in flight":
        assert any(r["status"] == "completed" for r in runs)
    assert not list((db.parent / "gst.duckdb.d" / "journal").glob("*.jsonl")), "everything is in the database"
    assert_checked(db)
    final = gst(*resume_args(db, layout), at=tmp_path)
    assert final.returncode == 0, final.stderr
    assert tables(db) == references[layout]
    assert_checked(db)
