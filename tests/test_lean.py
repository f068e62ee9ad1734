"""The lean tagger gives pipeline()'s entities ("first" aggregation, stride windows) on short texts, a
text over 512 sub-tokens and batches of mixed lengths; length buckets; the --backend choice."""
import json

import pytest

LONG = "Ruritanian commandos raided a border post and killed three guards. " * 60  # > 512 sub-tokens
# long words of many pieces: its second window starts inside a word ("##ba"), where the pipeline starts one
SPLIT = ("Counterintelligence operatives from Nagorno-Karabakh intercepted Azerbaijani reconnaissance drones "
         "near Stepanakert. ") * 40
MIXED = [
    "Iranian forces struck bases of Jaish al-Adl in Baluchistan, killing two children and injuring three.",
    LONG,
    "Short.",
    "",
    # a combining accent, a character outside the vocabulary ([UNK]) and hyphenated words: the pipeline's
    # subword rule (string length against character span) is what decides words there
    "The cafe\u0301 near Sa\u2e9c\u2e9c was hit; pro-government militias \u2603 fired back, killing eleven.",
    "Tehran recalled its ambassador after the strike. " * 6,
    "Gunmen abducted 14 crew members of a tanker off the coast of Benin on Tuesday.",
    SPLIT,
]


def _entities(results):
    return [[(e["entity_group"], e["start"], e["end"], e["word"]) for e in r] for r in results]


@pytest.fixture(scope="module")
def pipe(eager_model):
    from incident_roles.serving.predict import load_pipeline

    return load_pipeline(str(eager_model), stride=16)


@pytest.fixture(scope="module")
def lean(eager_model):
    from incident_roles.serving.lean import LeanTagger

    return LeanTagger(eager_model, backend="torch", stride=16)


@pytest.fixture(scope="module")
def expected(pipe):
    return pipe(MIXED, batch_size=1)


def test_the_eager_model_tags_every_kind_of_text(pipe, expected):
    assert all(expected[i] for i in (0, 1, 4, 5, 6, 7)), "parity on empty outputs would prove nothing"
    assert len(pipe.tokenizer(LONG)["input_ids"]) > 512
    assert max(e["end"] for e in expected[1]) > len(LONG) * 0.9  # entities from past the first window
    assert len({e["entity_group"] for r in expected for e in r}) > 1
    windows = pipe.tokenizer(SPLIT, truncation=True, stride=16, return_overflowing_tokens=True)["input_ids"]
    assert pipe.tokenizer.convert_ids_to_tokens(windows[1][1]).startswith("##")


@pytest.mark.parametrize("batch_size", [1, 3, 32])
def test_lean_gives_the_pipelines_entities(lean, expected, batch_size):
    got = lean(MIXED, batch_size=batch_size)
    assert _entities(got) == _entities(expected)
    for r, s in zip(got, expected):
        assert [float(e["score"]) for e in r] == pytest.approx([float(e["score"]) for e in s], abs=1e-4)


def test_window_aggregation_matches_the_pipelines_on_random_logits(pipe, lean):
    """Sharp random logits on every window of every text (one starting inside a word) give every kind of
    neighbour (B after B, I after O, a word's pieces disagreeing): the lean window step must group them
    as the pipeline's own gather_pre_entities + aggregate ("first") do."""
    import numpy as np
    from transformers.pipelines.token_classification import AggregationStrategy

    rng = np.random.default_rng(0)
    for text in MIXED:
        enc = pipe.tokenizer(text, truncation=True, stride=16, return_overflowing_tokens=True,
                             return_offsets_mapping=True, return_special_tokens_mask=True)
        for w in range(len(enc["input_ids"])):
            ids, offsets = np.array(enc["input_ids"][w]), np.array(enc["offset_mapping"][w])
            special = np.array(enc["special_tokens_mask"][w], dtype=bool)
            logits = rng.normal(0, 3, (len(ids), len(pipe.model.config.id2label))).astype(np.float32)
            e = np.exp(logits - logits.max(-1, keepdims=True))
            pre = pipe.gather_pre_entities(text, ids, e / e.sum(-1, keepdims=True), offsets, special,
                                           AggregationStrategy.FIRST)
            want = [x for x in pipe.aggregate(pre, AggregationStrategy.FIRST) if x["entity_group"] != "O"]
            got = lean._window_entities(text, ids, offsets, special, logits)
            assert _entities([got]) == _entities([want])
            assert [float(x["score"]) for x in got] == pytest.approx([float(x["score"]) for x in want], abs=1e-6)


def test_lean_one_text_and_empty_input(lean, pipe):
    assert _entities([lean(MIXED[0])]) == _entities([pipe(MIXED[0])])
    assert lean([]) == [] and lean("") == []
    with pytest.raises(ValueError, match="string"):
        lean([MIXED[0], None])


def test_lean_onnx_fp32_gives_the_pipelines_entities(eager_model, expected, tmp_path_factory):
    from incident_roles.serving.lean import LeanTagger
    from incident_roles.serving.onnx_tagger import export_onnx

    out = tmp_path_factory.mktemp("onnx")
    export_onnx(eager_model, out)
    lean = LeanTagger(out, quantized=False, stride=16, threads=1)
    assert lean.onnx_file.endswith("model.onnx")
    got = lean(MIXED, batch_size=4)
    assert _entities(got) == _entities(expected)
    for r, s in zip(got, expected):
        assert [float(e["score"]) for e in r] == pytest.approx([float(e["score"]) for e in s], abs=1e-4)
    int8 = LeanTagger(out, stride=16, threads=1)(MIXED, batch_size=4)  # int8: close, not equal
    assert int8[0] and all({"entity_group", "score", "word", "start", "end"} <= set(e) for r in int8 for e in r)


def test_length_buckets_pad_little_and_keep_every_index():
    from incident_roles.serving.lean import length_buckets

    lengths = [512, 30, 31, 300, 29, 512, 512, 120, 130, 33, 500]
    buckets = length_buckets(lengths, batch_size=2)
    assert sorted(i for b in buckets for i in b) == list(range(len(lengths)))
    assert all(len(b) <= 2 for b in buckets)
    for b in length_buckets(lengths):
        width, real = max(lengths[i] for i in b), sum(lengths[i] for i in b)
        assert width * len(b) <= 1.1 * real  # at most 10% padding
        assert [lengths[i] for i in b] == sorted(lengths[i] for i in b)
    assert [sorted(lengths[i] for i in b) for b in length_buckets(lengths)][0] == [29, 30, 31, 33]
    assert length_buckets([]) == []
    capped = length_buckets(lengths, max_tokens=100)
    assert [lengths[i] for i in capped[0]] == [29, 30, 31] and all(len(b) == 1 for b in capped[1:])


def test_bucketed_predict_keeps_input_order(pipe):
    from incident_roles.serving.lean import predict_spans_bucketed
    from incident_roles.serving.predict import predict_spans

    texts = MIXED[::-1] + MIXED
    assert predict_spans_bucketed(pipe, texts, batch_size=8) == predict_spans(pipe, texts, batch_size=1)


def test_load_tagger_backends(eager_model, tmp_path):
    import shutil

    from incident_roles.serving.lean import LeanTagger, load_tagger
    from incident_roles.serving.onnx_tagger import export_onnx

    assert not isinstance(load_tagger(eager_model, "auto"), LeanTagger)  # no export: pipeline()
    bf16 = load_tagger(eager_model, "bf16-lean")
    assert isinstance(bf16, LeanTagger) and str(bf16.model.dtype) == "torch.bfloat16"
    assert bf16(MIXED[0])  # runs; its entities may differ a little from fp32
    model = tmp_path / "m"
    shutil.copytree(eager_model, model)
    export_onnx(model, model / "onnx")
    auto = load_tagger(model, "auto")
    assert isinstance(auto, LeanTagger) and auto.onnx_file.endswith("model.int8.onnx")
    with pytest.raises(ValueError, match="backend"):
        load_tagger(eager_model, "tensorflow")


def _no_scores(x):
    """A record without its scores: they differ in the last float bits between batchings (padding)."""
    if isinstance(x, dict):
        return {k: _no_scores(v) for k, v in x.items() if k != "score"}
    return [_no_scores(v) for v in x] if isinstance(x, list) else x


def test_cli_extract_and_batch_take_a_backend(eager_model, tmp_path, capsys):
    from incident_roles.serving.cli import main

    report = tmp_path / "r.txt"
    report.write_text(MIXED[0], encoding="utf-8")
    assert main(["extract", str(report), "--model", str(eager_model)]) == 0
    default = _no_scores(json.loads(capsys.readouterr().out))
    assert main(["extract", str(report), "--model", str(eager_model), "--backend", "torch-lean"]) == 0
    assert _no_scores(json.loads(capsys.readouterr().out)) == default and default["attackers"] + default["targets"]
    assert main(["extract", str(report), "--model", str(eager_model), "--backend", "onnx-lean"]) == 2  # no export
    assert "model.int8.onnx" in capsys.readouterr().err

    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(MIXED)))
    outputs = {}
    for backend in ("torch", "torch-lean"):
        out = tmp_path / f"{backend}.jsonl"
        assert main(["batch", "--model", str(eager_model), "--input", str(corpus), "--output", str(out),
                     "--batch-size", "4", "--backend", backend, "--no-progress"]) == 0
        outputs[backend] = sorted((_no_scores(json.loads(x)) for x in out.read_text().splitlines()),
                                  key=lambda r: r["row"])
    assert outputs["torch"] == outputs["torch-lean"] and len(outputs["torch"]) == len(MIXED) - 1  # "" is a bad row


def test_a_compiled_lean_tagger_gives_the_pipelines_entities(eager_model, expected, tmp_path):
    from incident_roles.serving.lean import LeanTagger, load_tagger

    compiled = LeanTagger(eager_model, backend="torch", stride=16, compile=True)
    assert hasattr(compiled.model, "_orig_mod")  # torch.compile's wrapper, not the eager module
    assert _entities(compiled(MIXED, batch_size=3)) == _entities(expected)
    fastest = load_tagger(eager_model, "bf16-compiled")
    assert hasattr(fastest.model, "_orig_mod") and str(fastest.model.dtype) == "torch.bfloat16"
    with pytest.raises(ValueError, match="compile=True needs backend='torch'"):
        LeanTagger(tmp_path, backend="onnx", compile=True)
