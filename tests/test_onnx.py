"""The ONNX path: export with dynamic axes, int8 quantisation, and a pipeline()-like tagger whose
logits and entities match the PyTorch pipeline. onnx and onnxruntime are dev dependencies: no skip."""
import json
import shutil
import sys

import numpy as np
import pytest

LONG = "Ruritanian commandos raided a border post and killed three guards. " * 60  # > 512 sub-tokens
TEXTS = ["Iranian forces struck bases of Jaish al-Adl in Baluchistan, killing two children and injuring three.",
         LONG, "Short."]


@pytest.fixture(scope="module")
def exported(eager_model, tmp_path_factory):
    from incident_roles.serving.onnx_tagger import export_onnx

    out = tmp_path_factory.mktemp("onnx")
    return export_onnx(eager_model, out), out


def _entities(pipe, texts):
    return [[(e["entity_group"], e["start"], e["end"]) for e in res] for res in pipe(texts, batch_size=2)]


def test_export_writes_fp32_and_int8(exported):
    files, folder = exported
    assert (folder / "model.onnx").exists() and (folder / "model.int8.onnx").exists()
    assert files["int8_mb"] < files["fp32_mb"]
    assert (folder / "tokenizer.json").exists() and (folder / "config.json").exists()


def test_fp32_onnx_logits_match_pytorch_on_a_full_window(eager_model, exported):
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from incident_roles.serving.onnx_tagger import OnnxTagger

    tok = AutoTokenizer.from_pretrained(eager_model)
    enc = tok(LONG, truncation=True, max_length=512, return_tensors="pt")
    assert enc["input_ids"].shape[1] == 512
    with torch.no_grad():
        expected = AutoModelForTokenClassification.from_pretrained(eager_model)(**enc).logits.numpy()
    got = OnnxTagger(exported[1], quantized=False).model(**enc)["logits"].numpy()
    assert got.shape == expected.shape and np.allclose(got, expected, atol=1e-4)


def test_fp32_onnx_matches_pytorch_entities(eager_model, exported):
    from incident_roles.serving.onnx_tagger import OnnxTagger
    from incident_roles.serving.predict import load_pipeline

    torch_pipe = load_pipeline(str(eager_model), stride=16)
    onnx_pipe = OnnxTagger(exported[1], quantized=False, stride=16)
    expected = _entities(torch_pipe, TEXTS)
    assert expected[0] and expected[1], "the eager model tags the short and the long text"
    assert len(torch_pipe.tokenizer(LONG)["input_ids"]) > 512
    assert max(end for _, _, end in expected[1]) > len(LONG) * 0.9  # past the first 512-token window
    assert _entities(onnx_pipe, TEXTS) == expected


def test_int8_tagger_is_a_drop_in_for_records(exported):
    from incident_roles.serving.onnx_tagger import OnnxTagger
    from incident_roles.records.builder import extract, validate

    pipe = OnnxTagger(exported[1], stride=16)
    single = pipe(TEXTS[0])
    assert single and all({"entity_group", "start", "end", "score"} <= set(e) for e in single)
    record = extract(TEXTS[0], model=pipe)
    assert validate(record) == []
    # the int8 tagger's spans reach the record, with offsets into the text
    evidence = [m for group in record["attackers"] for m in group["mentions"]]
    assert evidence and all(TEXTS[0][m["start"]:m["end"]] == m["text"] for m in evidence)


def test_missing_export_is_a_clear_error(tmp_path):
    from incident_roles.serving.onnx_tagger import resolve_onnx_file

    with pytest.raises(FileNotFoundError, match="export-onnx"):
        resolve_onnx_file(tmp_path)


def test_cli_export(tiny_model, tmp_path, capsys):
    from incident_roles.serving.cli import main

    assert main(["export-onnx", "--model", str(tiny_model), "--out", str(tmp_path / "o"), "--no-quantize"]) == 0
    assert json.loads(capsys.readouterr().out)["fp32"].endswith("model.onnx")
    assert main(["export-onnx", "--model", str(tmp_path / "nowhere")]) == 2


def test_benchmark_script_writes_json_and_markdown(eager_model, exported, fixture_jsonl, tmp_path):
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "eval"))
    import onnx_benchmark

    result = onnx_benchmark.main(["--model", str(eager_model), "--data", str(fixture_jsonl / "test.jsonl"),
                                  "--onnx-dir", str(exported[1]), "--threads", "1", "--out", str(tmp_path), "--in-process"])
    assert {b["backend"] for b in result["backends"]} == {"pytorch-fp32", "onnx-int8"}
    fp32, int8 = (next(b for b in result["backends"] if b["backend"] == name) for name in ("pytorch-fp32", "onnx-int8"))
    assert fp32["words_per_second"] > 0 and int8["words_per_second"] > 0
    assert result["comparison"]["speedup"] == pytest.approx(int8["words_per_second"] / fp32["words_per_second"], rel=1e-2)
    assert (tmp_path / "onnx.json").exists() and "words/s" in (tmp_path / "onnx.md").read_text()
