"""A static HTML page showing reports with their roles highlighted in colour (in the manner of spaCy's
displaCy "ent" view) and each report's incident record beside it. No JavaScript, no external assets:
the page opens from disk and can be mailed.

    python -m incident_roles extract report.txt --format html --out report.html
"""
from __future__ import annotations

import html
import json

COLOURS = {  # colour-blind-safe pastels (Okabe-Ito hues, lightened)
    "ATTACKER": "#f4a582",
    "TARGET": "#92c5de",
    "VICTIM_COUNT": "#fddc7a",
    "DIPLOMATIC_RESPONSE": "#b8e186",
}
_LABEL_OF = {"attackers": "ATTACKER", "targets": "TARGET"}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#fafafa;color:#222}
header{padding:12px 24px;background:#263238;color:#fff}
header h1{font-size:18px;margin:0}
.legend span{margin-right:10px}
.report{display:flex;gap:24px;padding:16px 24px;border-bottom:1px solid #ddd;align-items:flex-start}
.text{flex:3;line-height:2.3;white-space:pre-wrap;background:#fff;padding:16px;border:1px solid #e0e0e0;border-radius:6px}
.record{flex:2;font-size:14px;position:sticky;top:8px}
.record h3{margin:12px 0 4px;font-size:15px}
.record table{border-collapse:collapse;width:100%;background:#fff}
.record td,.record th{border:1px solid #e0e0e0;padding:3px 6px;text-align:left;vertical-align:top}
mark{padding:0.2em 0.35em;margin:0 0.15em;border-radius:0.35em;line-height:1}
mark .lab{font-size:0.62em;font-weight:bold;margin-left:0.4em;text-transform:uppercase;vertical-align:middle}
.score{color:#666;font-size:12px}
pre{white-space:pre-wrap;font-size:11px;background:#f0f0f0;padding:8px;max-height:320px;overflow:auto}
"""


def record_spans(record: dict) -> list[dict]:
    """The labelled spans a record's evidence points to, in text order."""
    spans = []
    for field in ("attackers", "targets"):
        for group in record.get(field, []):
            for m in group["mentions"]:
                spans.append({**m, "label": _LABEL_OF[field], "group": group["name"]})
    for v in record.get("victims", []):
        spans.append({**v, "label": "VICTIM_COUNT"})
    for r in record.get("responses", []):
        spans.append({**r, "label": "DIPLOMATIC_RESPONSE"})
    return sorted(spans, key=lambda s: s["start"])


def render_marked_text(text: str, spans: list[dict]) -> str:
    """``text`` as HTML with each span wrapped in a coloured <mark> carrying its label; everything is
    escaped, and overlapping spans (never produced by the tagger) keep the first one."""
    out, pos = [], 0
    for s in sorted(spans, key=lambda s: (s["start"], -s["end"])):
        if s["start"] < pos:
            continue
        out.append(html.escape(text[pos:s["start"]]))
        label = s["label"]
        title = f"{label} score {s.get('score', 1.0):.2f}"
        if s.get("type"):
            title += f" | {s['type']} CAMEO {s.get('cameo', '')} {s.get('plover', '')}"
        if s.get("group"):
            title += f" | {s['group']}"
        out.append(f'<mark class="{label.lower()}" style="background:{COLOURS.get(label, "#ddd")}" '
                   f'title="{html.escape(title, quote=True)}">{html.escape(text[s["start"]:s["end"]])}'
                   f'<span class="lab">{html.escape(label.replace("_", " "))}</span></mark>')
        pos = s["end"]
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _table(headers: list[str], rows: list[list]) -> str:
    if not rows:
        return "<p><i>none found</i></p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _count_text(c: dict) -> str:
    p = c["precision"]
    if p == "exact":
        return str(c["value"])
    if p == "about":
        return f"about {c['value']}"
    if p == "at_least":
        return f"at least {c['min']}"
    if p == "at_most":
        return f"at most {c['max']}"
    if p == "range":
        return f"{c['min']}-{c['max']}"
    if p == "unknown_plural":
        return "several (2 or more)"
    return "unknown"


def render_record(record: dict) -> str:
    """The record as small tables (parties, victims, responses) plus the raw JSON."""
    parts = []
    for field, title in (("attackers", "Attackers"), ("targets", "Targets")):
        rows = [[g["name"], g["state"] or "", "; ".join(m["text"] for m in g["mentions"]),
                 ", ".join(p["text"] for p in g.get("places", [])), f"{g['score']:.2f}"]
                for g in record.get(field, [])]
        headers = ["name", "state", "mentions", "places", "score"] if field == "targets" else \
            ["name", "state", "mentions", "score"]
        if field != "targets":
            rows = [r[:3] + r[4:] for r in rows]
        parts.append(f"<h3>{title}</h3>" + _table(headers, rows))
    rows = [[v["text"], _count_text(v["count"]), v["kind"], f"{v['score']:.2f}"] for v in record.get("victims", [])]
    parts.append("<h3>Victims</h3>" + _table(["text", "count", "kind", "score"], rows))
    rows = [[r["text"], r["label"], r["cameo"], r["plover"], f"{r['score']:.2f}"] for r in record.get("responses", [])]
    parts.append("<h3>Diplomatic responses</h3>" + _table(["text", "type", "CAMEO", "PLOVER", "score"], rows))
    parts.append("<details><summary>JSON record</summary><pre>"
                 + html.escape(json.dumps(record, indent=1, ensure_ascii=False)) + "</pre></details>")
    return "".join(parts)


def render_page(items: list[tuple[str, str, dict]], title: str = "incident-roles") -> str:
    """One page for (name, text, record) triples: each report's marked text with its record beside it."""
    legend = "".join(f'<span><mark style="background:{c}">{html.escape(l.replace("_", " ").lower())}</mark></span>'
                     for l, c in COLOURS.items())
    sections = []
    for name, text, record in items:
        sections.append(f'<section class="report"><div class="text"><b>{html.escape(name)}</b>\n\n'
                        f'{render_marked_text(text, record_spans(record))}</div>'
                        f'<div class="record">{render_record(record)}</div></section>')
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body><header><h1>{html.escape(title)}</h1>"
            f"<div class=\"legend\">{legend}</div></header>{''.join(sections)}</body></html>\n")


__all__ = ["COLOURS", "record_spans", "render_marked_text", "render_record", "render_page"]
