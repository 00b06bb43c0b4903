"""`gst query` streams: a table stops at --limit and says how many rows it left out; CSV and JSON are written as
rows come; control characters are removed in every form."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gst.store.db import writing
from gst.store.sandbox import stream_query
from gst.tui.cli.store_commands import TABLE_ROWS
from gst.tui.entry import app

NASTY = "SELECT 'a' || chr(0) || 'b' || chr(8238) || 'c' || chr(27) || '[31m' AS s, [chr(7) || 'x', 'y'] AS l, 1.5::DOUBLE AS f"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    db = tmp_path / "gst.duckdb"
    with writing(db):
        pass
    return db


def query(store: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["query", *args, "--db", str(store)])
    return result.exit_code, result.stdout, result.stderr


def table_values(out: str) -> list[str]:
    return [line.strip("│ ") for line in out.splitlines() if line.startswith("│")]


def test_a_table_stops_at_the_limit_and_counts_the_rest(store: Path) -> None:
    code, out, err = query(store, "SELECT * FROM range(12)", "--limit", "5")
    assert code == 0 and table_values(out) == ["0", "1", "2", "3", "4"]
    assert err == "… 7 more rows not shown; --limit 0 shows all\n"
    code, out, err = query(store, "SELECT * FROM range(12)", "--limit", "0")
    assert code == 0 and len(table_values(out)) == 12 and err == ""
    code, out, err = query(store, f"SELECT * FROM range({TABLE_ROWS + 2500})")
    assert (
        code == 0
        and len(table_values(out)) == TABLE_ROWS
        and err == "… 2,500 more rows not shown; --limit 0 shows all\n"
    )


def test_csv_and_json_write_every_row_unless_limited(store: Path) -> None:
    code, out, err = query(store, "SELECT range AS n, range * 2 AS twice FROM range(5000)", "--csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and err == "" and rows[0] == ["n", "twice"] and len(rows) == 5001 and rows[-1] == ["4999", "9998"]
    code, out, _ = query(store, "SELECT range AS n FROM range(5000)", "--json")
    assert code == 0 and json.loads(out) == [{"n": i} for i in range(5000)]
    code, out, err = query(store, "SELECT range AS n FROM range(5000)", "--json", "--limit", "3")
    assert code == 0 and json.loads(out) == [{"n": 0}, {"n": 1}, {"n": 2}] and "4,997 more rows" in err
    assert query(store, "SELECT 1 AS n WHERE false", "--json")[1] == "[]\n"


def test_json_text_is_what_json_dumps_writes(store: Path) -> None:
    sql = "SELECT 1 AS a, 'x' AS b, NULL AS c, [1.5, 2.5] AS d, {'k': [1, 2]} AS e, true AS f, 2.25 AS g, now() AS h"
    code, out, _ = query(store, sql, "--json")
    assert code == 0
    data = json.loads(out)
    assert out == json.dumps(data, indent=2) + "\n" and data[0]["e"] == {"k": [1, 2]}


def test_control_characters_are_removed_in_every_form(store: Path) -> None:
    for form in ((), ("--csv",), ("--json",)):
        code, out, _ = query(store, NASTY, *form)
        assert code == 0
        assert not any(ch in out for ch in ("\x00", "\u202e", "\x1b", "\x07")), (form, out)
        assert "abc[31m" in out and ("'x'" in out or '"x"' in out or "x" in out)
    code, out, _ = query(store, NASTY, "--json")
    assert json.loads(out) == [{"s": "abc[31m", "l": ["x", "y"], "f": 1.5}]


def test_a_stream_holds_two_chunks_ahead_at_most(store: Path) -> None:
    """Memory stays flat: the query's thread waits while the reader has not taken its chunks."""
    with stream_query(store, "SELECT * FROM range(1000000)") as stream:
        chunks = stream.chunks()
        first = next(chunks)
        assert stream.columns == ["range"] and len(first) == 2048 and stream.items.qsize() <= 2
        assert not stream.done.is_set()  # far from the end: it waits for the reader
    assert stream.done.is_set()
