"""Publishing measured figures: the benchmarks section of README.md and of a model card, written from
the result files in eval/results/<model>/ with the command that made each figure."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from incident_roles.evaluation.crossval import format_markdown
from incident_roles.text import fill_section

log = logging.getLogger("incident_roles")

SECTION_START, SECTION_END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"


def results_section(out_dir: str | Path) -> str:
    """Markdown with the current benchmark and speed figures in ``out_dir`` and the commands that made them."""
    out = Path(out_dir)
    parts = [f"Measured by the commands shown; all files in `{out}/`."]
    bench = out / "benchmark.json"
    if bench.exists():
        b = json.loads(bench.read_text(encoding="utf-8"))
        if "summary" in b:
            parts += ["", f"Cross-validation, {b['k']} folds grouped by incident, {b['reports']} reports "
                          f"(`{b['command']}`, {b.get('date', '')}):", "", format_markdown(b)]
        a = b.get("test_split_analysis")
        if a:
            parts += ["", f"Test split (`{a['test']}`, {a['scores']['documents']} reports) through pipeline() "
                          f"(`{a.get('command', b.get('command'))}`, {a.get('date', b.get('date', ''))}): strict "
                          f"micro F1 {a['scores']['strict']['micro']['f1']:.3f}, partial {a['scores']['partial']['micro']['f1']:.3f}; "
                          f"{a['errors']['false_positives']} false positives and {a['errors']['false_negatives']} false "
                          "negatives listed in `errors.md`."]
    speed = out / "speed.json"
    if speed.exists():
        s = json.loads(speed.read_text(encoding="utf-8"))
        rows = ", ".join(f"{x['words_per_s']:.0f} at batch {bs}" for bs, x in s["batches"].items())
        best = max(s["batches"].values(), key=lambda x: x["words_per_s"])
        path = f"the fastest path at equal accuracy, `{s['headline_path']}`" if s.get("headline_path") else "pipeline()"
        share = best.get("share_of_limit", best["share_of_matmul"])
        parts += ["", f"Speed on CPU (`{s['command']}`, {s.get('date', '')}), {path}: words per second {rows}; "
                      f"latency of a 300-word report p50 {1000 * s['latency']['p50_seconds']:.0f} ms, p95 "
                      f"{1000 * s['latency']['p95_seconds']:.0f} ms; load {s['load_seconds']:.1f} s; peak memory "
                      f"{s['peak_rss_mib']:.0f} MiB; {100 * share:.1f}% of this CPU's matmul limit at the path's own "
                      "precision, at the best batch size. Every path side by side: `speed.md`."]
        peer = s.get("spacy_peer", {})
        if peer.get("available"):
            ratios = ", ".join(f"{x['our_words_per_s_ratio']:.2f}x at batch {bs}" for bs, x in peer["batches"].items())
            parts.append(f"Against spaCy's en_core_web_sm NER on the same texts, our words per second: {ratios}.")
    return "\n".join(parts)


def publish(out_dir: str | Path, files) -> list[Path]:
    """Write ``results_section`` between the benchmark markers of each file: a model card gets the section
    appended if it has no markers yet; any other file (the README) is updated only where the markers are."""
    section = results_section(out_dir)
    updated = []
    for path in map(Path, files):
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if not (SECTION_START in text and SECTION_END in text):
            if not (path.name == "README.md" and (path.parent / "config.json").exists()):
                log.info("%s has no %s ... %s section: not updated", path, SECTION_START, SECTION_END)
                continue
            path.write_text(text.rstrip("\n") + f"\n\n## Benchmarks\n\n{SECTION_START}\n{SECTION_END}\n",
                            encoding="utf-8")
        fill_section(path, SECTION_START, SECTION_END, section + "\n")
        updated.append(path)
    return updated
