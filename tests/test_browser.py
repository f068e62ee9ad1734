"""The demo page in a real browser: Debian's chromium, driven by Playwright, against a real uvicorn server
on a free loopback port. A report is pasted, the button clicked, and the highlighted roles, the record
tables and the links from the record to the text are checked; a screenshot is saved.

The model is a fixed pipeline stub, so the labels surely appear. To take the README's screenshot with a
trained model instead (the assertions then need the model to find an attacker and a response):

    DEMO_MODEL=models/minilm DEMO_PNG=docs/demo.png .venv/bin/python -m pytest -q tests/test_browser.py
"""
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

REPORT = ("Gunmen of the militant group Jaish al-Adl attacked a border post in Iran's Sistan-Baluchestan "
          "province on Friday, killing 11 border guards. Two days later Iranian forces struck what Tehran "
          "called militant hideouts inside Pakistan. Islamabad recalled its ambassador from Tehran and told "
          "Iran's envoy, who was visiting home, not to return.")
ENTITIES = [("Gunmen of the militant group Jaish al-Adl", "ATTACKER", 0.93), ("a border post", "TARGET", 0.88),
            ("11", "VICTIM_COUNT", 0.97), ("Iranian forces", "ATTACKER", 0.95),
            ("militant hideouts", "TARGET", 0.81), ("recalled its ambassador", "DIPLOMATIC_RESPONSE", 0.9),
            ("told Iran's envoy, who was visiting home, not to return", "DIPLOMATIC_RESPONSE", 0.74)]


class FixedTagger:
    """A token-classification pipeline stub: each (substring, label, score) at its first occurrence."""

    def __call__(self, texts, batch_size=8, **kwargs):
        out = []
        for text in texts:
            ents = []
            for sub, label, score in ENTITIES:
                a = text.find(sub)
                if a >= 0:
                    ents.append({"entity_group": label, "score": score, "word": sub.lower(), "start": a,
                                 "end": a + len(sub)})
            out.append(ents)
        return out


def _browser_or_skip():
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        pytest.skip("no browser test: the playwright package is missing (pip install 'incident-roles[serve]')")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no browser test: {CHROMIUM} is missing (as root: apt-get install -y chromium; "
                    "`make test` does this)")


@pytest.fixture
def server():
    """A real uvicorn server in a thread, on a free 127.0.0.1 port (the socket is bound first, so no other
    process can take the port in between)."""
    pytest.importorskip("uvicorn", reason="the API is an optional extra: pip install 'incident-roles[serve]'")
    _browser_or_skip()
    import uvicorn

    from incident_roles.serving.api import create_app

    model = os.environ.get("DEMO_MODEL") or FixedTagger()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(create_app(model), log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_demo_page_tags_a_pasted_report_in_chromium(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    shot = tmp_path / "demo.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(server)
            page.fill("#text", REPORT)
            page.click("#run")
            expect(page.locator("mark.attacker").first).to_be_visible(timeout=30_000)
            expect(page.locator("mark.diplomatic_response").first).to_be_visible()
            expect(page.locator("#record table.attackers")).to_be_visible()
            expect(page.locator("#record table.diplomatic-responses")).to_be_visible()
            if not os.environ.get("DEMO_MODEL"):  # the stub's spans are known
                assert page.locator("mark.attacker").count() == 2
                assert page.locator("mark.diplomatic_response").count() == 2
                assert page.locator("mark.victim_count").inner_text().startswith("11")
                assert "recall envoy" in page.locator("#record table.diplomatic-responses").inner_text()
                assert "161" in page.locator("#record table.diplomatic-responses").inner_text()  # CAMEO
                # the page keeps the report's text exactly: the marks' labels are the only additions
                labels = "".join(page.locator("#marked mark .lab").all_inner_texts())
                assert len(page.locator("#marked").text_content()) == len(REPORT) + len(labels)
            # a record field links to its evidence in the text
            link = page.locator("#record table.attackers a").first
            target = link.get_attribute("href")
            link.click()
            assert page.url.endswith(target) and page.locator(target).inner_text().startswith(link.inner_text())
            assert page.locator("#status").inner_text().endswith("spans")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert all(u.startswith(server) for u in requests), requests  # nothing fetched from outside
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("DEMO_PNG"):
        shutil.copyfile(shot, Path(os.environ["DEMO_PNG"]))
