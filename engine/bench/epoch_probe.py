"""A few seconds of a run's own training and testing on this device, timed: what the launch estimate uses where
the database holds no epochs of that model yet.

`python -m gst.engine.bench.epoch_probe SPEC_JSON DEVICE THREADS` builds the spec's trainer on a small synthetic
set of the same image shape (same model, batch size, augmentation, precision; pruning active, as after a run's
first event), trains one untimed epoch to warm up, then times one training epoch and one pass over the test
set, with the threads a sweep's worker would have. It prints one JSON line: seconds per training and per test
image, and how long importing torch and building the trainer took (a run's fixed costs).
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import asdict, dataclass, replace

STARTED = time.perf_counter()

import torch  # noqa: E402 - timed from the interpreter's start

from gst.engine.bench.throughput import synchronize  # noqa: E402
from gst.engine.device import resolve_device  # noqa: E402
from gst.engine.spec.job import Job  # noqa: E402
from gst.engine.spec.schedule import schedule  # noqa: E402
from gst.engine.spec.specs import RunSpec, spec_from_dict  # noqa: E402
from gst.engine.train_job import build_trainer  # noqa: E402

IMPORTED = time.perf_counter()
MIN_IMAGES = 160  # training images timed (at least two batches)


@dataclass(frozen=True, slots=True)
class EpochProbe:
    """Seconds per image of training and of testing, and the fixed costs of a run, measured on this device."""

    train_s_per_image: float
    test_s_per_image: float
    import_s: float  # interpreter start to torch and gst imported
    build_s: float  # the trainer built: data made and moved, model built
    train_images: int
    test_images: int
    threads: int
    ended_at: float  # time.time() when the measurement ended, so a parent reading it later knows the wall time


def probe_spec(spec: RunSpec) -> RunSpec:
    """The spec on a small synthetic set of the same image shape, its batch size fixed as the run would have it."""
    batch = spec.resolved_batch_size
    per_class = math.ceil(max(MIN_IMAGES, 2 * batch) / 10)
    return replace(
        spec,
        dataset="synthetic",
        examples_per_class=min(per_class, spec.examples_per_class),
        batch_size=batch,
        flatness=None,
        bn_probe_epochs=(),
    )


def probe(spec: RunSpec, device: str, threads: int) -> EpochProbe:
    """Time one training epoch and one test pass of `spec`'s trainer (after a warm-up epoch)."""
    torch.set_num_threads(threads)
    began = time.perf_counter()
    dev = resolve_device(device)
    small = probe_spec(spec)
    trainer = build_trainer(Job(run_id="probe", spec=small, seed=0), dev, None)
    events = schedule(trainer.spec)
    if events:
        trainer.pruner.apply(events[min(events)])  # masks enforced every step, as after a run's first event
    built = time.perf_counter()
    trainer.train_epoch()  # warm-up
    synchronize(dev)
    t0 = time.perf_counter()
    trainer.train_epoch()
    synchronize(dev)
    t1 = time.perf_counter()
    trainer.evaluate()
    synchronize(dev)
    t2 = time.perf_counter()
    train_images, test_images = trainer.data.train_size, int(trainer.data.y_test.numel())
    return EpochProbe(
        train_s_per_image=(t1 - t0) / train_images,
        test_s_per_image=(t2 - t1) / test_images,
        import_s=IMPORTED - STARTED,
        build_s=built - began,
        train_images=train_images,
        test_images=test_images,
        threads=threads,
        ended_at=time.time(),
    )


def main(argv: list[str]) -> int:
    """Print the probe of the spec given as JSON, on DEVICE with THREADS threads, as one JSON line."""
    spec_json, device, threads = argv
    result = probe(spec_from_dict(json.loads(spec_json), "probe"), device, int(threads))
    print(json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
