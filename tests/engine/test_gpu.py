"""On a CUDA machine: the same runs as on CPU, stacked seeds equal to seeds alone, bf16 trains. Skipped without one."""

from __future__ import annotations

import pytest
import torch

from gst.engine.spec.events import EpochEnded, RunFinished
from tests.engine.test_stack import alone, assert_same_run, spec, together

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


@pytest.mark.parametrize("model", ["conv4", "vgg11"])
def test_stacked_seeds_match_alone_on_cuda(model: str) -> None:
    run_spec = spec(model, 2, 6)
    grouped = together(run_spec, (0, 1, 2), device="cuda")
    for seed in (0, 1, 2):
        assert_same_run(grouped[f"s{seed}"], alone(run_spec, seed, device="cuda"), rel=2e-2)


def test_cuda_run_agrees_with_cpu_run() -> None:
    run_spec = spec("conv4", 2, 6)
    gpu, cpu = alone(run_spec, 0, device="cuda"), alone(run_spec, 0)
    assert_same_run(gpu, cpu, rel=1e-2)


def test_bf16_run_finishes_with_finite_losses() -> None:
    run_spec = spec("vgg11", 2, 6, precision="bf16")
    events = alone(run_spec, 0, device="cuda")
    assert isinstance(events[-1], RunFinished)
    assert all(torch.isfinite(torch.tensor(e.train_loss)) for e in events if isinstance(e, EpochEnded))
