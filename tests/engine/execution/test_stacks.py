"""Which runs train together: consecutive seeds of one arm, up to --stack-seeds or the device's default."""

from __future__ import annotations

import pytest

from gst.engine.execution.jobs import default_stack_size, stack_jobs
from gst.engine.spec.errors import SpecError
from gst.engine.spec.job import Job
from gst.engine.spec.specs import RunSpec, spec_from_dict


def spec(stack: int) -> RunSpec:
    return spec_from_dict(
        {"model": "conv4", "dataset": "synthetic", "examples_per_class": 8, "epochs": 1, "batch_size": stack}
    )


def jobs(arm: str, seeds: int, stack: int = 128) -> list[Job]:
    return [Job(run_id=f"{arm}-{s}", arm=arm, seed=s, spec=spec(stack)) for s in range(seeds)]


def ids(stacks: list[list[Job]]) -> list[list[str]]:
    return [[job.run_id for job in stack] for stack in stacks]


def test_seeds_of_one_arm_batch_together_up_to_the_limit() -> None:
    stacks = stack_jobs(jobs("a", 5) + jobs("b", 2), 2, "cpu")
    assert ids(stacks) == [["a-0", "a-1"], ["a-2", "a-3"], ["a-4"], ["b-0", "b-1"]]
    assert ids(stack_jobs(jobs("a", 3), 1, "cuda")) == [["a-0"], ["a-1"], ["a-2"]]


def test_default_follows_the_device() -> None:
    assert default_stack_size("cpu", spec(3)) == 1  # CPU: parallel workers instead
    assert default_stack_size("cuda:0", spec(3)) == 16
    assert default_stack_size("cuda", spec(128)) == 8
    assert ids(stack_jobs(jobs("a", 20, stack=3), None, "cuda")) == [
        [f"a-{s}" for s in range(16)],
        [f"a-{s}" for s in range(16, 20)],
    ]


def test_bad_stack_seeds_is_named() -> None:
    with pytest.raises(SpecError, match="--stack-seeds: 0 must be >= 1"):
        stack_jobs(jobs("a", 2), 0, "cpu")


def test_only_runs_of_one_thread_count_stack_together() -> None:
    mixed = [
        Job(run_id=f"a-{s}", arm="a", seed=s, spec=spec(128), threads=threads) for s, threads in enumerate((1, 1, 2))
    ]
    assert ids(stack_jobs(mixed, 3, "cpu")) == [["a-0", "a-1"], ["a-2"]]
