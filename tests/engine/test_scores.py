"""E[BN] against the test vectors of method.md §2.3 and a Monte-Carlo estimate; exact-k selection."""

from __future__ import annotations

import pytest
import torch

from gst.engine.scores import expected_bn_relu, filter_l2, select

VECTORS = [
    (1, 0, 0.398942),
    (1, 1, 1.08332),
    (2, -1, 0.395593),
    (0, 0, 0.0),
    (0, 1, 1.0),
    (0, -1, 0.0),
    (-1, 1, 1.08332),
    (-1, -1, 0.0833154),
]


@pytest.mark.parametrize(("gamma", "beta", "expected"), VECTORS)
def test_ebn_test_vectors(gamma: float, beta: float, expected: float) -> None:
    value = expected_bn_relu(torch.tensor([float(gamma)]), torch.tensor([float(beta)]))
    assert value.dtype == torch.float64
    assert value.item() == pytest.approx(expected, abs=1e-6, rel=1e-5)


def test_ebn_float64_tail_is_positive_not_zero() -> None:
    value = expected_bn_relu(torch.tensor([1.0]), torch.tensor([-5.5])).item()
    assert value == pytest.approx(3.26e-9, rel=0.01)


def test_ebn_matches_monte_carlo() -> None:
    gen = torch.Generator().manual_seed(0)
    gammas = torch.tensor([0.5, 1.0, 2.0, -1.5, 0.1])
    betas = torch.tensor([0.3, -0.7, 1.2, 0.4, -0.05])
    samples = torch.randn(5, 400_000, generator=gen, dtype=torch.float64)
    estimate = torch.relu(betas.double()[:, None] + gammas.double().abs()[:, None] * samples).mean(1)
    assert torch.allclose(expected_bn_relu(gammas, betas), estimate, atol=4e-3)


def test_select_exactly_k_with_ties_broken_by_index() -> None:
    gen = torch.Generator().manual_seed(0)
    scores = torch.tensor([3.0, 1.0, 1.0, 2.0, 1.0, 5.0], dtype=torch.float64)
    assert select(scores, 2, "small", gen).tolist() == [1, 2]
    assert select(scores, 2, "large", gen).tolist() == [5, 0]
    assert sorted(select(torch.zeros(6, dtype=torch.float64), 3, "large", gen).tolist()) == [0, 1, 2]


def test_random_selection_is_seeded_and_uniformish() -> None:
    scores = torch.arange(100, dtype=torch.float64)
    a = select(scores, 10, "random", torch.Generator().manual_seed(7))
    b = select(scores, 10, "random", torch.Generator().manual_seed(7))
    assert a.tolist() == b.tolist() and len(set(a.tolist())) == 10
    counts = torch.zeros(100)
    gen = torch.Generator().manual_seed(1)
    for _ in range(2000):
        counts[select(scores, 10, "random", gen)] += 1
    assert counts.min() > 120 and counts.max() < 290  # expected 200 each


def test_filter_l2_excludes_bias() -> None:
    w = torch.zeros(2, 1, 3, 3)
    w[0, 0, 0, 0], w[1, 0, 1, 1] = 3.0, 4.0
    assert filter_l2(w).tolist() == [3.0, 4.0]
