"""The static HTML view: roles highlighted, the record beside the text, everything escaped."""
from incident_roles.records.html_view import COLOURS, record_spans, render_marked_text, render_page
from incident_roles.records.builder import build_record

TEXT = "Iranian forces struck <b>bases</b>, killing two. Pakistan recalled its ambassador."


def _record():
    spans = [{"start": 0, "end": 14, "label": "ATTACKER", "score": 0.9},
             {"start": TEXT.index("<b>"), "end": TEXT.index("</b>") + 4, "label": "TARGET", "score": 0.8},
             {"start": TEXT.index("two"), "end": TEXT.index("two") + 3, "label": "VICTIM_COUNT", "score": 0.7},
             {"start": TEXT.index("recalled"), "end": len(TEXT) - 1, "label": "DIPLOMATIC_RESPONSE", "score": 0.6}]
    return build_record(TEXT, spans)


def test_spans_are_marked_in_colour_and_text_is_escaped():
    html = render_marked_text(TEXT, record_spans(_record()))
    assert html.count("<mark") == 4
    for label, colour in COLOURS.items():
        assert colour in html, label
    assert "&lt;b&gt;bases&lt;/b&gt;" in html and "<b>bases" not in html
    assert "recall_envoy" in html  # the response type travels in the title


def test_page_holds_text_and_record():
    page = render_page([("report.txt", TEXT, _record())], title="t")
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    assert "Diplomatic responses" in page and "161" in page and "SANCTION" in page
    assert "JSON record" in page and "<script" not in page


def test_overlapping_spans_keep_the_first():
    html = render_marked_text("abcdef", [{"start": 0, "end": 4, "label": "TARGET"},
                                         {"start": 2, "end": 6, "label": "ATTACKER"}])
    assert html.count("<mark") == 1 and html.endswith("ef")


def test_cli_writes_one_html_page(tiny_model, tmp_path):
    report = tmp_path / "r1.txt"
    report.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "view.html"
    from incident_roles.serving.cli import main

    assert main(["extract", str(report), "--model", str(tiny_model), "--format", "html", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "r1.txt" in page and "Attackers" in page
