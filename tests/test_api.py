"""The HTTP API through the app itself (fastapi.testclient, httpx): every endpoint on the tiny model,
every kind of bad input, a model failure that leaves the server serving, and concurrent requests."""
import asyncio
import json
import threading
import time

import pytest

pytest.importorskip("fastapi", reason="the API is an optional extra: pip install 'incident-roles[serve]'")
import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from incident_roles.records.builder import validate  # noqa: E402
from incident_roles.serving.api import create_app  # noqa: E402

TEXT = "Iranian forces struck bases in Baluchistan, killing two children. Pakistan recalled its ambassador."


@pytest.fixture(scope="module")
def client(eager_model):
    with TestClient(create_app(str(eager_model), max_texts=4, max_chars=500)) as c:
        yield c


def test_health_names_model_version_and_backend(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["model"] == "m" and body["backend"] == "pytorch"
    assert body["version"] == "0.1.0" and (body["max_texts"], body["max_chars"]) == (4, 500)


def test_tag_one_text_and_a_list(client):
    one = client.post("/tag", json={"text": TEXT})
    assert one.status_code == 200
    spans = one.json()["spans"]
    assert spans, "the eager model tags plenty"
    for s in spans:
        assert set(s) == {"label", "start", "end", "text", "score"} and s["text"] == TEXT[s["start"]:s["end"]]
    many = client.post("/tag", json={"text": ["Short one.", TEXT, ""]}).json()["results"]
    assert [r["spans"] for r in many][1:] == [spans, []]  # batched or alone, the same spans


def test_extract_gives_schema_records_with_ids(client):
    rec = client.post("/extract", json={"text": TEXT, "id": "a1"}).json()["record"]
    assert validate(rec) == [] and rec["id"] == "a1" and rec["text_length"] == len(TEXT)
    recs = client.post("/extract", json={"text": [TEXT, "  "], "id": ["x", "y"]}).json()["records"]
    assert [r["id"] for r in recs] == ["x", "y"] and recs[0] == {**rec, "id": "x"}
    assert all(not recs[1][k] for k in ("attackers", "targets", "victims", "responses"))  # blank: empty


def test_demo_page_and_docs_are_served_offline(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "#f4a582" in page.text and "__COLOURS__" not in page.text  # the HTML view's colours
    assert "http://" not in page.text and "https://" not in page.text  # no CDN, no outside asset
    assert client.get("/docs").status_code == 200
    assert {"/tag", "/extract", "/health"} <= set(client.get("/openapi.json").json()["paths"])


@pytest.mark.parametrize("path", ["/tag", "/extract"])
@pytest.mark.parametrize("body, status, detail", [
    ('{"text": "unclosed', 400, "invalid JSON"),
    ("{}", 422, "text: required"),
    ('{"txt": "a"}', 422, "text: required"),
    ('{"text": 42}', 422, "text: must be a string"),
    ('{"text": null}', 422, "text: must be a string"),
    ('{"text": ["ok", 5]}', 422, "text[1]: must be a string"),
    ('["a list"]', 422, "body"),
    ('{"text": ["a", "b", "c", "d", "e"]}', 413, "text: 5 texts, over the limit of 4"),
    (json.dumps({"text": "x" * 501}), 413, "text: 501 characters, over the limit of 500"),
    (json.dumps({"text": ["ok", "x" * 501]}), 413, "text[1]: 501 characters"),
])
def test_bad_input_gets_4xx_naming_the_field(client, path, body, status, detail):
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert r.json()["detail"].startswith(detail), r.json()


def test_empty_text_gives_an_empty_result(client):
    assert client.post("/tag", json={"text": ""}).json() == {"spans": []}
    assert client.post("/tag", json={"text": []}).json() == {"results": []}
    rec = client.post("/extract", json={"text": ""}).json()["record"]
    assert validate(rec) == [] and rec["attackers"] == [] and rec["responses"] == []


def test_bad_ids_name_the_field(client):
    r = client.post("/extract", json={"text": ["a", "b"], "id": ["x"]})
    assert r.status_code == 422 and r.json()["detail"].startswith("id: 1 ids for 2 texts")
    assert client.post("/extract", json={"text": "a", "id": 3}).json()["detail"].startswith("id: must be")


class SlowPipeline:
    """A pipeline stub: one ATTACKER span on the first word, 0.2 s a call, and an error on "BOOM"."""

    def __init__(self):
        self.calls = []

    def __call__(self, texts, batch_size=8, **kwargs):
        self.calls.append(list(texts))
        time.sleep(0.2)
        if any("BOOM" in t for t in texts):
            raise RuntimeError("tensor shape mismatch")
        return [[{"entity_group": "ATTACKER", "score": 0.9, "word": "w", "start": 0, "end": t.find(" ")}]
                for t in texts]


def test_model_failure_gives_500_and_the_server_keeps_serving():
    with TestClient(create_app(SlowPipeline())) as c:
        r = c.post("/tag", json={"text": "BOOM goes the model"})
        assert r.status_code == 500 and r.json()["detail"] == "model failed: RuntimeError: tensor shape mismatch"
        assert c.post("/tag", json={"text": "Gunmen attacked"}).json()["spans"][0]["text"] == "Gunmen"
        assert c.get("/health").json()["backend"] == "SlowPipeline"


def test_concurrent_requests_are_batched_and_each_gets_its_own_answer():
    pipe = SlowPipeline()
    app = create_app(pipe)
    texts = [f"Party{i} struck" for i in range(8)] + ["BOOM in a batch"]

    async def main():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await asyncio.gather(*(c.post("/tag", json={"text": t}) for t in texts))

    responses = asyncio.run(main())
    assert [r.status_code for r in responses] == [200] * 8 + [500]  # the failing text fails alone
    assert [r.json()["spans"][0]["text"] for r in responses[:8]] == [f"Party{i}" for i in range(8)]
    assert any(len(c) > 1 for c in pipe.calls)  # requests that queued up were tagged together
    app.state.tagger.close()


def test_threads_share_one_model_safely(client):
    results, expected = {}, {t: client.post("/tag", json={"text": t}).json() for t in (TEXT, TEXT[:60], "Nothing.")}

    def worker(i):
        t = list(expected)[i % 3]
        results[i] = (t, client.post("/tag", json={"text": t}).json())

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(body == expected[t] for t, body in results.values()) and len(results) == 9


def test_load_script_serves_the_tiny_model_and_reports_latency(tiny_model, tmp_path):
    """eval/serve_load.py end to end: its own server process, 2 clients for 2 s, results written."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    data = tmp_path / "texts.jsonl"
    data.write_text("".join(json.dumps({"text": t}) + "\n" for t in (TEXT, "Short one.", TEXT * 3)), encoding="utf-8")
    out = tmp_path / "results"
    proc = subprocess.run([sys.executable, str(root / "eval" / "serve_load.py"), "--model", str(tiny_model),
                           "--data", str(data), "--clients", "2", "--seconds", "2", "--threads", "1",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads((out / "serve.json").read_text())
    assert result["failed"] == 0 and result["ok"] >= 2 and result["requests_per_s"] > 0
    assert 0 < result["latency_ms"]["p50"] <= result["latency_ms"]["p95"] <= result["latency_ms"]["p99"]
    md = (out / "serve.md").read_text()
    assert "| requests | failed | requests/s" in md and "eval/serve_load.py --model" in md
