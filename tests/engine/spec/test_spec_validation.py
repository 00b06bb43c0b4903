"""Every bad input is one SpecError naming the key, the value and what is allowed."""

from __future__ import annotations

import pytest

from gst.engine.spec.errors import SpecError
from gst.engine.spec.preset import load_preset, parse_preset

BASE = """
[base]
model = "vgg11"
epochs = 20
[base.prune]
layers = ["conv5", "conv8"]
score = "ebn"
target = "small"
start_epoch = [3, 3]
end_epoch = [10, 12]
fraction = [0.3, 0.9]
retrain_period = 4
"""


def bad(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


CASES = [
    (bad('model = "vgg11"', 'model = "resnet"'), "model", "conv4, vgg11, vgg19"),
    (bad('"conv5", "conv8"', '"conv5", "conv42"'), "prune.layers[1]", "allowed: conv1"),
    (bad("epochs = 20", "epochs = 20\ncolour = 1"), "colour", "unknown key"),
    (bad("retrain_period = 4", "retrain_period = 4\nwhen = 3"), "prune.when", "unknown key"),
    (bad("[0.3, 0.9]", "[0.3, 1.0]"), "prune.fraction[1]", "[0, 1)"),
    (bad("[0.3, 0.9]", "[-0.1, 0.9]"), "prune.fraction[0]", "[0, 1)"),
    (bad("start_epoch = [3, 3]", "start_epoch = [3, 13]"), "prune.start_epoch[1]", "s <= e"),
    (bad("retrain_period = 4", "retrain_period = 0"), "prune.retrain_period", ">= 1"),
    (bad("[0.3, 0.9]", "[0.3]"), "prune.fraction", "one per layer"),
    (bad('score = "ebn"', 'score = "l3"'), "prune.score", "magnitude, l2, ebn"),
    (bad('target = "small"', 'target = "huge"'), "prune.target", "small, large, random"),
    (bad('score = "ebn"', 'score = "magnitude"'), "prune.score", "allowed there: l2, l1, ebn, ebn_alt"),
    (bad("epochs = 20", "epochs = 0"), "epochs", ">= 1"),
    (bad("epochs = 20", "epochs = 20\nlr = 0"), "lr", "> 0"),
    (bad("epochs = 20", "epochs = 20\nlr = -1e-3"), "lr", "> 0"),
    (bad("epochs = 20", "epochs = 20\nexamples_per_class = 6000"), "examples_per_class", "5000"),
    (bad("epochs = 20", 'epochs = "twenty"'), "epochs", "integer"),
    (bad("end_epoch = [10, 12]", "end_epoch = [10, 25]"), "prune.end_epoch[1]", "0..19"),
    (bad("retrain_period = 4", 'retrain_period = 4\nbn_on_prune = "keep"'), "prune.bn_on_prune", "l2"),
    (bad("retrain_period = 4", 'retrain_period = 4\nmode = "constant_rate"'), "prune.rate", "one rate per layer"),
    (bad("retrain_period = 4", "retrain_period = 4\nrate = [0.1, 0.1]"), "prune.rate", "constant_rate"),
    (bad("epochs = 20", "epochs = 20\nlr_milestones = [10, 5]"), "lr_milestones", "increasing"),
    (bad("epochs = 20", 'epochs = 20\nbatch_size = "big"'), "batch_size", "auto"),
    (bad("epochs = 20", 'epochs = 20\ndataset = "mnist"'), "dataset", "cifar10, synthetic"),
]


@pytest.mark.parametrize(("text", "key", "allowed"), CASES, ids=[c[1] + ":" + c[2] for c in CASES])
def test_bad_spec_names_key_and_allowed_values(text: str, key: str, allowed: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_preset(text, name="bad")
    message = str(info.value)
    assert message.startswith("bad.toml: base: ") and f" {key}: " in message and allowed in message
    assert "\n" not in message


def test_conv4_layers_reject_filter_scores() -> None:
    text = (
        BASE.replace('model = "vgg11"', 'model = "conv4"')
        .replace('"conv5", "conv8"', '"fc1", "conv2"')
        .replace('score = "ebn"', 'score = "l2"')
    )
    with pytest.raises(SpecError, match=r"prune.score: 'l2' cannot prune conv4.fc1 \(allowed there: magnitude\)"):
        parse_preset(text, name="bad")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("seeds = [0, 0]\n" + BASE, "seeds"),
        ("seeds = []\n" + BASE, "seeds"),
        ("[base\n", "not valid TOML"),
        ("title = 'x'\n", "missing [base]"),
        (BASE + '[[arm]]\nname = "a"\n[[arm]]\nname = "a"\n', "used twice"),
        (BASE + '[[arm]]\nname = "a"\nprune.fraction = [0.3, 2.0]\n', "arm a: prune.fraction[1]"),
        ("wat = 1\n" + BASE, "wat: unknown key"),
    ],
)
def test_bad_preset_structure(text: str, fragment: str) -> None:
    with pytest.raises(SpecError, match="bad.toml") as info:
        parse_preset(text, name="bad")
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("epochs", "KEY=VALUE"),
        ("foo.epochs=2", "keys start with"),
        ("arm.nope.epochs=2", "no arm 'nope'"),
        ("base.epochs=0", "epochs: 0 must be >= 1"),
    ],
)
def test_bad_overrides(override: str, fragment: str) -> None:
    with pytest.raises(SpecError, match=fragment):
        load_preset("smoke", (override,))


def test_unknown_preset_lists_builtins() -> None:
    with pytest.raises(SpecError, match="unknown preset 'nope' .*smoke"):
        load_preset("nope")
