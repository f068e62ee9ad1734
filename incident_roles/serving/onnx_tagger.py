"""A fast CPU path: export a saved tagger to ONNX, quantise it to dynamic int8, and tag with it through
the same transformers pipeline code (tokenizer, stride windows, "first" aggregation), so entities match.

    python -m incident_roles export-onnx --model models/minilm [--out models/minilm/onnx]

Needs the optional extra `onnx` (onnxruntime, onnx). optimum's exporter lags transformers 5, so the
export uses torch.onnx.export (TorchScript exporter, eager attention, dynamic batch and sequence axes),
onnxruntime's transformer optimizer (fuses attention, GELU and layer norms into model.fused.onnx;
skipped if it fails) and onnxruntime.quantization.quantize_dynamic on the unfused graph (QInt8
weights per channel, activations quantised at run time) into model.int8.onnx. model.onnx is the
unfused fp32 graph, which reproduces the PyTorch logits to ~1e-6. eval/onnx_benchmark.py times fusion,
quantisation (dynamic, static, per channel or tensor) and session settings apart.
"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from incident_roles.serving.predict import DEFAULT_STRIDE

log = logging.getLogger(__name__)

FP32_NAME = "model.onnx"
INT8_NAME = "model.int8.onnx"
FUSED_NAME = "model.fused.onnx"  # fp32, attention, GELU and layer norms fused


def require_onnxruntime():
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        raise ImportError("the ONNX path needs onnxruntime: pip install 'incident-roles[onnx]' "
                          "(or pip install onnxruntime onnx)") from None
    return onnxruntime


def input_names_for(tokenizer) -> list[str]:
    names = list(tokenizer.model_input_names)
    return [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in names]


def export_onnx(model_dir, out_dir=None, quantize: bool = True, opset: int = 17) -> dict:
    """Export ``model_dir`` (a saved token-classification folder) to ``out_dir`` (default:
    <model_dir>/onnx): model.onnx (fp32) and, with ``quantize``, model.int8.onnx (dynamic QInt8).
    The tokenizer and config are copied so the folder stands alone. Returns the paths and sizes."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    require_onnxruntime()
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").exists():
        raise FileNotFoundError(f"{model_dir}: not a saved model folder (no config.json)")
    out_dir = Path(out_dir) if out_dir else model_dir / "onnx"
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    # eager attention exports the plain MatMul/Softmax pattern that onnxruntime fuses into one
    # Attention op (SDPA exports a pattern it does not recognise)
    try:
        model = AutoModelForTokenClassification.from_pretrained(model_dir, attn_implementation="eager").eval()
    except (TypeError, ValueError):
        model = AutoModelForTokenClassification.from_pretrained(model_dir).eval()
    names = input_names_for(tokenizer)
    sample = tokenizer(["an example report", "Iranian forces struck bases in Baluchistan, killing two"],
                       padding=True, return_tensors="pt")
    args = tuple(sample[n] for n in names)

    class _Logits(torch.nn.Module):
        # positional inputs in a fixed order, and a plain tensor out: what the exporter wants
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *inputs):
            return self.inner(**dict(zip(names, inputs))).logits

    fp32 = out_dir / FP32_NAME
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["logits"] = {0: "batch", 1: "sequence"}
    t0 = time.perf_counter()
    with torch.no_grad():
        # dynamo=False: the TorchScript exporter handles BERT-style encoders with dynamic axes and
        # needs no onnxscript; the dynamo exporter is tried if it is missing in a later torch.
        try:
            torch.onnx.export(_Logits(model), args, str(fp32), input_names=names, output_names=["logits"],
                              dynamic_axes=axes, opset_version=opset, dynamo=False)
        except TypeError:
            torch.onnx.export(_Logits(model), args, str(fp32), input_names=names, output_names=["logits"],
                              dynamic_shapes=tuple({0: "batch", 1: "sequence"} for _ in names),
                              opset_version=opset, dynamo=True)
    log.info("exported %s in %.1f s", fp32, time.perf_counter() - t0)
    result = {"fp32": str(fp32), "fp32_mb": round(fp32.stat().st_size / 2**20, 1)}
    # the fused fp32 graph (model.fused.onnx) is kept for eval/onnx_benchmark.py, which times fusion and
    # quantisation apart
    fused = fuse_transformer(fp32, model.config)
    if fused != fp32:
        result.update({"fused": str(fused), "fused_mb": round(fused.stat().st_size / 2**20, 1)})
    if quantize:
        # int8 from the unfused graph: onnxruntime's own load-time fusions of it ran 5-12% faster per
        # sub-token than the offline-fused graph's QAttention (MiniLM-L6 size, 1 thread, 256-400 tokens)
        int8 = quantize_onnx(fp32, out_dir / INT8_NAME)
        result.update({"int8": str(int8), "int8_mb": round(int8.stat().st_size / 2**20, 1),
                       "int8_fused": False, "int8_per_channel": True})
    tokenizer.save_pretrained(out_dir)
    model.config.save_pretrained(out_dir)
    (out_dir / "onnx_export.json").write_text(json.dumps({**result, "source": str(model_dir), "opset": opset,
                                                          "inputs": names, "source_weights_sha1": weights_sha1(model_dir)},
                                                         indent=2) + "\n")
    return result


def weights_sha1(model_dir) -> str | None:
    """The sha1 of a model folder's model.safetensors: ties an export to the weights it came from."""
    import hashlib

    weights = Path(model_dir) / "model.safetensors"
    if not weights.exists():
        return None
    h = hashlib.sha1()
    with weights.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def check_export_is_current(model_dir: Path, export_dir: Path) -> None:
    """An export inside a model folder must come from that folder's weights: a retrained model with the
    old export beside it would otherwise tag with the old model, silently."""
    record = export_dir / "onnx_export.json"
    if not record.exists():
        return
    made_from = json.loads(record.read_text(encoding="utf-8")).get("source_weights_sha1")
    if made_from and made_from != weights_sha1(model_dir):
        raise FileNotFoundError(f"{export_dir}: this ONNX export was made from other weights than "
                                f"{model_dir}/model.safetensors (the model was retrained); export again with "
                                f"`python -m incident_roles export-onnx --model {model_dir}`")


def fuse_transformer(fp32: Path, config, out: Path | None = None) -> Path:
    """Fuse attention, GELU and layer norms with onnxruntime's transformer optimizer (BERT-family
    encoders) into ``out`` (default model.fused.onnx next to ``fp32``); returns ``fp32`` itself when
    the optimizer is missing or fails, so the export never depends on it."""
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        heads = getattr(config, "num_attention_heads", 0) or 0
        hidden = getattr(config, "hidden_size", 0) or 0
        opt = optimize_model(str(fp32), model_type="bert", num_heads=heads, hidden_size=hidden)
        stats = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
        out = out or fp32.with_name(FUSED_NAME)
        opt.save_model_to_file(str(out))
        log.info("fused operators: %s", stats)
        return out
    except Exception as e:  # an optimizer that cannot handle an architecture is not fatal
        log.warning("onnxruntime transformer optimizer failed (%s); quantising the plain graph", e)
        return fp32


def quantize_onnx(source, out, per_channel: bool = True, calibration=None) -> Path:
    """int8 weights of ``source`` into ``out``: dynamic (each activation quantised at run time from its
    own range) unless ``calibration`` (an iterable of input feeds) is given, then static QDQ (activation
    ranges fixed from those feeds; MatMuls only).
    per_channel: one scale per output column keeps the small classifier head and the encoder's uneven
    weight columns accurate (per-tensor scales cost 2.4 points of strict micro F1 on a MiniLM tagger in
    our trial, per-channel none)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # DefaultTensorType: the fused ops come from the com.microsoft domain, where shape inference gives
    # up; their outputs are float32
    extra = {"DefaultTensorType": onnx.TensorProto.FLOAT}
    if calibration is None:
        quantize_dynamic(str(source), str(out), weight_type=QuantType.QInt8, per_channel=per_channel,
                         extra_options=extra)
        return Path(out)
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, quantize_static

    class _Feeds(CalibrationDataReader):
        def __init__(self, feeds):
            self.feeds = iter(feeds)

        def get_next(self):
            return next(self.feeds, None)

    quantize_static(str(source), str(out), _Feeds(calibration), quant_format=QuantFormat.QDQ,
                    per_channel=per_channel, weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8,
                    op_types_to_quantize=["MatMul"], extra_options=extra)
    return Path(out)


def _session(path, threads: int | None = None, sequential: bool = True, arena: bool = True):
    """An onnxruntime CPU session: intra-op threads = ``threads`` (default: every core), sequential
    execution with one inter-op thread (an encoder is a chain of ops: parallel execution only adds
    scheduling; eval/onnx_benchmark.py times both), the memory arena on (buffers reused across calls)."""
    ort = require_onnxruntime()
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads or default_threads()
    # parallel execution needs inter-op threads (with one, onnxruntime falls back to sequential)
    opts.inter_op_num_threads = 1 if sequential else 2
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL if sequential else ort.ExecutionMode.ORT_PARALLEL
    opts.enable_cpu_mem_arena = arena
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _onnx_model_class():
    import torch

    class OnnxTokenClassifier(torch.nn.Module):
        """Stands in for the PyTorch model inside TokenClassificationPipeline: same config, same call
        signature, logits from an onnxruntime session."""

        def __init__(self, session, config):
            super().__init__()
            self.session = session
            self.config = config
            self.input_names = [i.name for i in session.get_inputs()]
            self._anchor = torch.nn.Parameter(torch.zeros(1), requires_grad=False)  # gives .device/.dtype

        @property
        def device(self):
            return torch.device("cpu")

        @property
        def dtype(self):
            return torch.float32

        def can_generate(self):
            return False

        def forward(self, **inputs):
            feeds = {n: inputs[n].cpu().numpy().astype("int64") for n in self.input_names if n in inputs}
            if "token_type_ids" in self.input_names and "token_type_ids" not in feeds:
                feeds["token_type_ids"] = (inputs["input_ids"] * 0).cpu().numpy().astype("int64")
            logits = self.session.run(["logits"], feeds)[0]
            return {"logits": torch.from_numpy(logits)}

    return OnnxTokenClassifier


def resolve_onnx_file(path, quantized: bool = True) -> tuple[Path, Path]:
    """(onnx file, folder holding tokenizer and config) for a file, an export folder, or a model folder
    with an onnx/ subfolder."""
    path = Path(path)
    if path.is_file():
        return path, path.parent
    for folder in (path, path / "onnx"):
        f = folder / (INT8_NAME if quantized else FP32_NAME)
        if f.exists():
            if folder != path:
                check_export_is_current(path, folder)
            return f, folder
    raise FileNotFoundError(f"{path}: no {INT8_NAME if quantized else FP32_NAME} found; export one with "
                            f"`python -m incident_roles export-onnx --model <model folder>`")


def OnnxTagger(path, quantized: bool = True, aggregation_strategy: str = "first", stride: int = DEFAULT_STRIDE,
               threads: int | None = None):
    """A token-classification pipeline backed by an ONNX model: called like pipeline() (one text or a
    list, batch_size=...) and returns the same entity dicts. ``path``: model.int8.onnx / model.onnx, an
    export folder, or a model folder with onnx/ inside."""
    from transformers import AutoConfig, AutoTokenizer, TokenClassificationPipeline

    onnx_file, folder = resolve_onnx_file(path, quantized)
    config = AutoConfig.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    from transformers.utils import logging as hf_logging

    model = _onnx_model_class()(_session(onnx_file, threads), config)
    # the pipeline warns that a non-transformers class is "not supported"; it is, through forward()
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity(hf_logging.CRITICAL)
    try:
        pipe = TokenClassificationPipeline(model=model, tokenizer=tokenizer, aggregation_strategy=aggregation_strategy,
                                           stride=stride, device=-1)
    finally:
        hf_logging.set_verbosity(level)
    pipe.onnx_file = str(onnx_file)
    return pipe


def default_threads() -> int:
    return int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)


__all__ = ["export_onnx", "quantize_onnx", "OnnxTagger", "resolve_onnx_file", "FP32_NAME", "FUSED_NAME", "INT8_NAME"]
