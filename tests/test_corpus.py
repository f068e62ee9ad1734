import json
import re
import subprocess
from pathlib import Path

import pytest

from incident_roles.corpus.jsonl import read_jsonl
from incident_roles.corpus.reports import MarkupError, build, parse_report, read_report, read_reports
from incident_roles.corpus.split import split_of

from conftest import FIXTURE_REPORTS, ROOT, SHARED

HEADER = "id: r1\nincident: 2020-x\ntype: raid\nregion: Asia\nyear: 2020\nstyle: wire\n---\n"


def test_report_header_and_body():
    r = parse_report(HEADER + "[Ruritania](ATTACKER) struck.\n")
    assert (r.id, r.incident, r.meta["year"], r.meta["type"]) == ("r1", "2020-x", 2020, "raid")
    assert r.text == "Ruritania struck."


@pytest.mark.parametrize("raw, message, line", [
    (HEADER.replace("type: raid", "type: picnic"), "type 'picnic' is not one of", 3),
    (HEADER.replace("region: Asia", "colour: red"), "key one of", 4),
    (HEADER.replace("---\n", ""), "no '---' line", 1),
    (HEADER, "body is empty", 8),
    (HEADER + "fine\nfine\n[the post](TARGET) was hit", "determiner 'the'", 10),
    (HEADER + "\n\nx [Iran](ATACKER)", "unknown label", 10),
])
def test_report_errors_name_file_and_line(raw, message, line):
    with pytest.raises(MarkupError) as err:
        parse_report(raw, "data/reports/r1.txt")
    assert message in str(err.value) and err.value.line == line
    assert "data/reports/r1.txt" in str(err.value)


def test_id_must_match_file_name(tmp_path):
    p = tmp_path / "other.txt"
    p.write_text(HEADER + "text", encoding="utf-8")
    with pytest.raises(MarkupError, match="differs from the file name"):
        read_report(p)


def test_all_errors_are_collected_not_just_the_first(tmp_path):
    (tmp_path / "r1.txt").write_text(HEADER + "[x](BAD)", encoding="utf-8")
    (tmp_path / "r2.txt").write_text(HEADER.replace("r1", "r2") + "[x(TARGET)", encoding="utf-8")
    (tmp_path / "r3.txt").write_text(HEADER.replace("r1", "r3") + "fine", encoding="utf-8")
    reports, errors = read_reports(sorted(tmp_path.glob("*.txt")))
    assert [r.id for r in reports] == ["r3"]
    assert len(errors) == 2


def test_split_is_by_incident_and_stable():
    assert split_of("2024-iran-strikes-pakistan") == "train"
    # the split is a stable hash of the name: fixed expected values, so a change of salt or hash shows
    assert {name: split_of(name) for name in ("1999-some-incident", "2010-x", "neg-a-rail-strike",
                                              "1988-lockerbie-bombing", "2016-uri-attack", "1968-beirut-airport-raid")} == {
        "1999-some-incident": "train", "2010-x": "train", "neg-a-rail-strike": "train",
        "1988-lockerbie-bombing": "test", "2016-uri-attack": "test", "1968-beirut-airport-raid": "dev"}
    splits = [split_of(f"incident-{i}") for i in range(2000)]
    assert 0.1 < splits.count("test") / 2000 < 0.2 and 0.1 < splits.count("dev") / 2000 < 0.2


def test_build_writes_splits_without_sharing_incidents(tmp_path, capsys):
    build(FIXTURE_REPORTS, tmp_path)
    seen = {}
    total = 0
    for split in ("train", "dev", "test"):
        for rec in read_jsonl(tmp_path / f"{split}.jsonl"):
            total += 1
            assert seen.setdefault(rec["incident"], split) == split
            for s in rec["spans"]:
                assert rec["text"][s["start"]:s["end"]].strip() == rec["text"][s["start"]:s["end"]]
    assert total == len(list(FIXTURE_REPORTS.glob("*.txt")))
    assert "consistency checker" in capsys.readouterr().out


def test_build_refuses_invalid_corpus_and_writes_nothing(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "r1.txt").write_text(HEADER + "[x](BAD)", encoding="utf-8")
    with pytest.raises(SystemExit, match="failed validation"):
        build(reports, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_read_jsonl_names_file_and_line(tmp_path):
    p = tmp_path / "d.jsonl"
    p.write_text('{"text": "ok", "spans": []}\n{"text": 3}\n', encoding="utf-8")
    with pytest.raises(MarkupError, match=r"d.jsonl:2"):
        read_jsonl(p)
    p.write_text('{"text": "ab", "spans": [{"start": 0, "end": 9, "label": "TARGET"}]}\n', encoding="utf-8")
    with pytest.raises(MarkupError, match="outside the text"):
        read_jsonl(p)


def _grams(text, n=8):
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def _committed_text_files():
    """Every text file the repository holds: git's list where this is a checkout, else a walk."""
    suffixes = {".md", ".txt", ".tsv", ".py", ".json", ".jsonl", ".yaml", ".html"}
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        paths = [ROOT / p for p in out.splitlines()]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "models", "processed", "__pycache__"}
        paths = [p for p in ROOT.rglob("*") if not skip & set(p.relative_to(ROOT).parts)]
    return sorted(p for p in paths if p.suffix in suffixes and p.is_file())


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="../shared/seeds is absent")
def test_no_committed_file_copies_eight_words_from_the_seed_reports():
    """Reports, the guideline, docs, test texts and results are written in the project's own words."""
    seed = set()
    for f in (SHARED / "seeds").iterdir():
        seed |= _grams(f.read_text(encoding="utf-8", errors="ignore"))
    files = _committed_text_files()
    assert any(f.parent.name == "reports" for f in files) and any(f.name == "GUIDELINE.md" for f in files)
    copied = {}
    for f in files:
        text = re.sub(r"\]\([A-Z_]+\)|\[", "", f.read_text(encoding="utf-8", errors="ignore"))
        common = _grams(text) & seed
        if common:
            copied[str(f.relative_to(ROOT))] = sorted(common)[:2]
    assert not copied, f"files repeat 8-word runs of the seeds: {copied}"


def test_every_committed_report_is_valid():
    paths = sorted((ROOT / "data" / "reports").glob("*.txt"))
    if not paths:
        pytest.skip("no reports yet")
    _, errors = read_reports(paths)
    assert not errors, "\n".join(map(str, errors[:10]))


def test_build_fills_the_data_card_counts(tmp_path, capsys):
    from incident_roles.corpus.reports import update_card

    stats = build(FIXTURE_REPORTS, tmp_path / "out")
    card = tmp_path / "README.md"
    card.write_text("# Card\n\n<!-- counts:start -->\nold\n<!-- counts:end -->\n\nKnown limits.\n", encoding="utf-8")
    update_card(card, stats, "python -m incident_roles.corpus build --card README.md")
    text = card.read_text(encoding="utf-8")
    assert "old" not in text and text.endswith("Known limits.\n")
    n = len(list(FIXTURE_REPORTS.glob("*.txt")))
    assert re.search(rf"^\| all \| {n} \|", text, re.M)
    assert "Consistency checker:" in text
    card.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="counts:start"):
        update_card(card, stats, "x")
