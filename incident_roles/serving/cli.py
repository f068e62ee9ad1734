"""Command line: incident records, batch inference and the ONNX export.

    python -m incident_roles extract report.txt [more.txt ...] [--model models/minilm] [--format json|html] [--out PATH]
    python -m incident_roles batch --model models/minilm --input corpus.jsonl --output out.jsonl [--shard 0/2]
    python -m incident_roles merge out.0.jsonl out.1.jsonl --output out.jsonl
    python -m incident_roles export-onnx --model models/minilm [--out models/minilm/onnx] [--no-quantize]
    python -m incident_roles batch --engine ray --model models/minilm --input corpus.jsonl --output out.jsonl
    python -m incident_roles serve --model models/minilm [--onnx] [--host 127.0.0.1] [--port 8000]
    python -m incident_roles extract report.txt --format plover          # PLOVER events, JSONL
    python -m incident_roles corpus export --format label-studio --out tasks.json   # or doccano, prodigy
    python -m incident_roles corpus import --format label-studio tasks.json --out-dir data/reports

`--onnx` on extract and batch tags with the int8 ONNX export (<model>/onnx) instead of PyTorch.
Errors print one line naming the file, line or key (`error: report.txt: not UTF-8 text (byte 0xff at
offset 12)`) and exit with 2; `-v` adds the traceback.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from pathlib import Path

from incident_roles.serving.lean import BACKENDS


def _model(args):
    threads = getattr(args, "threads", None)
    if threads:
        import torch

        torch.set_num_threads(threads)
    if getattr(args, "backend", None):
        from incident_roles.serving.lean import load_tagger

        return load_tagger(args.model, args.backend, threads)
    if getattr(args, "onnx", False):
        from incident_roles.serving.onnx_tagger import OnnxTagger

        return OnnxTagger(args.model, threads=threads)
    return args.model


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:  # its own message names neither the file nor the offset's meaning
        raise ValueError(f"{path}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})") from None


def cmd_extract(args) -> int:
    from incident_roles.records.builder import extract_many

    texts, names = [], []
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"error: {name}: no such file", file=sys.stderr)
            return 2
        texts.append(_read_text(path))
        names.append(path.name)
    records = extract_many(texts, model=_model(args), ids=[Path(n).stem for n in names],
                           batch_size=args.batch_size)
    if args.format == "html":
        from incident_roles.records.html_view import render_page

        page = render_page(list(zip(names, texts, records)), title=f"incident-roles: {', '.join(names)}")
        out = Path(args.out or (Path(names[0]).stem + ".html" if len(names) == 1 else "incident_records.html"))
        out.write_text(page, encoding="utf-8")
        print(f"wrote {out}")
        return 0
    if args.format == "plover":  # one event a line, the interchange form PLOVER suggests
        from incident_roles.records.plover import events_jsonl

        text = events_jsonl(records, texts)
    else:
        payload = records[0] if len(records) == 1 else records
        text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_batch(args) -> int:
    from incident_roles.serving.batch import run_batch

    if args.engine == "ray":
        from incident_roles.serving.ray_batch import run_ray_batch

        if args.shard:
            raise ValueError("--shard: Ray spreads the corpus over its actors itself; leave --shard out")
        summary = run_ray_batch(args.model, args.input, args.output, text_column=args.text_column,
                                id_column=args.id_column, batch_size=args.batch_size, onnx=args.onnx,
                                actors=args.actors, threads_per_actor=args.threads or 1,
                                address=args.ray_address, progress=not args.no_progress)
        print(json.dumps(summary))
        return 0
    summary = run_batch(_model(args), args.input, args.output, text_column=args.text_column,
                        id_column=args.id_column, batch_size=args.batch_size, shard=args.shard,
                        progress=not args.no_progress)
    print(json.dumps(summary))
    return 0


def cmd_serve(args) -> int:
    from incident_roles.serving.api import serve

    serve(args.model, onnx=args.onnx, host=args.host, port=args.port, threads=args.threads,
          batch_size=args.batch_size, max_texts=args.max_texts, max_chars=args.max_chars)
    return 0


def cmd_merge(args) -> int:
    from incident_roles.serving.batch import merge_outputs

    print(json.dumps(merge_outputs(args.files, args.output)))
    return 0


def cmd_export(args) -> int:
    from incident_roles.serving.onnx_tagger import export_onnx

    print(json.dumps(export_onnx(args.model, args.out, quantize=not args.no_quantize), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m incident_roles", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("extract", help="one incident record per report file")
    p.add_argument("files", nargs="+", metavar="FILE", help="plain-text reports")
    p.add_argument("--model", default="models/minilm")
    p.add_argument("--format", choices=("json", "html", "plover"), default="json")
    p.add_argument("--out", help="output file (default: stdout for json, <report>.html for html)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--onnx", action="store_true", help="use the int8 ONNX export of --model")
    p.add_argument("--backend", choices=BACKENDS,
                   help="tagger: pipeline() on torch or the int8 ONNX export, or the lean loop (incident_roles."
                        "serving.lean) on torch fp32/bf16 or ONNX int8; auto: onnx-lean if exported, else torch")
    p.add_argument("--threads", type=int, help="CPU threads for the model (default: all cores)")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("batch", help="tag a JSONL/CSV/Parquet corpus into a JSONL of records, resumably")
    p.add_argument("--model", default="models/minilm")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--text-column", default="text")
    p.add_argument("--id-column", default="id")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--shard", help="i/n: this process takes rows with row %% n == i")
    p.add_argument("--onnx", action="store_true", help="use the int8 ONNX export of --model")
    p.add_argument("--backend", choices=BACKENDS,
                   help="tagger: pipeline() on torch or the int8 ONNX export, or the lean loop (incident_roles."
                        "serving.lean) on torch fp32/bf16 or ONNX int8; auto: onnx-lean if exported, else torch")
    p.add_argument("--threads", type=int, help="CPU threads for the model (default: all cores); with n "
                                                "shards on one machine, cores / n")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local: this process (default); ray: Ray Data actors (the `ray` extra)")
    p.add_argument("--actors", type=int, default=2, help="--engine ray: tagger actors, each --threads CPUs")
    p.add_argument("--ray-address", help="--engine ray: a running cluster (auto, ray://host:10001); "
                                          "default: start Ray on this machine")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("serve", help="HTTP API and demo page (the `serve` extra)")
    p.add_argument("--model", default="models/minilm")
    p.add_argument("--onnx", action="store_true", help="use the int8 ONNX export of --model")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, help="CPU threads for the model (default: all cores)")
    p.add_argument("--batch-size", type=int, default=8, help="texts a model call takes at once")
    p.add_argument("--max-texts", type=int, default=64, help="most texts in one request")
    p.add_argument("--max-chars", type=int, default=100_000, help="longest text accepted, in characters")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("merge", help="merge shard outputs of `batch` into one JSONL, in input order")
    p.add_argument("files", nargs="+")
    p.add_argument("--output", required=True)
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("export-onnx", help="export a saved model to ONNX (fp32 and dynamic int8)")
    p.add_argument("--model", default="models/minilm")
    p.add_argument("--out", help="default: <model>/onnx")
    p.add_argument("--no-quantize", action="store_true")
    p.set_defaults(func=cmd_export)

    from incident_roles.corpus.exchange import add_corpus_parser  # corpus export/import (annotation tools)

    add_corpus_parser(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        return args.func(args)
    except Exception as e:
        print(f"error: {_describe(e)}", file=sys.stderr)
        if args.verbose:
            traceback.print_exc()
        return 2


def _describe(e: Exception) -> str:
    """One line for an error; the errors this package raises already name their file, line or key."""
    if isinstance(e, OSError) and e.filename and e.strerror:  # from open() and friends: "[Errno 2] ..."
        return f"{e.filename}: {e.strerror}"
    if isinstance(e, KeyError) and e.args:  # str() of a KeyError quotes its message
        return str(e.args[0])
    if isinstance(e, (OSError, KeyError, ValueError, ImportError)):
        return str(e)
    return f"{type(e).__name__}: {e} (rerun with -v for the traceback)"


if __name__ == "__main__":
    sys.exit(main())
