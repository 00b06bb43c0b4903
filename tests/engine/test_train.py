"""Tiny end-to-end runs on CPU with synthetic data: event order, consistent numbers, exact resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from gst.engine.cadence import CheckpointEvery
from gst.engine.checkpoint import Checkpointer
from gst.engine.spec.events import EpochEnded, Event, Pruned, RunFailed, RunFinished, RunStarted
from gst.engine.spec.job import Job
from gst.engine.spec.specs import RunSpec, spec_from_dict
from gst.engine.train_job import execute


def conv4_spec(epochs: int = 2, **prune: object) -> RunSpec:
    raw = {
        "model": "conv4", "dataset": "synthetic", "examples_per_class": 8, "epochs": epochs, "batch_size": 16,
        "prune": {"layers": ["fc1"], "score": "magnitude", "target": "large", "start_epoch": [1], "end_epoch": [epochs - 1],
                  "fraction": [0.5], "retrain_period": 1, **prune},
    }  # fmt: skip
    return spec_from_dict(raw)


def collect(spec: RunSpec, seed: int = 0, **kwargs: object) -> list[Event]:
    events: list[Event] = []
    execute(Job(run_id="r", spec=spec, seed=seed), device="cpu", emit=events.append, **kwargs)  # type: ignore[arg-type]
    return events


def test_two_epoch_run_emits_ordered_consistent_events() -> None:
    events = collect(conv4_spec())
    assert [type(e).__name__ for e in events] == ["RunStarted", "EpochEnded", "Pruned", "EpochEnded", "RunFinished"]
    started, first, pruned, second, finished = events
    assert isinstance(started, RunStarted) and started.params_total == 1_250_858
    assert isinstance(first, EpochEnded) and first.epoch == 1 and first.pre_prune_test_acc == first.test_acc
    assert isinstance(pruned, Pruned) and isinstance(second, EpochEnded) and isinstance(finished, RunFinished)
    assert pruned.epoch == second.epoch == 2
    assert pruned.acc_after == second.test_acc and pruned.acc_before == second.pre_prune_test_acc
    assert pruned.drop_pp == pytest.approx(pruned.acc_before - pruned.acc_after)
    (layer,) = pruned.layers
    assert layer.layer == "fc1" and layer.k_pruned == 589_824 and layer.alive_after == 589_824
    assert layer.score_min <= layer.score_mean <= layer.score_max
    assert second.params_remaining == 1_250_858 - 589_824 == finished.params_remaining
    assert finished.final_test_acc == second.test_acc and finished.best_test_acc == second.test_acc
    assert 0 <= second.train_acc <= 100 and second.lr == 1e-3


def measured(events: list[Event]) -> list[dict[str, object]]:
    """Event fields without wall-clock times or start records."""
    return [
        {k: getattr(e, k) for k in e.__dataclass_fields__ if k != "seconds"}
        for e in events
        if not isinstance(e, RunStarted)
    ]


@pytest.mark.slow
def test_same_seed_same_numbers_other_seed_differs() -> None:
    a, b, c = collect(conv4_spec()), collect(conv4_spec()), collect(conv4_spec(), seed=1)
    assert measured(a) == measured(b) and measured(a) != measured(c)


@pytest.mark.slow
def test_resume_from_checkpoint_equals_uninterrupted(tmp_path: Path) -> None:
    spec = conv4_spec(epochs=4)
    whole = collect(spec)
    path = tmp_path / "r.pt"
    part: list[Event] = []
    with pytest.raises(
        KeyboardInterrupt
    ):  # should_stop is polled after each epoch; the interrupt writes the last snapshot
        execute(
            Job(run_id="r", spec=spec, seed=0),
            device="cpu",
            emit=part.append,
            checkpointer=Checkpointer(path, CheckpointEvery()),
            should_stop=lambda: len(part) >= 3,
        )
    rest: list[Event] = []
    execute(
        Job(run_id="r", spec=spec, seed=0),
        device="cpu",
        emit=rest.append,
        checkpointer=Checkpointer(path, CheckpointEvery()),
    )
    assert isinstance(rest[0], RunStarted) and rest[0].resumed_from_epoch == 2
    assert measured(part + rest) == measured(whole)


@pytest.mark.slow
def test_vgg11_ebn_run_prunes_filters() -> None:
    raw = {
        "model": "vgg11", "dataset": "synthetic", "examples_per_class": 4, "epochs": 2, "batch_size": 20,
        "prune": {"layers": ["conv7", "conv8"], "score": "ebn", "target": "small", "start_epoch": [0, 1], "end_epoch": [0, 1],
                  "fraction": [0.3, 0.9], "retrain_period": 1},
    }  # fmt: skip
    events = collect(spec_from_dict(raw))
    pruned = [e for e in events if isinstance(e, Pruned)]
    assert [(p.epoch, [(x.layer, x.k_pruned, x.alive_after) for x in p.layers]) for p in pruned] == [
        (1, [("conv7", 153, 359)]),
        (2, [("conv8", 460, 52)]),
    ]
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.params_remaining == 9_231_114 - 153 * 4611 - 460 * 4611


def test_scratch_pruning_skips_first_epoch_training() -> None:
    events = collect(conv4_spec(epochs=2, start_epoch=[0], end_epoch=[0], scratch=True))
    first = next(e for e in events if isinstance(e, EpochEnded))
    assert first.train_acc == 0.0 and first.train_loss == 0.0
    assert next(e for e in events if isinstance(e, Pruned)).epoch == 1


def test_a_run_whose_loss_becomes_nan_stops_there_as_diverged() -> None:
    """SGD at lr 10 on synthetic data: epoch 1 trains to a huge loss, epoch 2's loss is NaN; nothing after it."""
    raw = {"model": "conv4", "dataset": "synthetic", "examples_per_class": 16, "epochs": 4, "batch_size": 32,
           "optimizer": "sgd", "lr": 10.0}  # fmt: skip
    events = collect(spec_from_dict(raw))
    assert [type(e).__name__ for e in events] == ["RunStarted", "EpochEnded", "RunFailed"]
    last = events[-1]
    assert isinstance(last, RunFailed) and last.diverged_epoch == 2 and last.final and not last.interrupted
    assert last.error == "loss became nan at epoch 2"


def test_a_stacked_seed_that_diverges_stops_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The other seeds of its stack train on; the diverged one emits nothing after its RunFailed."""
    from gst.engine.stack import StackedTrainers
    from gst.engine.train_job import execute_stack

    def second_seed_nan_from_epoch_2(self: StackedTrainers) -> list[tuple[float, float]]:
        """The losses a stacked epoch reports (its training is not what this test is about)."""
        results = [(2.3, 10.0)] * self.size
        if self.trainers[0].progress.epochs_done >= 1:
            results[1] = (float("inf"), 10.0)
        return results

    monkeypatch.setattr(StackedTrainers, "train_epoch", second_seed_nan_from_epoch_2)
    events: list[Event] = []
    jobs = [Job(run_id=f"s{seed}", spec=conv4_spec(), seed=seed) for seed in (0, 1)]
    results = execute_stack(jobs, device="cpu", emit=events.append)
    assert [type(r).__name__ for r in results] == ["RunFinished", "RunFailed"]
    mine = [e for e in events if e.run_id == "s1"]
    assert [type(e).__name__ for e in mine] == ["RunStarted", "EpochEnded", "RunFailed"]
    assert isinstance(mine[-1], RunFailed) and mine[-1].error == "loss became inf at epoch 2"
    assert [e.epoch for e in events if e.run_id == "s0" and isinstance(e, EpochEnded)] == [1, 2]
    assert isinstance(events[-1], RunFinished) and events[-1].run_id == "s0"
