"""CLI errors name the file, line or key, exit with 2 and print no traceback."""
import json
import subprocess
import sys

from conftest import ROOT
from incident_roles.serving.batch import run_batch
from incident_roles.serving.cli import main


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "incident_roles", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_extract_names_a_file_that_is_not_utf8(tmp_path):
    report = tmp_path / "report.txt"
    report.write_bytes(b"Gunmen at\xfftacked a patrol.")
    r = _cli("extract", str(report), "--model", str(tmp_path / "no-model"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.splitlines()[-1] == f"error: {report}: not UTF-8 text (byte 0xff at offset 9)"


def test_batch_errors_name_file_line_and_column(tiny_model, tmp_path):
    bad_header = tmp_path / "c.csv"
    bad_header.write_bytes(b"id,te\xffxt\na,b\n")
    r = _cli("batch", "--model", str(tiny_model), "--input", str(bad_header), "--output",
             str(tmp_path / "o.jsonl"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.splitlines()[-1] == f"error: {bad_header}: not UTF-8 text on line 1 (byte 0xff at offset 5)"


def test_cli_errors_in_process(tiny_model, tmp_path, capsys):
    csv_path = tmp_path / "c.csv"
    csv_path.write_text("id,body\na,x\n", encoding="utf-8")
    assert main(["batch", "--model", str(tiny_model), "--input", str(csv_path), "--output",
                 str(tmp_path / "o.jsonl"), "--no-progress"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (  # without the quotes str(KeyError) adds
        f"error: {csv_path}: no column 'text' in the header on line 1 (columns: id, body); "
        "choose one with --text-column")
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    assert main(["batch", "--model", str(tiny_model), "--input", str(folder), "--output",
                 str(tmp_path / "o.jsonl")]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"error: {folder}: Is a directory"


def test_merge_cli_names_the_missing_shard(tiny_model, tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"text": "Gunmen attacked a patrol."}) + "\n", encoding="utf-8")
    out = tmp_path / "out.0.jsonl"
    run_batch(str(tiny_model), corpus, out, shard="0/3", progress=False)
    assert main(["merge", str(out), "--output", str(tmp_path / "m.jsonl")]) == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert err.startswith("error: missing shard 1/3, 2/3") and str(out) in err
    assert not (tmp_path / "m.jsonl").exists()
