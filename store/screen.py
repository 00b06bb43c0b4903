"""Which journal operations may reach the database: one sweep, one record.

A sweep or run is registered once. A registration that repeats the stored one (a journal replayed after a crash)
changes nothing; one that differs is refused, never written over the stored row; a run whose sweep is not
registered is refused too. An event is applied only to a run that is registered (in the database or earlier in
the same batch): measurements of a run that does not exist would be rows without their run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from gst.store.rows import REGISTRATIONS, Row, RunRow, SweepRow, columns, from_op

Op = dict[str, Any]
CHANGES_AFTER_REGISTRATION = {"status"}  # runs: set by the run's events, not by its registration


@dataclass
class Screened:
    """The operations to apply, and the refused ones by position with the reason."""

    keep: list[Op] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def screen(conn: duckdb.DuckDBPyConnection, ops: list[Op]) -> Screened:
    """Sort `ops` into those to apply and those refused (see the module docstring); registrations first."""
    rows: dict[int, SweepRow | RunRow] = {}
    for i, op in enumerate(ops):
        if op.get("op") in REGISTRATIONS:
            row = from_op(str(op["op"]), op[str(op["op"])])
            assert isinstance(row, SweepRow | RunRow)  # the only registration rows
            rows[i] = row
    stored_sweeps = _stored(conn, "sweeps", "sweep_id", [r.sweep_id for r in rows.values()])  # runs' sweeps too
    run_ids = [r.run_id for r in rows.values() if isinstance(r, RunRow)]
    event_runs = [str(op["event"].get("run_id")) for op in ops if op.get("op") == "event"]
    stored_runs = _stored(conn, "runs", "run_id", run_ids)
    known_runs = set(stored_runs) | _existing_runs(conn, [r for r in event_runs if r not in stored_runs])
    out = Screened()
    taken: dict[str, Row] = {}  # registrations kept from this batch, by id
    refused_runs: set[str] = set()
    refused_sweeps: set[str] = set()
    keep: dict[int, Op] = {}
    for i, row in sorted(rows.items(), key=lambda item: isinstance(item[1], RunRow)):  # sweeps before their runs
        key = row.sweep_id if isinstance(row, SweepRow) else row.run_id
        what = f"{'sweep' if isinstance(row, SweepRow) else 'run'} {key}"
        stored = (stored_sweeps if isinstance(row, SweepRow) else stored_runs).get(key)
        earlier = taken.get(what)
        differs = (
            _differences(row, stored) if stored is not None else _differences(row, asdict(earlier)) if earlier else []
        )
        new = stored is None and earlier is None
        orphan = isinstance(row, RunRow) and row.sweep_id not in stored_sweeps and f"sweep {row.sweep_id}" not in taken
        disowned = isinstance(row, RunRow) and row.sweep_id in refused_sweeps  # a run of the sweep refused above
        if differs or (new and (orphan or disowned)):
            why = f"is already registered with other {', '.join(differs)}; not replaced" if differs else ""
            why = (
                why
                or f"belongs to sweep {row.sweep_id}, {'whose registration was refused' if disowned else 'which is not registered'}"
            )
            out.refused.append((i, f"{what} {why}"))
            (refused_runs if isinstance(row, RunRow) else refused_sweeps).add(key)
        elif new:
            taken[what] = row
            keep[i] = ops[i]
            if isinstance(row, RunRow):
                known_runs.add(key)
        # else: the same registration again, nothing to write
    for i, op in enumerate(ops):
        if op.get("op") in REGISTRATIONS:
            continue
        run_id = str(op["event"].get("run_id")) if op.get("op") == "event" else None
        if run_id is not None and (run_id in refused_runs or run_id not in known_runs):
            kind = op["event"].get("type", "event")
            out.refused.append((i, f"{kind} of run {run_id}, which is not registered"))
            continue
        keep[i] = op
    out.keep = [keep[i] for i in sorted(keep)]
    out.refused.sort()
    return out


def _stored(conn: duckdb.DuckDBPyConnection, table: str, key: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    cur = conn.execute(f"SELECT * FROM {table} WHERE list_contains(?, {key})", [sorted(set(ids))])
    names = [d[0] for d in cur.description]
    return {row[names.index(key)]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}


def _existing_runs(conn: duckdb.DuckDBPyConnection, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    found = conn.execute("SELECT run_id FROM runs WHERE list_contains(?, run_id)", [sorted(set(ids))]).fetchall()
    return {row[0] for row in found}


def _differences(row: SweepRow | RunRow, stored: dict[str, Any]) -> list[str]:
    """The registration columns whose values differ from the stored ones (timestamps compared as times)."""
    differ = []
    for name in columns(type(row)):
        if name in CHANGES_AFTER_REGISTRATION:
            continue
        mine, theirs = getattr(row, name), stored.get(name)
        if isinstance(theirs, datetime) and isinstance(mine, str):
            try:
                mine = datetime.fromisoformat(mine)
            except ValueError:
                pass
        if mine != theirs:
            differ.append(name)
    return differ
