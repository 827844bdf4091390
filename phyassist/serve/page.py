"""What the Space's page shows beside its components: the adapter status, examples and styles.

The ``phy-badge`` styles are those of ``analyze.label_badge``'s HTML; ``adapter_status`` names every
adapter that failed to load, with its reason and no server path.
"""

from __future__ import annotations

import html

from .bank import AdapterBank

EXAMPLES = [
    "I've been feeling really anxious before work every morning. How can I calm down?",
    "My partner and I keep arguing about small things. What can we do?",
    "I can't sleep because I keep overthinking everything I said during the day.",
]
POST_EXAMPLES = [
    ["I haven't left my room in weeks. Nothing feels worth doing and I sleep all day.", "DR", None],
    ["Finals are next week, I have three papers due and my part-time job won't give me time off.", "SAD", None],
    ["I started volunteering at the library and I love helping people find books.", "MultiWD", "social"],
]
CSS = """
#disclaimer {border-left: 4px solid #d97706; padding: 0.3em 0.8em; background: rgba(217,119,6,0.08);}
.phy-badge {display: inline-block; padding: 0.25em 0.8em; border-radius: 999px; font-weight: 600;}
.phy-badge-ok {background: #dcfce7; color: #166534;} .phy-badge-none {background: #e5e7eb; color: #374151;}
"""


def adapter_status(bank: AdapterBank) -> str:
    """Markdown: the base model, the adapters loaded, and each one that failed, with its reason (no server path)."""
    lines = [f"**Base model:** `{bank.scrub(bank.preset.hub_id)}` · **adapters loaded:** "
             + (", ".join(f"`{n}`" for n in bank.names) or "none")]
    for name, reason in bank.failed.items():
        lines.append(f"- \u26a0\ufe0f adapter `{name}` could not be loaded: {html.escape(bank.scrub(reason))}")
    for name, note in bank.warnings.items():
        lines.append(f"- adapter `{name}`: {html.escape(bank.scrub(note))}")
    return "\n".join(lines)
