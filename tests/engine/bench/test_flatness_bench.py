"""`gst bench --flatness`: bad counts are one-line errors; a tiny bench prices both recipes from measured units."""

from __future__ import annotations

import pytest
import torch
from typer.testing import CliRunner

from gst.engine.bench.flatness_cost import GST_PASSES, PARITY_PASSES, flatness_bench, scan_passes
from gst.tui.entry import app


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
    r = flatness_bench("conv4", torch.device("cpu"), images=4, k=2, pass_images=20, repeats=1, full_k=4)
    assert r.hvp_seconds > 0 and r.test_pass_seconds > 0 and r.parity.products >= 2 and r.lanczos.products >= 2
    assert r.folded and r.single_pass_seconds > 0  # a CPU evaluates one BN-folded, channels-last copy per pass
    assert r.lanczos_full.k == 4 and r.lanczos_full.checked == 4 and r.gst_hvps_full == r.lanczos_full.products
    assert r.parity_recipe_seconds == pytest.approx(
        r.parity_hvps_full * r.hvp_seconds + PARITY_PASSES * r.test_pass_seconds
    )
    products = r.gst_hvps_full * r.hvp_seconds  # one vector per product on a CPU
    assert r.gst_recipe_seconds == pytest.approx(products + GST_PASSES * r.single_pass_seconds)
    assert r.scan_seconds["none"] == r.gst_recipe_seconds
    assert r.scan_seconds["0.1"] == pytest.approx(products + 201 * r.single_pass_seconds)
    assert r.to_json()["speedup"] == pytest.approx(r.parity_recipe_seconds / r.gst_recipe_seconds)
    assert r.to_json()["speedups"]["0.05"] == pytest.approx(r.parity_recipe_seconds / r.scan_seconds["0.05"])


def test_scan_passes_count_every_direction_and_sign_up_to_eps_star() -> None:
    assert scan_passes(0.07) == 1 + 2 * 10 * 7
    assert scan_passes(0.4) == GST_PASSES == 1 + 800
    assert scan_passes(None) == GST_PASSES
