"""One flatness measurement of a trained model (method-later §2): eigenpairs, gradient noise, Tr H, ε-table.

Runs in eval mode on a functional copy of the weights: the model's parameters, buffers and masks are
never written, so the run continues bitwise as if nothing had been measured (§5 item 9).
"""

from __future__ import annotations

import math
import time

import torch
from torch import nn

from gst.engine.flatness.eigen import EXPLICIT, RESIDUAL_BOUND, top_eigenpairs, unresolved
from gst.engine.flatness.gradnoise import gradient_noise, hutchinson_trace
from gst.engine.flatness.hvp import FlatLoss, alive_vector
from gst.engine.flatness.perturb import eps_star, perturbation_table
from gst.engine.loader import DeviceData
from gst.engine.spec.events import FlatnessMeasured
from gst.engine.spec.specs import FlatnessSpec

Governed = dict[str, list[tuple[torch.Tensor, torch.Tensor]]]


def flatness_images(data: DeviceData, spec: FlatnessSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """The first `count` test images (parity, §6.3) or a subset of the run's train set seeded by `spec.seed`."""
    if spec.split == "test":
        return data.normalize(data.x_test[: spec.count]), data.y_test[: spec.count]
    order = torch.randperm(data.train_size, generator=torch.Generator().manual_seed(spec.seed))[: spec.count]
    order = order.to(data.device)
    return data.normalize(data.x_train[order]), data.y_train[order]


def sizes(device: torch.device) -> dict[str, int]:
    """Examples per forward and vectors per product: large on a GPU, small enough for a CPU's caches."""
    if device.type == "cuda":
        return {"chunk": 512, "block": 8, "grad_chunk": 64, "stack": 16}
    return {"chunk": 128, "block": 1, "grad_chunk": 16, "stack": 1}


def eigen_options(spec: FlatnessSpec) -> dict[str, float | int]:
    """Steps and tolerance of the chosen method, with the method's defaults for 0."""
    if spec.method == "power_parity":
        return {"steps": spec.steps or 20, "tol": spec.tol or 1e-4}
    return {"max_steps": spec.steps, "tol": spec.tol or 1e-3, "explicit": max(EXPLICIT, spec.vectors)}


def measure(
    run_id: str,
    epoch: int,
    model: nn.Module,
    governed: Governed,
    data: DeviceData,
    spec: FlatnessSpec,
    eval_batch_size: int,
) -> FlatnessMeasured:
    """Measure everything of §2 on `model` at `epoch`; the model is left exactly as it was."""
    was_training = model.training
    model.eval()
    try:
        x, y = flatness_images(data, spec)
        alive = alive_vector(model, governed).to(data.device)
        n = sizes(data.device)
        f = FlatLoss(model, x, y, alive, chunk=n["chunk"])
        gen = torch.Generator().manual_seed(spec.seed)
        began = time.perf_counter()
        pairs = top_eigenpairs(
            f.operator(n["block"]),
            f.size,
            spec.k,
            spec.method,
            generator=gen,
            mask=alive,
            device=data.device,
            dtype=f.theta.dtype,
            **eigen_options(spec),
        )
        hessian_s = time.perf_counter() - began
        noise = gradient_noise(f, n["grad_chunk"])
        trace = hutchinson_trace(f, spec.hutchinson, gen, n["block"])
        noise_s = time.perf_counter() - began - hessian_s
        table = perturbation_table(
            f,
            pairs.vectors[: spec.vectors],
            spec.eps,
            lambda: data.test_batches(eval_batch_size),
            n["stack"],
            until_star=spec.eps_scan == "until_star",
        )
        perturb_s = time.perf_counter() - began - hessian_s - noise_s
    finally:
        model.train(was_training)
    values = pairs.values.tolist()
    total = float(sum(values))
    return FlatnessMeasured(
        run_id=run_id,
        epoch=epoch,
        method=spec.method,
        split=spec.split,
        count=spec.count,
        eigenvalues=tuple(values),
        residuals=tuple(pairs.residuals.tolist()),
        residuals_checked=pairs.checked,
        unresolved=unresolved(pairs.residuals),
        residual_bound=RESIDUAL_BOUND,
        steps=pairs.steps,
        hvps=pairs.products,
        grad_sq_trace=noise.uncentered,
        grad_cov_trace_centered=noise.centered,
        hutchinson_trace=trace,
        eig_sum=total,
        eig_sum_positive=float(sum(v for v in values if v > 0)),
        lambda_min=float(min(values)),
        tic=noise.uncentered / total if total != 0 else math.nan,
        eps_star=eps_star(spec.eps, table.loss - table.base_loss) if spec.vectors else math.nan,
        test_loss=table.base_loss,
        test_acc=table.base_acc,
        eps=tuple(spec.eps),
        perturb_loss=tuple(tuple(float(v) for v in row) for row in table.loss),
        perturb_acc=tuple(tuple(float(v) for v in row) for row in table.acc),
        seconds_hessian=hessian_s,
        seconds_noise=noise_s,
        seconds_perturb=perturb_s,
    )
