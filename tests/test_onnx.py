"""The ONNX path: export with dynamic axes, int8 quantisation, and a pipeline()-like tagger whose
entities match the PyTorch pipeline. Skipped when onnxruntime is not installed."""
import json
import sys

import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

TEXTS = ["Iranian forces struck bases of Jaish al-Adl in Baluchistan, killing two children and injuring three.",
         "Pakistan recalled its ambassador. " * 40,  # longer than the tiny model's window: stride path
         "Short."]


@pytest.fixture(scope="module")
def exported(tiny_model, tmp_path_factory):
    from incident_roles.serving.onnx_tagger import export_onnx

    out = tmp_path_factory.mktemp("onnx")
    return export_onnx(tiny_model, out), out


def _entities(pipe, texts):
    return [[(e["entity_group"], e["start"], e["end"]) for e in res] for res in pipe(texts, batch_size=2)]


def test_export_writes_fp32_and_int8(exported):
    files, folder = exported
    assert (folder / "model.onnx").exists() and (folder / "model.int8.onnx").exists()
    assert files["int8_mb"] < files["fp32_mb"]
    assert (folder / "tokenizer.json").exists() and (folder / "config.json").exists()


def test_fp32_onnx_matches_pytorch_entities(tiny_model, exported):
    from incident_roles.serving.onnx_tagger import OnnxTagger
    from incident_roles.serving.predict import load_pipeline

    torch_pipe = load_pipeline(str(tiny_model), stride=16)
    onnx_pipe = OnnxTagger(exported[1], quantized=False, stride=16)
    assert _entities(onnx_pipe, TEXTS) == _entities(torch_pipe, TEXTS)


def test_int8_tagger_is_a_drop_in_for_records(exported):
    from incident_roles.serving.onnx_tagger import OnnxTagger
    from incident_roles.records.builder import extract, validate

    pipe = OnnxTagger(exported[1], stride=16)
    single = pipe(TEXTS[0])
    assert isinstance(single, list) and all({"entity_group", "start", "end", "score"} <= set(e) for e in single)
    assert validate(extract(TEXTS[0], model=pipe)) == []


def test_missing_export_is_a_clear_error(tmp_path):
    from incident_roles.serving.onnx_tagger import resolve_onnx_file

    with pytest.raises(FileNotFoundError, match="export-onnx"):
        resolve_onnx_file(tmp_path)


def test_cli_export(tiny_model, tmp_path, capsys):
    from incident_roles.serving.cli import main

    assert main(["export-onnx", "--model", str(tiny_model), "--out", str(tmp_path / "o"), "--no-quantize"]) == 0
    assert json.loads(capsys.readouterr().out)["fp32"].endswith("model.onnx")
    assert main(["export-onnx", "--model", str(tmp_path / "nowhere")]) == 2


def test_benchmark_script_writes_json_and_markdown(tiny_model, exported, fixture_jsonl, tmp_path):
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "eval"))
    import onnx_benchmark

    result = onnx_benchmark.main(["--model", str(tiny_model), "--data", str(fixture_jsonl / "test.jsonl"),
                                  "--onnx-dir", str(exported[1]), "--threads", "1", "--out", str(tmp_path), "--in-process"])
    assert {b["backend"] for b in result["backends"]} == {"pytorch-fp32", "onnx-int8"}
    assert result["comparison"]["speedup"] > 0
    assert (tmp_path / "onnx.json").exists() and "words/s" in (tmp_path / "onnx.md").read_text()
