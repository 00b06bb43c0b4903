"""How a sweep executes, as typed options: each declared once, with its flag and help, by the part that uses it.

`ExecutionOptions` holds what every backend shares; each backend has its own option set (`LocalOptions`,
`RayOptions`) that knows its flags, checks its values, and builds the backend. The registry of backends
(`gst.engine.execution.backend.BACKENDS`) maps a name to its option set; front ends turn the fields into
flags (`flag_fields`), so a new option or backend needs no change outside this layer. Importing this module
imports neither torch nor Ray.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from gst.engine.cadence import CheckpointEvery
from gst.engine.spec.datasets import check_data_dir
from gst.engine.spec.errors import SpecError
from gst.engine.spec.job import DEFAULT_THREADS

if TYPE_CHECKING:
    from gst.engine.execution.backend import Backend


def option(default: Any, flags: str | tuple[str, ...], help: str, env: str | None = None) -> Any:  # noqa: A002
    """A dataclass field that front ends expose as a flag (the first flag is its name, the others aliases),
    read from the environment variable `env` when given."""
    names = (flags,) if isinstance(flags, str) else flags
    return field(default=default, metadata={"flags": names, "help": help, "env": env})


def flag_fields(cls: type) -> list[Field[Any]]:
    """The fields of an option set that are flags, in declaration order."""
    return [f for f in fields(cls) if "flags" in f.metadata]


def flag_name(cls: type, name: str) -> str:
    """The flag of one field, as error messages name it (`--workers`)."""
    return str(next(f for f in fields(cls) if f.name == name).metadata["flags"][0])


def defaults(cls: type) -> dict[str, Any]:
    """Every field's default value."""
    return {f.name: f.default for f in fields(cls) if f.default is not MISSING}


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionOptions:
    """Where runs train and where their durable state lives; the same for every backend."""

    backend: str = option("local", "--backend", "local (this machine) or ray (a Ray cluster).")
    device: str = option("auto", "--device", "auto, cpu, cuda or cuda:N.")
    data_dir: Path | None = option(
        None,
        "--data-dir",
        "Folder with cifar10.npz or torchvision's CIFAR-10 (env GST_DATA_DIR; default ~/.cache/gst/data).",
        env="GST_DATA_DIR",
    )
    stack_seeds: int | None = option(
        None,
        ("--stack-seeds", "--batch-seeds"),
        "Seeds of one arm trained as one stacked network (default: 1 on CPU; on a GPU, up to 16, until the "
        "stacked batch reaches ~1024 images). The one exception to 'one seed, one result': vmap changes the order "
        "of summation, so a stacked seed's numbers are close to, not bitwise equal to, the same seed alone.",
    )
    threads: int = option(
        DEFAULT_THREADS,
        "--threads",
        "CPU threads each run trains with (default 1, so a seed gives bitwise the same numbers in every layout). "
        "More makes a lone run faster on an idle machine but changes its numbers; recorded per run, and a resumed "
        "run keeps the threads it started with.",
    )
    checkpoint_every: str = option(
        "60s",
        "--checkpoint-every",
        "Write checkpoints every N epochs (5) or every time span (90s, 2m); also at an interruption and, with "
        "--keep-checkpoints, at the end.",
    )
    keep_checkpoints: bool = option(False, "--keep-checkpoints", "Keep each run's last checkpoint after it completes.")
    max_attempts: int = option(
        3, "--max-attempts", "Times a stack is tried when its worker or node dies (it resumes each time)."
    )
    checkpoint_dir: Path | None = option(
        None,
        "--checkpoint-dir",
        "Where checkpoints go (default: beside the database); with --backend ray, storage every node sees at "
        "the same path.",
    )
    journal_dir: Path | None = None  # where producers journal events (the caller sets it beside the database)
    log_dir: Path | None = None  # where a crashed run's traceback goes (the caller sets it beside the database)

    @property
    def cadence(self) -> CheckpointEvery:
        """`--checkpoint-every` parsed (SpecError naming the flag when it is not understood)."""
        return CheckpointEvery.parse(self.checkpoint_every, keep_final=self.keep_checkpoints)

    def check(self) -> None:
        """SpecError naming the flag of the first value that is out of range."""
        self.cadence  # noqa: B018 - parsed for its error
        if self.stack_seeds is not None and self.stack_seeds < 1:
            raise SpecError(f"--stack-seeds: {self.stack_seeds} must be >= 1")
        if self.threads < 1:
            raise SpecError(f"--threads: {self.threads} must be >= 1")
        if self.max_attempts < 1:
            raise SpecError(f"--max-attempts: {self.max_attempts} must be >= 1")
        check_data_dir(self.data_dir)

    @property
    def checkpoints(self) -> Path:
        """The checkpoint folder (set by the caller)."""
        if self.checkpoint_dir is None:
            raise SpecError("--checkpoint-dir: no folder was set for checkpoints")
        return self.checkpoint_dir

    @property
    def journals(self) -> Path:
        """The journal folder (set by the caller)."""
        if self.journal_dir is None:
            raise SpecError("journal: no folder was set for the write-ahead journal")
        return self.journal_dir


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalOptions:
    """`--backend local`: this machine, in this process or in worker processes."""

    name: ClassVar[str] = "local"
    workers: int | None = option(
        None, "--workers", "Runs trained at once in worker processes (CPU default: one per core)."
    )
    gpus: str | None = option(None, "--gpus", "Comma-separated GPU indices: one worker per GPU, e.g. 0,1.")

    def gpu_indices(self) -> tuple[int, ...]:
        """`--gpus 0,1` -> (0, 1), each checked to exist on this machine."""
        if not self.gpus:
            return ()
        items = [g.strip() for g in self.gpus.split(",") if g.strip()]
        if not items or not all(g.isdigit() for g in items):
            raise SpecError(f"--gpus: {self.gpus!r} must be GPU indices, for example 0,1")
        from gst.engine.device import resolve_device

        for g in items:
            resolve_device(f"cuda:{g}")
        return tuple(int(g) for g in items)

    def stack_device(self, common: ExecutionOptions) -> str:
        """The device that decides how many seeds stack by default."""
        from gst.engine.device import resolve_device

        gpus = self.gpu_indices()
        return f"cuda:{gpus[0]}" if gpus else str(resolve_device(common.device))

    def build(self, common: ExecutionOptions, stacks: int) -> Backend:
        """The in-process backend, or the worker pool when more than one worker is planned."""
        from gst.engine.execution.local import local_backend

        if self.workers is not None and self.workers < 1:
            raise SpecError(f"--workers: {self.workers} must be >= 1")
        return local_backend(common, workers=self.workers, gpus=self.gpu_indices(), stacks=stacks)


@dataclass(frozen=True, slots=True, kw_only=True)
class RayOptions:
    """`--backend ray`: a Ray cluster; one Ray task per stack."""

    name: ClassVar[str] = "ray"
    address: str = option(
        "auto",
        "--address",
        "--backend ray: the cluster, auto (RAY_ADDRESS or a cluster started on this machine), HOST:PORT, or "
        "local (start one here).",
    )
    gpus_per_stack: float = option(
        0.0, ("--gpus-per-stack", "--gpus-per-batch"), "--backend ray: GPUs each stack takes (0: train on CPU)."
    )
    cpus_per_stack: float = option(
        1.0,
        ("--cpus-per-stack", "--cpus-per-batch"),
        "--backend ray: CPUs each stack reserves on the cluster (its runs' threads are --threads).",
    )

    def stack_device(self, common: ExecutionOptions) -> str:
        """Stacks on GPUs stack seeds as a local GPU does; on CPUs, one seed per stack."""
        return "cuda" if self.gpus_per_stack else "cpu"

    def build(self, common: ExecutionOptions, stacks: int) -> Backend:
        """Connect to the cluster and probe its nodes."""
        if self.gpus_per_stack < 0:
            raise SpecError(f"--gpus-per-stack: {self.gpus_per_stack:g} must be >= 0")
        if self.cpus_per_stack <= 0:
            raise SpecError(f"--cpus-per-stack: {self.cpus_per_stack:g} must be > 0")
        from gst.engine.execution.ray_cluster import RayBackend

        return RayBackend(common, self)
