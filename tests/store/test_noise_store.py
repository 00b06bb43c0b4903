"""Migration 0004: noise events in prune_events/prune_layers with their kind and noised forwards."""

from __future__ import annotations

from pathlib import Path

from gst.engine.spec.events import LayerPruned, NoiseWindowClosed, Pruned, RunStarted
from gst.store.sql import fetch
from gst.store.writer import StoreWriter
from tests.store.test_store import register


def layer(name: str) -> LayerPruned:
    return LayerPruned(
        layer=name, k_pruned=3, alive_after=7, score_mean=1, score_min=0, score_max=2, targeted_total=3, removed_total=0
    )


def feed(writer: StoreWriter) -> None:
    run = "s1-a-0"
    writer.handle(RunStarted(run_id=run, seed=0, device="cpu", params_total=10, epochs_total=2, data_subset_hash="h"))
    writer.handle(
        Pruned(run_id=run, epoch=1, acc_before=50, acc_after=40, layers=(layer("conv5"), layer("conv6")), kind="iter_129_zeroing")
    )  # fmt: skip
    writer.handle(NoiseWindowClosed(run_id=run, epoch=1, layer="conv5", train_forwards=51, eval_forwards=79))
    writer.handle(
        NoiseWindowClosed(run_id=run, epoch=1, layer="conv6", train_forwards=20, eval_forwards=79, complete=False)
    )


def test_noise_event_rows_carry_kind_counts_and_windows(db: Path) -> None:
    for _ in range(2):  # a replay of the same operations changes nothing
        writer = StoreWriter(db)
        writer.open()
        register(writer)
        feed(writer)
        writer.close()
    (event,) = fetch(db, "SELECT * FROM prune_events")
    assert event["kind"] == "iter_129_zeroing" and event["drop_pp"] == 10
    assert (event["noised_train_forwards"], event["noised_eval_forwards"]) == (51, 79)
    rows = fetch(db, "SELECT * FROM prune_layers ORDER BY layer")
    assert [(r["layer"], r["targeted_total"], r["removed_total"]) for r in rows] == [("conv5", 3, 0), ("conv6", 3, 0)]
    assert [(r["noised_train_forwards"], r["window_complete"]) for r in rows] == [(51, True), (20, False)]


def test_ordinary_pruning_rows_have_kind_prune(db: Path) -> None:
    writer = StoreWriter(db)
    writer.open()
    register(writer)
    writer.handle(Pruned(run_id="s1-a-0", epoch=2, acc_before=50, acc_after=40, layers=(layer("fc1"),)))
    writer.close()
    (event,) = fetch(db, "SELECT kind, noised_train_forwards FROM prune_events")
    assert event == {"kind": "prune", "noised_train_forwards": None}
