"""`gst bench --flatness`: bad counts are one-line errors; a tiny bench prices both recipes from measured units."""

from __future__ import annotations

import pytest
import torch
from typer.testing import CliRunner

from gst.engine.flatness.bench import GST_PASSES, PARITY_PASSES, flatness_bench
from gst.tui.cli.main import app


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--images", "0"], "--images: 0 is outside 1..10000"),
        (["--pass-images", "5000"], "--pass-images: 5000 is outside 1..1000"),
        (
            ["--solver-model", "resnet"],
            "--solver-model: 'resnet' is not allowed (allowed: conv4, vgg11, resnet18, resnet20, resnet56)",
        ),
    ],
)
def test_bad_flatness_bench_options(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["bench", "--flatness", "--device", "cpu", *args])
    assert result.exit_code == 1
    assert message in result.output


@pytest.mark.slow
def test_tiny_flatness_bench_prices_both_recipes() -> None:
    r = flatness_bench("conv4", torch.device("cpu"), images=4, k=2, pass_images=20, repeats=1)
    assert r.hvp_seconds > 0 and r.test_pass_seconds > 0 and r.parity.products >= 2 and r.lanczos.products >= 2
    assert r.parity_recipe_seconds == pytest.approx(
        r.parity_hvps_full * r.hvp_seconds + PARITY_PASSES * r.test_pass_seconds
    )
    unit = min(r.hvp_seconds, r.hvp_block_seconds)
    passes = min(r.test_pass_seconds, r.stacked_pass_seconds)
    assert r.gst_recipe_seconds == pytest.approx((r.gst_hvps_full + 100) * unit + GST_PASSES * passes)
    assert r.to_json()["speedup"] == pytest.approx(r.parity_recipe_seconds / r.gst_recipe_seconds)
