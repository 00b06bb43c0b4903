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


FLAT = "retrain_period = 4\n[base.flatness]\nepochs = [20]\n"
NOISE = BASE.replace('model = "vgg11"', 'model = "conv4"').replace('"conv5", "conv8"', '"conv3", "conv4"')
NOISE = NOISE.replace('score = "ebn"', 'score = "l2"')
BIG = "100000000000000000000"  # 10**20: beyond every integer column and every seed
E, R = "epochs = 20", "retrain_period = 4"
RANGES = [  # (dotted key, value as TOML writes it, text of BASE it replaces, the replacement with {} for the value)
    ("lr", "inf", E, E + "\nlr = {}"),
    ("lr", "nan", E, E + "\nlr = {}"),
    ("lr", "-inf", E, E + "\nlr = {}"),
    ("lr", "1e308", E, E + "\nlr = {}"),
    ("momentum", "nan", E, E + '\noptimizer = "sgd"\nmomentum = {}'),
    ("momentum", "inf", E, E + '\noptimizer = "sgd"\nmomentum = {}'),
    ("weight_decay", "inf", E, E + "\nweight_decay = {}"),
    ("weight_decay", "nan", E, E + "\nweight_decay = {}"),
    ("weight_decay", "1e300", E, E + "\nweight_decay = {}"),
    ("epochs", "10000000000", E, "epochs = {}"),
    ("epochs", "nan", E, "epochs = {}"),
    ("examples_per_class", BIG, E, E + "\nexamples_per_class = {}"),
    ("batch_size", BIG, E, E + "\nbatch_size = {}"),
    ("test_batch_size", BIG, E, E + "\ntest_batch_size = {}"),
    ("lr_milestones[0]", BIG, E, E + "\nlr_milestones = [{}]"),
    ("bn_probe_epochs[0]", BIG, E, E + "\nbn_probe_epochs = [{}]"),
    ("conv4_dropout[0]", "nan", E, E + "\nconv4_dropout = [{}, 0.0, 0.0]"),
    ("prune.fraction[0]", "nan", "fraction = [0.3, 0.9]", "fraction = [{}, 0.9]"),
    ("prune.fraction[1]", "inf", "fraction = [0.3, 0.9]", "fraction = [0.3, {}]"),
    ("prune.start_epoch[0]", BIG, "start_epoch = [3, 3]", "start_epoch = [{}, 3]"),
    ("prune.end_epoch[0]", BIG, "end_epoch = [10, 12]", "end_epoch = [{}, 12]"),
    ("prune.retrain_period", BIG, R, "retrain_period = {}"),
    ("prune.rate[0]", "nan", R, R + '\nmode = "constant_rate"\nrate = [{}, 0.1]'),
    ("prune.rate[1]", "inf", R, R + '\nmode = "constant_rate"\nrate = [0.1, {}]'),
    ("flatness.eps[1]", "nan", R, FLAT + "eps = [0.0, {}]"),
    ("flatness.eps", "1e308", R, FLAT + "eps = [0.0, {}]"),
    ("flatness.tol", "inf", R, FLAT + "tol = {}"),
    ("flatness.tol", "nan", R, FLAT + "tol = {}"),
    ("flatness.hutchinson", BIG, R, FLAT + "hutchinson = {}"),
    ("flatness.steps", BIG, R, FLAT + "steps = {}"),
    ("flatness.seed", "4294967296", R, FLAT + "seed = {}"),
    ("flatness.k", BIG, R, FLAT + "k = {}"),
    ("flatness.count", BIG, R, FLAT + "count = {}"),
    ("flatness.vectors", BIG, R, FLAT + "vectors = {}"),
    ("flatness.epochs[0]", BIG, R, FLAT.replace("[20]", "[{}]")),
]


@pytest.mark.parametrize(("key", "value", "old", "new"), RANGES, ids=[f"{k}={v}" for k, v, _, _ in RANGES])
def test_numbers_that_are_not_finite_or_out_of_range_are_spec_errors(key: str, value: str, old: str, new: str) -> None:
    """TOML reads inf and nan as floats (and `--set` parses its values the same way): no key takes them."""
    with pytest.raises(SpecError) as info:
        parse_preset(bad(old, new.format(value)), name="bad")
    message = str(info.value)
    assert message.startswith("bad.toml: base: ") and f" {key}: " in message and "\n" not in message, message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (NOISE.replace(R, R + '\nnoise = "iter_99999999999999999999_zeroing"'), "prune.noise"),
        ("seeds = [4294967296]\n" + BASE, "seeds"),
        ("seeds = [-1]\n" + BASE, "seeds"),
        ("seeds = [0, 4294967295, 0]\n" + BASE, "seeds"),
    ],
)
def test_noise_windows_and_seeds_out_of_range_or_repeated(text: str, key: str) -> None:
    with pytest.raises(SpecError, match=rf"bad.toml: (base: )?{key}: "):
        parse_preset(text, name="bad")


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "1e308"])
def test_set_parses_non_finite_numbers_and_they_are_refused(value: str) -> None:
    with pytest.raises(SpecError, match=r"lr: "):
        load_preset("smoke", (f"base.lr={value}",))
