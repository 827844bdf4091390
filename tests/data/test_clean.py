"""Row cleaning (phyassist.data.clean): mojibake repair, leftovers, a count per reason."""

from __future__ import annotations

from phyassist.data.clean import Cleaner, has_mojibake, repair_mojibake


def test_repair_mojibake_fixes_mac_roman_and_cp1252_but_not_real_text():
    assert repair_mojibake("I can‚Äôt, ‚Äúquoted‚Äù") == ("I can’t, “quoted”", 3)
    assert repair_mojibake("canâ€™t") == ("can’t", 1)
    assert repair_mojibake("mood üòê today")[0] == "mood 😐 today"
    assert repair_mojibake("l’été, naïve café") == ("l’été, naïve café", 0)


def test_has_mojibake_flags_lost_characters_not_punctuation():
    assert has_mojibake("We?ve been") and has_mojibake("I ?? you") and has_mojibake("bad \ufffd char")
    assert not has_mojibake("Why me?? Really???") and not has_mojibake("What? Nothing.")


def test_cleaner_counts_each_reason():
    c = Cleaner(max_chars=50)
    rows = [("q", "a"), ("", "a"), ("q", None), ("see http://x.org", "a"), ("We?ve", "a"), ("q" * 60, "a"), ("q", "a"),
            (" q ", "a")]
    kept = [c(*r) for r in rows]
    assert kept[0] == ("q", "a") and kept.count(None) == 7
    assert dict(c.dropped) == {"empty": 2, "link": 1, "mojibake": 1, "too_long": 1, "duplicate": 2}


def test_cleaner_context_and_test_overlap_reasons():
    c = Cleaner(fits_context=lambda q, a: len(q) + len(a) <= 16, test_posts={"in the test set"})
    rows = [("short", "ok"), ("far too long for it", "a"), ("in the test set", "a"), ("short", "ok")]
    assert [c(*r) for r in rows] == [("short", "ok"), None, None, None]
    assert dict(c.dropped) == {"too_long_for_context": 1, "test_overlap": 1, "duplicate": 1}
