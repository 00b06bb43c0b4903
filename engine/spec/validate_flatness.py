"""Validation of a run's `[flatness]` table (method-later §2): one SpecError naming the key and what is allowed."""

from __future__ import annotations

import math
from typing import Any

from gst.engine.spec.architectures import Architecture
from gst.engine.spec.errors import SpecError
from gst.engine.spec.plan import alive_coordinates
from gst.engine.spec.specs import (
    CLASS_SIZES,
    FLATNESS_METHODS,
    FLATNESS_SCANS,
    FLATNESS_SPLITS,
    FlatnessSpec,
    PruneSpec,
    field_names,
)
from gst.engine.spec.validate import SEED_MAX, Checker

MAX_EPS = 10.0  # |ε| in L2 units along a unit eigenvector; the paper's grid stops at 0.4
MAX_ITERATIONS = 100_000  # Hutchinson probes, power steps or Lanczos basis vectors: each costs a Hessian product


def check_flatness(
    raw: Any, arch: Architecture, dataset: str, epochs: int, c: Checker, *, test_count: int, prune: PruneSpec | None
) -> FlatnessSpec:
    """Validate `[flatness]` against the model's alive parameters at each measured epoch, the run length and the
    data split (`test_count`: the test images the run evaluates)."""
    if not isinstance(raw, dict):
        raise SpecError(f"{c.where}: flatness: expected a table (or leave it out: no flatness measurements)")
    c.unknown(raw, field_names(FlatnessSpec))
    if "epochs" not in raw:
        raise c.fail("epochs", f"missing (row epochs to measure at, allowed: 1..{epochs})")
    d = FlatnessSpec(epochs=())
    when = tuple(c.integer(f"epochs[{i}]", v) for i, v in enumerate(c.array("epochs", raw["epochs"])))
    if not when:
        raise c.fail("epochs", f"must name at least one epoch (allowed: 1..{epochs})")
    for i, e in enumerate(when):
        if not 1 <= e <= epochs:
            raise c.fail(f"epochs[{i}]", f"{e} is outside the run (allowed: 1..{epochs})")
    if len(set(when)) != len(when):
        raise c.fail("epochs", f"{list(when)} names an epoch twice")
    k = c.integer("k", raw.get("k", d.k))
    if not 1 <= k <= arch.params:
        raise c.fail("k", f"{k} is not a number of eigenpairs of {arch.name} (allowed: 1..{arch.params})")
    alive, at = min((alive_coordinates(arch, prune, e), e) for e in when)
    if k > alive:  # the Hessian restricted to alive weights has only `alive` eigenpairs
        raise c.fail("k", f"{k} is more than the {alive} alive parameters at epoch {at} (allowed: 1..{alive})")
    split = c.choice("split", raw.get("split", d.split), FLATNESS_SPLITS)
    available = test_count if split == "test" else CLASS_SIZES[dataset] * 10
    count = c.integer("count", raw.get("count", d.count))
    if not 1 <= count <= available:
        raise c.fail("count", f"{count} images (allowed: 1..{available}, the {dataset} {split} split)")
    eps = tuple(c.number(f"eps[{i}]", v) for i, v in enumerate(c.array("eps", raw.get("eps", list(d.eps)))))
    if not eps:
        raise c.fail("eps", "the ε grid is empty (allowed: a list of finite numbers, e.g. -0.4..0.4 by 0.01)")
    if not all(math.isfinite(e) and abs(e) <= MAX_EPS for e in eps) or len(set(eps)) != len(eps):
        raise c.fail("eps", f"needs distinct finite numbers in [-{MAX_EPS:g}, {MAX_EPS:g}]")
    vectors = c.integer("vectors", raw.get("vectors", d.vectors), 0)
    if vectors > k:
        raise c.fail("vectors", f"{vectors} directions but only k = {k} eigenvectors (allowed: 0..{k})")
    tol = c.number("tol", raw.get("tol", d.tol))
    if not 0 <= tol < 1:
        raise c.fail("tol", f"{tol:g} must be >= 0 and < 1 (0 = the method's default)")
    return FlatnessSpec(
        epochs=when,
        k=k,
        split=split,
        count=count,
        method=c.choice("method", raw.get("method", d.method), FLATNESS_METHODS),
        eps=eps,
        vectors=vectors,
        eps_scan=c.choice("eps_scan", raw.get("eps_scan", d.eps_scan), FLATNESS_SCANS),
        hutchinson=c.integer("hutchinson", raw.get("hutchinson", d.hutchinson), 0, MAX_ITERATIONS),
        steps=c.integer("steps", raw.get("steps", d.steps), 0, MAX_ITERATIONS),
        tol=tol,
        seed=c.integer("seed", raw.get("seed", d.seed), 0, SEED_MAX),
    )
