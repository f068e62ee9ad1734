"""Annotation tools both ways: the corpus exported to Label Studio, doccano and Prodigy and imported back
byte for byte; imported tasks validated like the corpus build, every problem naming task and span."""
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from incident_roles.corpus.exchange import FORMATS, export, import_tasks, label_studio_config, read_tasks
from incident_roles.corpus.reports import read_reports
from incident_roles.labels import LABELS
from incident_roles.serving.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "reports"
TEXT = "Ruritanian commandos raided a border post, killing three guards. Borduria protested."


@pytest.fixture(scope="module")
def corpus_copy(tmp_path_factory):
    """The committed corpus as it stands at run time (it is being reviewed: a file caught mid-edit and
    invalid is the corpus build's business), copied so that nothing is written next to it."""
    reports, _ = read_reports(sorted((ROOT / "data" / "reports").glob("*.txt")))
    assert len(reports) > 100
    folder = tmp_path_factory.mktemp("reports")
    for r in reports:
        shutil.copy(r.source, folder)
    return folder


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_then_import_gives_back_the_corpus_byte_for_byte(fmt, corpus_copy, tmp_path):
    n = export(fmt, tmp_path / "tasks", corpus_copy)
    result = import_tasks(fmt, tmp_path / "tasks", tmp_path / "out")
    assert result.errors == [] and result.warnings == []
    originals = sorted(corpus_copy.glob("*.txt"))
    assert n == len(originals) == len(result.written)
    for path in originals:
        assert (tmp_path / "out" / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unusual_header_order_and_trailing_blank_line_survive(fmt, tmp_path):
    raw = ("incident: 2020-test-raid\nid: t001\nregion: Asia\ntype: raid\nyear:2020\n---\n\n"
           "[Ruritanian commandos](ATTACKER) raided a [border post](TARGET).\n\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "t001.txt").write_text(raw, encoding="utf-8")
    export(fmt, tmp_path / "tasks", tmp_path / "src")
    assert import_tasks(fmt, tmp_path / "tasks", tmp_path / "out").errors == []
    assert (tmp_path / "out" / "t001.txt").read_text(encoding="utf-8") == raw


def test_label_studio_tasks_carry_the_header_and_the_config_names_the_four_labels(tmp_path):
    export("label-studio", tmp_path / "tasks.json", FIXTURES, config_out=tmp_path / "config.xml")
    task = read_tasks(tmp_path / "tasks.json")[0]
    assert list(task["data"]) == ["text", "id", "incident", "type", "region", "year", "style"]
    result = task["annotations"][0]["result"]
    assert len({r["id"] for r in result}) == len(result) > 0
    for r in result:
        assert (r["from_name"], r["to_name"], r["type"]) == ("label", "text", "labels")
        v = r["value"]
        assert task["data"]["text"][v["start"]:v["end"]] == v["text"] and v["labels"][0] in LABELS
    xml = ET.fromstring((tmp_path / "config.xml").read_text(encoding="utf-8"))
    assert [l.get("value") for l in xml.iter("Label")] == list(LABELS)
    assert xml.find("Text").get("value") == "$text" and label_studio_config().startswith("<View>")


def _ls(spans, text=TEXT, **header):
    header = {"id": "t001", "incident": "2020-test-raid", **header}
    return {"data": {"text": text, **header}, "annotations": [{"result": [
        {"from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": a, "end": b, "labels": [label]}} for a, b, label in spans]}]}


def _write(tmp_path, tasks, name="tasks.json"):
    path = tmp_path / name
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path


def test_spans_off_word_boundaries_are_snapped_with_a_warning_or_rejected_when_strict(tmp_path):
    path = _write(tmp_path, [_ls([(1, 21, "ATTACKER"), (30, 41, "TARGET")])])  # "uritanian commandos " + ok
    result = import_tasks("label-studio", path, tmp_path / "out")
    assert result.errors == [] and len(result.warnings) == 1
    assert "task 1 (id t001)" in result.warnings[0] and "'uritanian commandos '" in result.warnings[0]
    assert "[Ruritanian commandos](ATTACKER) raided a [border post](TARGET)" in \
        (tmp_path / "out" / "t001.txt").read_text(encoding="utf-8")

    strict = import_tasks("label-studio", path, tmp_path / "strict", strict=True)
    assert len(strict.errors) == 1 and "task 1 (id t001): span 1-21 ATTACKER" in strict.errors[0]
    assert not (tmp_path / "strict").exists()


def test_every_problem_names_task_and_span_and_nothing_is_written(tmp_path):
    tasks = [_ls([(0, 20, "ATTACKER")]),  # valid on its own
             _ls([(28, 41, "TARGET"), (51, 56, "VICTIMS"), (21, 27, "ATTACKER"), (0, 10, "ATTACKER"),
                  (64, 64, "TARGET")], id="t002"),
             _ls([], incident="")]
    result = import_tasks("label-studio", _write(tmp_path, tasks), tmp_path / "out")
    text = "\n".join(result.errors)
    assert "task 2 (id t002): span 28-41 TARGET 'a border post': span 'a border post' starts with the " \
           "determiner 'a'" in text
    assert "task 2 (id t002): span 51-56 VICTIMS 'three': unknown label" in text
    assert "task 2 (id t002): span 64-64 TARGET: offsets outside the text" in text
    assert "task 3 (id t001)" in text and "incident" in text  # the header checks of the corpus build
    assert "task 1" not in text
    assert not (tmp_path / "out").exists()


def test_overlapping_spans_and_duplicate_ids_are_errors(tmp_path):
    tasks = [_ls([(0, 20, "ATTACKER"), (11, 20, "TARGET")]), _ls([]), _ls([])]
    errors = import_tasks("label-studio", _write(tmp_path, tasks), tmp_path / "out").errors
    assert errors[0].startswith("task 1 (id t001): span 11-20 TARGET 'commandos' overlaps span 0-20")
    assert errors[1] == "task 3 (id t001): id 't001' is also used by task 2 (id t001)"


def test_existing_files_are_kept_unless_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "t001.txt").write_text("something else\n", encoding="utf-8")
    path = _write(tmp_path, [_ls([(0, 20, "ATTACKER")])])
    result = import_tasks("label-studio", path, out)
    assert result.errors == [f"task 1 (id t001): {out / 't001.txt'} exists with other content "
                             "(--force overwrites it)"]
    assert (out / "t001.txt").read_text(encoding="utf-8") == "something else\n"
    assert import_tasks("label-studio", path, out, force=True).written == [str(out / "t001.txt")]
    assert import_tasks("label-studio", path, out).unchanged == [str(out / "t001.txt")]


def test_doccano_labels_key_and_its_own_integer_id(tmp_path):
    lines = [{"id": 7, "text": TEXT, "labels": [[0, 20, "ATTACKER"]],
              "meta": {"id": "t001", "incident": "2020-test-raid", "year": 2020}},
             {"id": 8, "text": TEXT, "label": [[0, 20, "ATTACKER"]], "incident": "2020-test-raid"}]
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(l) + "\n" for l in lines), encoding="utf-8")
    result = import_tasks("doccano", path, tmp_path / "out")
    assert result.errors == ["task 2 (id ?): id None is missing or not usable as a file name"]
    path.write_text(json.dumps(lines[0]) + "\n", encoding="utf-8")
    assert import_tasks("doccano", path, tmp_path / "out").errors == []
    assert (tmp_path / "out" / "t001.txt").read_text(encoding="utf-8").startswith(
        "id: t001\nincident: 2020-test-raid\nyear: 2020\n---\n[Ruritanian commandos](ATTACKER) raided")


def test_unannotated_and_rejected_tasks_are_skipped_with_a_warning(tmp_path):
    task = _ls([])
    task["annotations"] = []
    result = import_tasks("label-studio", _write(tmp_path, [task]), tmp_path / "out")
    assert result.skipped == ["task 1 (id t001)"] and "no annotation" in result.warnings[0]
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"text": TEXT, "spans": [], "answer": "reject", "meta": {"id": "t001"}}) + "\n")
    result = import_tasks("prodigy", path, tmp_path / "out")
    assert result.skipped == ["task 1 (id t001)"] and "'reject'" in result.warnings[0]


def test_cli_export_with_model_predictions_then_import(eager_model, tmp_path, capsys):
    tasks_path = tmp_path / "tasks.json"
    assert cli(["corpus", "export", "--format", "label-studio", "--out", str(tasks_path), "--input",
                str(FIXTURES), "--predictions-from", str(eager_model), "--config-out",
                str(tmp_path / "c.xml")]) == 0
    tasks = read_tasks(tasks_path)
    preds = [t["predictions"][0] for t in tasks]
    assert all(p["model_version"] == Path(eager_model).name and 0 <= p["score"] <= 1 for p in preds)
    regions = [r for p in preds for r in p["result"]]
    assert regions and all(r["type"] == "labels" and 0 <= r["score"] <= 1 for r in regions)
    # the annotations, not the predictions, become the report files
    assert cli(["corpus", "import", "--format", "label-studio", str(tasks_path), "--out-dir",
                str(tmp_path / "out")]) == 0
    for path in FIXTURES.glob("*.txt"):
        assert (tmp_path / "out" / path.name).read_bytes() == path.read_bytes()
    assert cli(["corpus", "export", "--format", "doccano", "--out", str(tmp_path / "d"), "--input",
                str(FIXTURES), "--predictions-from", str(eager_model)]) == 2
    assert "use --format label-studio" in capsys.readouterr().err


def test_cli_import_exits_1_and_prints_each_error(tmp_path, capsys):
    path = _write(tmp_path, [_ls([(0, 21, "ATTACKER")])])  # "Ruritanian commandos " is snapped, fine
    assert cli(["corpus", "import", "--format", "label-studio", str(path), "--out-dir", str(tmp_path / "o"),
                "--strict"]) == 1
    err = capsys.readouterr().err
    assert "error: task 1 (id t001): span 0-21 ATTACKER 'Ruritanian commandos ': not on word boundaries" in err
    assert "nothing was written" in err
