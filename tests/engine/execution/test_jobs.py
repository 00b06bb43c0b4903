"""Choosing runs from a sweep: --seeds and --arms name each seed and arm once, seeds in what numpy and torch take."""

from __future__ import annotations

import pytest

from gst.engine.execution.jobs import select_jobs
from gst.engine.spec.errors import SpecError
from gst.engine.spec.preset import load_preset


@pytest.mark.parametrize(
    ("arms", "seeds", "message"),
    [
        (None, ["0", "0"], "--seeds: 0,0 repeats seed 0"),
        (None, ["3", "1", "3"], "--seeds: 3,1,3 repeats seed 3"),
        (None, ["4294967296"], "--seeds: 4294967296 must be integers in 0..4294967295"),
        (None, ["99999999999999999999"], "--seeds: 99999999999999999999 must be integers in 0..4294967295"),
        (["prune_S", "prune_S"], None, "--arms: prune_S,prune_S names arm 'prune_S' twice"),
    ],
)
def test_duplicate_or_huge_seeds_and_arms_are_refused(
    arms: list[str] | None, seeds: list[str] | None, message: str
) -> None:
    with pytest.raises(SpecError) as info:
        select_jobs(load_preset("smoke"), "s", arms, seeds)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_the_largest_seed_is_taken() -> None:
    (job,) = select_jobs(load_preset("smoke"), "s", ["prune_L"], ["4294967295"])
    assert job.seed == 2**32 - 1 and job.run_id == "s-prune_L-4294967295"
