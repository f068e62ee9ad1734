"""HTTP API and demo page: tags and incident records over HTTP, one model per process.

    incident-roles serve --model models/minilm [--onnx] [--host 127.0.0.1] [--port 8000]

    POST /tag      {"text": "..."} or {"text": ["...", ...]}  -> {"spans": [...]} / {"results": [{"spans"}, ...]}
    POST /extract  {"text": ..., "id": optional}              -> {"record": {...}} / {"records": [...]}
    GET  /health   model name, package version, backend, limits
    GET  /         the demo page (one self-contained HTML file: no build step, no CDN)
    GET  /docs     OpenAPI docs (FastAPI's Swagger UI, whose scripts come from a CDN: offline, read
                   /openapi.json, the schema itself)

- The model is loaded once, before the server takes requests, and is called from one worker thread
  only: requests put their texts on a queue and await the result, so concurrent requests are safe, and
  whatever has queued up while the model was busy is tagged in one call (texts sorted by length, so a
  batch pads little). An idle server tags a lone request at once: batching never adds a wait.
- Bad input gets a 4xx whose "detail" names the field: 400 invalid JSON, 422 a missing or non-string
  ``text`` (or ``id``), 413 more texts than ``max_texts`` or a text longer than ``max_chars``. An empty
  or blank text gets an empty result. A model failure gets 500 with the error; the server keeps serving.

Needs the optional extra `serve` (fastapi, uvicorn). No `from __future__ import annotations` here:
FastAPI reads the request models of the endpoints, which are local to create_app, at run time.
"""
import asyncio
import html
import json
import logging
import queue
import threading
from concurrent.futures import Future
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Optional, Union

log = logging.getLogger(__name__)

DEFAULT_MAX_TEXTS = 64
DEFAULT_MAX_CHARS = 100_000
STATIC = Path(__file__).with_name("static")


class BatchingTagger:
    """Runs ``pipe`` on one thread. ``submit(texts)`` returns a Future of the texts' spans; the thread
    takes every request waiting (up to ``max_batch`` texts) and tags them in one predict_spans call."""

    def __init__(self, pipe, batch_size: int = 8, max_batch: int = 32):
        self.pipe, self.batch_size, self.max_batch = pipe, batch_size, max_batch
        self.queue: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="tagger", daemon=True)
        self.thread.start()

    def submit(self, texts: list[str]) -> Future:
        future: Future = Future()
        self.queue.put((texts, future))
        return future

    def close(self):
        self.queue.put(None)
        self.thread.join(timeout=10)

    def _predict(self, texts):
        # the same length buckets as `batch` and `extract`: a batch pads only to its bucket
        from incident_roles.serving.lean import predict_spans_bucketed

        return predict_spans_bucketed(self.pipe, texts, batch_size=self.batch_size)

    def _run(self):
        while True:
            job = self.queue.get()
            if job is None:
                return
            jobs, n = [job], len(job[0])
            while n < self.max_batch:
                try:
                    job = self.queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self.queue.put(None)  # stop after this batch
                    break
                jobs.append(job)
                n += len(job[0])
            try:
                spans = self._predict([t for texts, _ in jobs for t in texts])
            except Exception:  # one request's text must not fail the others: each alone
                for texts, future in jobs:
                    try:
                        future.set_result(self._predict(texts))
                    except Exception as e:
                        future.set_exception(e)
                continue
            for texts, future in jobs:
                future.set_result(spans[:len(texts)])
                spans = spans[len(texts):]


def _describe_model(model, onnx: bool, pipe) -> tuple[str, str]:
    """(model name, backend) for /health."""
    if isinstance(model, (str, Path)):
        return Path(model).resolve().name, "onnx" if onnx else "pytorch"
    inner = getattr(pipe, "model", None)
    name = getattr(inner, "name_or_path", None) or type(pipe).__name__
    backend = "onnx" if hasattr(pipe, "onnx_file") else "pytorch" if inner is not None else type(pipe).__name__
    return Path(str(name)).name, backend


def load_model(model, onnx: bool = False, threads: int | None = None):
    """The pipeline for a model folder (the int8 ONNX export with ``onnx``), or ``model`` itself when it
    already is a pipeline-like callable."""
    if not isinstance(model, (str, Path)):
        return model
    if threads:
        import torch

        torch.set_num_threads(threads)
    if onnx:
        from incident_roles.serving.onnx_tagger import OnnxTagger

        return OnnxTagger(model, threads=threads)
    from incident_roles.serving.predict import load_pipeline

    return load_pipeline(model)


def create_app(model="models/minilm", onnx: bool = False, threads: int | None = None,
               max_texts: int = DEFAULT_MAX_TEXTS, max_chars: int = DEFAULT_MAX_CHARS, batch_size: int = 8):
    """The FastAPI app for ``model`` (a saved model folder, or a loaded pipeline), loaded now."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse
    from pydantic import BaseModel, ConfigDict, Field, StrictStr

    import incident_roles
    from incident_roles.records.builder import SCHEMA_VERSION, build_record
    from incident_roles.records.html_view import COLOURS

    pipe = load_model(model, onnx, threads)
    name, backend = _describe_model(model, onnx, pipe)
    tagger = BatchingTagger(pipe, batch_size=batch_size, max_batch=max(max_texts, 32))

    @asynccontextmanager
    async def lifespan(app):
        yield
        tagger.close()

    app = FastAPI(title="incident-roles", version=incident_roles.__version__, lifespan=lifespan,
                  description="Tags ATTACKER, TARGET, VICTIM_COUNT and DIPLOMATIC_RESPONSE in news reports "
                              "of diplomatic incidents and builds incident records (docs/records.md).")

    class TagIn(BaseModel):
        model_config = ConfigDict(json_schema_extra={"examples": [{"text": "Pakistan recalled its ambassador."}]})
        text: Union[StrictStr, list[StrictStr]] = Field(description="one report, or a list of reports")

    class ExtractIn(TagIn):
        id: Optional[Union[StrictStr, list[StrictStr]]] = Field(
            None, description="the record id: one string, or a list as long as `text`")

    class ModelFailed(Exception):
        pass

    class TooLarge(Exception):
        pass

    def texts_of(req: TagIn) -> list[str]:
        texts = [req.text] if isinstance(req.text, str) else req.text
        if len(texts) > max_texts:
            raise TooLarge(f"text: {len(texts)} texts, over the limit of {max_texts} a request; "
                           "send them in several requests")
        for i, t in enumerate(texts):
            if len(t) > max_chars:
                where = "text" if isinstance(req.text, str) else f"text[{i}]"
                raise TooLarge(f"{where}: {len(t)} characters, over the limit of {max_chars}")
        return texts

    async def spans_of(texts: list[str]) -> list[list[dict]]:
        try:
            return await asyncio.wrap_future(tagger.submit(texts))
        except Exception as e:
            log.exception("model failed")
            raise ModelFailed(f"model failed: {type(e).__name__}: {e}") from e

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        if any(e["type"] == "json_invalid" for e in errors):
            e = next(e for e in errors if e["type"] == "json_invalid")
            at = f" at character {e['loc'][1]}" if len(e["loc"]) > 1 else ""
            return JSONResponse({"detail": f"invalid JSON{at}: {e.get('ctx', {}).get('error', e['msg'])}"},
                                status_code=400)
        # loc is ("body", field, [union member], [index]); a list item's error is more telling than the
        # union's other branch ("text[1]: must be a string" rather than "text: must be a string or ...")
        found = {}
        for e in errors:
            parts = tuple(p for p in e["loc"][1:] if isinstance(p, int) or p in ("text", "id"))
            key = parts[:1] or ("body",)
            if len(parts) >= len(found.get(key, ((),))[0]):
                found[key] = (parts, e)
        messages = []
        for parts, e in found.values():
            field = "".join(f"[{p}]" if isinstance(p, int) else p for p in parts) or "body"
            if e["type"] == "missing":
                msg = "required"
            elif parts and len(parts) > 1:
                msg = "must be a string"
            elif parts:
                msg = "must be a string or a list of strings"
            else:  # not a JSON object, or not sent as application/json
                msg = 'expected a JSON object such as {"text": "..."}, sent as application/json'
            if f"{field}: {msg}" not in messages:
                messages.append(f"{field}: {msg}")
        return JSONResponse({"detail": "; ".join(messages)}, status_code=422)

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, exc: TooLarge):
        return JSONResponse({"detail": str(exc)}, status_code=413)

    @app.exception_handler(ModelFailed)
    async def model_failed(request: Request, exc: ModelFailed):
        return JSONResponse({"detail": str(exc)}, status_code=500)

    @app.post("/tag", summary="Role spans of one text or a list")
    async def tag(req: TagIn):
        texts = texts_of(req)
        spans = await spans_of(texts)
        for t, ss in zip(texts, spans):
            for s in ss:
                s["text"] = t[s["start"]:s["end"]]
        if isinstance(req.text, str):
            return {"spans": spans[0]}
        return {"results": [{"spans": s} for s in spans]}

    @app.post("/extract", summary="Incident records (docs/records.md) of one text or a list")
    async def extract(req: ExtractIn):
        texts = texts_of(req)
        single = isinstance(req.text, str)
        ids = req.id if isinstance(req.id, list) else [req.id] * len(texts)
        if single and isinstance(req.id, list) or len(ids) != len(texts):
            return JSONResponse({"detail": f"id: {len(ids)} ids for {len(texts)} texts"}, status_code=422)
        spans = await spans_of(texts)
        records = [build_record(t, s, doc_id=i) for t, s, i in zip(texts, spans, ids)]
        return {"record": records[0]} if single else {"records": records}

    @app.get("/health", summary="Model, version, backend and request limits")
    async def health():
        return {"status": "ok", "model": name, "version": incident_roles.__version__, "backend": backend,
                "schema_version": SCHEMA_VERSION, "max_texts": max_texts, "max_chars": max_chars}

    page = (STATIC / "index.html").read_text(encoding="utf-8")
    page = page.replace("__COLOURS__", json.dumps(COLOURS)).replace("__MODEL__", html.escape(name))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def demo():
        return page

    app.state.tagger = tagger
    return app


def serve(model="models/minilm", onnx: bool = False, host: str = "127.0.0.1", port: int = 8000, **kwargs):
    """Load the model and serve the app with uvicorn until interrupted."""
    try:
        import uvicorn
    except ImportError:
        raise ImportError("serve needs the `serve` extra: pip install 'incident-roles[serve]'") from None
    uvicorn.run(create_app(model, onnx=onnx, **kwargs), host=host, port=port, log_level="info")


__all__ = ["create_app", "serve", "BatchingTagger", "DEFAULT_MAX_TEXTS", "DEFAULT_MAX_CHARS"]
