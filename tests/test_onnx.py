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


def test_export_keeps_the_fused_graph_and_quantises_the_unfused_one(exported):
    import onnx

    files, folder = exported
    assert files["fused"].endswith("model.fused.onnx") and files["int8_fused"] is False
    ops = {n.op_type for n in onnx.load(str(folder / "model.int8.onnx")).graph.node}
    fused_ops = {n.op_type for n in onnx.load(str(folder / "model.fused.onnx")).graph.node}
    assert "MatMulInteger" in ops and "QAttention" not in ops and "Attention" in fused_ops


def test_sessions_use_every_core_sequentially_with_the_arena(exported):
    import onnxruntime as ort

    from incident_roles.serving.onnx_tagger import _session, default_threads

    opts = _session(exported[1] / "model.int8.onnx").get_session_options()
    assert opts.intra_op_num_threads == default_threads() and opts.inter_op_num_threads == 1
    assert opts.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL and opts.enable_cpu_mem_arena
    opts = _session(exported[1] / "model.int8.onnx", threads=1, sequential=False, arena=False).get_session_options()
    assert opts.intra_op_num_threads == 1 and opts.execution_mode == ort.ExecutionMode.ORT_PARALLEL
    assert not opts.enable_cpu_mem_arena


def test_int8_study_times_fusion_quantisation_and_settings_apart(eager_model, exported, fixture_jsonl, tmp_path):
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "eval"))
    import onnx
    import onnx_benchmark

    variants = ["onnx-fp32-unfused", "onnx-fp32-fused", "int8-dynamic-unfused-per-channel",
                "int8-dynamic-fused-per-tensor", "int8-static-unfused-per-channel", "int8-1-thread"]
    result = onnx_benchmark.main(["--model", str(eager_model), "--data", str(fixture_jsonl / "test.jsonl"),
                                  "--calibration", str(fixture_jsonl / "train.jsonl"), "--onnx-dir", str(exported[1]),
                                  "--threads", "2", "--repeats", "1", "--variants", ",".join(variants),
                                  "--out", str(tmp_path)])
    b = {x["backend"]: x for x in result["backends"]}
    assert list(b) == ["pytorch-fp32", *variants] and all(x["words_per_second"] > 0 for x in b.values())
    # fp32 ONNX, fused or not, tags as PyTorch does
    assert b["onnx-fp32-unfused"]["micro_f1_strict"] == b["onnx-fp32-fused"]["micro_f1_strict"] \
        == b["pytorch-fp32"]["micro_f1_strict"]
    assert b["int8-1-thread"]["settings"]["threads"] == 1 and b[onnx_benchmark.SHIPPED]["settings"]["threads"] == 2
    static = onnx.load(str(exported[1] / "variant.int8-static-unfused-per-channel.onnx"))
    ops = {n.op_type for n in static.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "MatMul"} <= ops and "QLinearMatMul" not in ops  # QDQ format
    assert b["int8-dynamic-fused-per-tensor"]["file_mb"] > 0
    c = result["comparison"]
    assert c["shipped"] == "int8-dynamic-unfused-per-channel"
    assert c["speedup"] == pytest.approx(b[c["shipped"]]["words_per_second"] / b["pytorch-fp32"]["words_per_second"], rel=1e-2)
    md = (tmp_path / "onnx.md").read_text()
    assert (tmp_path / "onnx.json").exists() and all(f"| {v} |" in md for v in variants)


def test_an_export_of_other_weights_is_refused_and_retraining_removes_it(tiny_model, tmp_path):
    from incident_roles.serving.onnx_tagger import export_onnx, resolve_onnx_file

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    export_onnx(model, model / "onnx", quantize=False)
    assert resolve_onnx_file(model, quantized=False)[1] == model / "onnx"
    # the model is retrained in place: its weights change, the old export stays beside them
    from safetensors.torch import load_file, save_file

    weights = load_file(model / "model.safetensors")
    save_file({k: v + 1 for k, v in weights.items()}, model / "model.safetensors")
    with pytest.raises(FileNotFoundError, match="other weights.*export-onnx"):
        resolve_onnx_file(model, quantized=False)

    from incident_roles.training.config import load_config
    from incident_roles.training.trainer import train

    saved = load_config(tiny_model / "training_config.yaml")
    saved.output_dir, saved.training.num_train_epochs, saved.eval.calibrate = str(model), 1, False
    train(saved)
    assert not (model / "onnx").exists()
