"""Batch inputs: physical line numbers, ids kept as given, streaming readers, and every reader's bad-input
branch reported with file, line (or row) and field while the good rows still come through."""
import json
import re
import tracemalloc

import pytest

from incident_roles.serving.batch import iter_rows, run_batch

GOOD = ["Iranian forces struck bases in Baluchistan, killing two children.",
        "Pakistan recalled its ambassador from Tehran.",
        "Gunmen attacked a border patrol, wounding three."]


def _lines(path):
    return [json.loads(l) for l in open(path, encoding="utf-8")]


def _errors(out):
    return _lines(str(out) + ".errors.jsonl")


def _run(model, path, out, **kw):
    return run_batch(str(model), path, out, batch_size=2, progress=False, **kw)


def test_jsonl_errors_give_the_physical_line_after_blank_lines(tiny_model, tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join([json.dumps({"id": "a", "text": GOOD[0]}), "", "  ", "{bad json",
                               json.dumps({"id": "b", "text": GOOD[1]}), "", json.dumps({"id": "c"})]) + "\n")
    out = tmp_path / "out.jsonl"
    _run(tiny_model, path, out)
    assert [(l["id"], l["row"]) for l in _lines(out)] == [("a", 0), ("b", 2)]
    bad_json, no_text = _errors(out)
    assert bad_json["line"] == 4 and bad_json["reason"].startswith("invalid JSON on line 4")
    assert (no_text["line"], no_text["row"], no_text["field"], no_text["reason"]) == (7, 3, "text", "missing text")
    assert bad_json["input"] == no_text["input"] == str(path)


def test_csv_errors_give_the_line_the_row_starts_on(tiny_model, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(f'id,text\na,"{GOOD[0]}\nsecond line"\n\nb,\nc,{GOOD[1]}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    _run(tiny_model, path, out)
    assert [l["id"] for l in _lines(out)] == ["a", "c"]
    [err] = _errors(out)
    assert (err["id"], err["row"], err["line"], err["field"], err["reason"]) == ("b", 1, 5, "text", "empty text")
    assert [r.line for r in iter_rows(path)] == [2, 5, 6]


def test_ids_are_kept_exactly_as_given(tmp_path):
    csv_path = tmp_path / "c.csv"
    csv_path.write_text("id,text\n1,x\n,y\n007,z\n3,w\n", encoding="utf-8")  # pandas made these 1.0, 7.0, 3.0
    assert [r.id for r in iter_rows(csv_path)] == ["1", "1", "007", "3"]
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in [{"id": 3, "text": "x"}, {"id": "3", "text": "y"},
                                                            {"text": "z"}, {"id": "x y", "text": "w"}]))
    assert [r.id for r in iter_rows(jsonl)] == ["3", "3", "2", "x y"]


def test_duplicate_and_colliding_ids_each_keep_their_record(tiny_model, tmp_path):
    path = tmp_path / "c.jsonl"
    rows = [{"id": "1", "text": GOOD[0]}, {"text": GOOD[1]}, {"id": "dup", "text": GOOD[2]},
            {"id": "dup", "text": GOOD[0]}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))  # row 1's default id is "1", as row 0's
    out = tmp_path / "out.jsonl"
    for stop_after in (1, 2, None):  # interrupted between the rows that share an id, then resumed
        run_batch(str(tiny_model), path, out, batch_size=1, progress=False, stop_after=stop_after)
    assert [(l["row"], l["id"]) for l in _lines(out)] == [(0, "1"), (1, "1"), (2, "dup"), (3, "dup")]
    again = _run(tiny_model, path, out)
    assert again["written"] == 0 and again["skipped_done"] == 4 and len(_lines(out)) == 4


def test_jsonl_reader_branches_lose_no_good_row(tiny_model, tmp_path):
    path = tmp_path / "c.jsonl"
    lines = [json.dumps({"id": "g0", "text": GOOD[0]}), "[1, 2]", json.dumps({"id": "n", "text": None}),
             json.dumps({"id": "i", "text": 7}), json.dumps({"id": "g1", "text": GOOD[1]})]
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'{"id": "u", "text": "caf\xe9"}\n'
                     + json.dumps({"id": "g2", "text": GOOD[2]}).encode() + b"\n")
    out = tmp_path / "out.jsonl"
    summary = _run(tiny_model, path, out)
    assert [l["id"] for l in _lines(out)] == ["g0", "g1", "g2"]
    errors = {e["line"]: e for e in _errors(out)}
    assert errors[2]["reason"] == "not a JSON object (list) on line 2" and errors[2]["field"] is None
    assert (errors[3]["field"], errors[3]["reason"]) == ("text", "missing text")
    assert (errors[4]["field"], errors[4]["reason"]) == ("text", "text is not a string (int)")
    assert errors[6]["reason"] == "not UTF-8 text on line 6 (byte 0xe9 at offset 24)"
    assert summary["errors"] == 4 and summary["rows"] == 7


def test_csv_without_the_text_column_names_file_line_and_column(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,body\na,x\n", encoding="utf-8")
    with pytest.raises(KeyError) as e:
        next(iter_rows(path))
    assert e.value.args[0] == (f"{path}: no column 'text' in the header on line 1 (columns: id, body); "
                               "choose one with --text-column")
    path.write_bytes(b"id,t\xffext\na,x\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}: not UTF-8 text on line 1 (byte 0xff at offset 4)")):
        next(iter_rows(path))


def test_csv_bad_row_and_missing_cells_lose_no_good_row(tiny_model, tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(f"id,text\na,{GOOD[0]}\nshort\nb,caf\xc3\n".encode("latin-1") + f"c,{GOOD[1]}\n".encode())
    out = tmp_path / "out.jsonl"
    _run(tiny_model, path, out)
    assert [l["id"] for l in _lines(out)] == ["a", "c"]
    short, latin = _errors(out)
    assert (short["line"], short["field"], short["reason"]) == (3, "text", "missing text")
    assert latin["line"] == 4 and latin["reason"] == "not UTF-8 text on line 4 (byte 0xc3 at offset 5)"


def test_unreadable_parquet_names_the_file(tmp_path):
    path = tmp_path / "c.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(ValueError, match=rf"^{re.escape(str(path))}: not a readable Parquet file"):
        next(iter_rows(path))


def test_corrupt_parquet_row_group_costs_only_its_rows(tiny_model, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "c.parquet"
    texts = [GOOD[k % 3] for k in range(6)]
    pq.write_table(pa.table({"id": [f"r{k}" for k in range(6)], "text": texts}), path, row_group_size=2,
                   compression="snappy")
    col = pq.ParquetFile(path).metadata.row_group(1).column(1)  # the text column of rows 2 and 3
    start = col.dictionary_page_offset if col.has_dictionary_page else col.data_page_offset
    data = bytearray(path.read_bytes())
    data[start:start + col.total_compressed_size] = b"\xff" * col.total_compressed_size
    path.write_bytes(bytes(data))
    out = tmp_path / "out.jsonl"
    summary = _run(tiny_model, path, out)
    assert [l["id"] for l in _lines(out)] == ["r0", "r1", "r4", "r5"]
    errors = _errors(out)
    assert [e["row"] for e in errors] == [2, 3] and all(e["line"] is None for e in errors)
    assert errors[0]["reason"].startswith("unreadable Parquet row group 1 (rows 2-3)")
    assert summary["rows"] == 6 and summary["written"] == 4


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_readers_stream_instead_of_loading_the_file(tmp_path, fmt):
    import pyarrow as pa
    import pyarrow.parquet as pq

    n, text = 3000, "x" * 2000  # a 6 MB file
    path = tmp_path / f"big.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps({"id": k, "text": text}) + "\n" for k in range(n)))
    elif fmt == "csv":
        path.write_text("id,text\n" + "".join(f"{k},{text}\n" for k in range(n)))
    else:
        pq.write_table(pa.table({"id": list(range(n)), "text": [text] * n}), path, row_group_size=200)
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_rows(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == n
    assert peak < 2_000_000, f"{peak} bytes held for a {path.stat().st_size} byte file"
