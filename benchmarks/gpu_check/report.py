"""The JSON report's shared pieces and the table printed at the end of a run."""

from __future__ import annotations

import datetime
from pathlib import Path


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def skip(reason: str) -> dict:
    return {"status": "skipped", "message": reason}


def format_table(report: dict, out: Path) -> str:
    m = report.get("machine", {})
    device = m.get("device", report.get("device_requested"))
    what = m.get("gpu") or m.get("cpu") or ""
    lines = [f"\nphyassist GPU check on {device} ({what}); torch {m.get('torch', '?')}, CUDA {m.get('cuda') or '-'}; "
             f"budget {report['budget_seconds']:.0f} s, wall {report.get('wall_seconds', 0):.0f} s"
             + (" [--quick]" if report.get("quick") else ""),
             f"data: {report.get('data', '?')}",
             f"{'section':<11}{'status':<9}{'time':>7}  result"]
    for name, entry in report["sections"].items():
        secs = f"{entry['seconds']:.1f}s" if "seconds" in entry else "-"
        text = entry.get("line") if entry["status"] == "ok" else entry.get("message", "")
        lines.append(f"{name:<11}{entry['status']:<9}{secs:>7}  {text}")
        if entry["status"] != "ok" and entry.get("line"):
            lines.append(f"{'':27}{entry['line']}")
        for item, reason in entry.get("skipped_items", {}).items():
            lines.append(f"{'':27}{item}: {reason}")
        for note in entry.get("notes", []):
            lines.append(f"{'':27}note: {note}")
        for target, t in entry.get("targets", {}).items():
            if t.get("met") is False:
                lines.append(f"{'':27}target not met: {target} = {t['value']} (target {t['target']})")
    s = report.get("summary", {})
    lines.append(f"summary: {s.get('ok', 0)} ok, {s.get('error', 0)} error, {s.get('skipped', 0)} skipped -> {out}"
                 + (f"; {report['error']}" if report.get("error") else ""))
    return "\n".join(lines)
