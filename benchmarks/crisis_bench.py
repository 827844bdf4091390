"""Crisis screen: recall and false alarms on held-out messages and counsel-chat questions, and latency.

    PHYASSIST_DATA_DIR=../shared/data python benchmarks/crisis_bench.py            # the held-out set
    PHYASSIST_DATA_DIR=../shared/data python benchmarks/crisis_bench.py --set dev  # the tuning set
    PHYASSIST_DATA_DIR=../shared/data python benchmarks/crisis_bench.py --set independent  # aggregates only
    ... --show  # print every miss and false alarm (not for the independent set)

The held-out set (``benchmarks/crisis_data/heldout.jsonl``) was written by someone else before any
tuning and is never used to tune rules or train the model; the development set
(``scripts/crisis_data/dev.jsonl``, owned by ``scripts/build_crisis_model.py``) is what the rules were
tuned on and the model trained on. The independent set (``benchmarks/crisis_heldout/messages.jsonl``,
478 messages in 16 languages by a session blind to the screen) is scored rarely and only as aggregates:
``--show`` is refused for it, so no message of it is ever read while the screen changes. Targets (issue
24): recall >= 90%, false alarms <= 10% on hard harmless messages (20% on the older idioms) and <= 2% on
ordinary counsel-chat questions, median under 20 ms a message on CPU. Also shown: false alarms on
ordinary messages to an assistant (``benchmarks/crisis_data/heldout_chat.jsonl``, written apart; ``--set
dev`` reads the training file ``chat_negatives.jsonl`` instead): there a false alarm replaces the
answer. Rules alone and rules + learned layer run side by side on the same rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HELDOUT = REPO / "benchmarks" / "crisis_data"  # evaluation only: nothing tunes or trains on it
TRAINING = REPO / "scripts" / "crisis_data"  # the build script's messages
INDEPENDENT = REPO / "benchmarks" / "crisis_heldout" / "messages.jsonl"  # aggregates only, never --show
SETS = {"heldout": HELDOUT / "heldout.jsonl", "dev": TRAINING / "dev.jsonl", "independent": INDEPENDENT}
# ordinary messages to an assistant, written apart (held out) or for training (dev)
CHAT = {"heldout": HELDOUT / "heldout_chat.jsonl", "dev": TRAINING / "chat_negatives.jsonl"}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--set", choices=sorted(SETS), default="heldout")
    p.add_argument("--show", action="store_true", help="print every miss and false alarm")
    args = p.parse_args()
    if args.show and args.set == "independent":
        sys.exit("crisis_bench.py: --show is refused for --set independent: it is scored as aggregates only.")

    from crisis_eval import ordinary_questions, read_rows, screen_rows  # beside this script

    from phyassist.data.loading import data_dir
    from phyassist.serve import safety
    from phyassist.serve.safety.model import shipped
    from phyassist.serve.safety.rules import match_rules
    from phyassist.serve.safety.text import normalize

    rows = read_rows(SETS[args.set])
    chat = [r["text"] for r in read_rows(CHAT[args.set])] if args.set in CHAT and CHAT[args.set].exists() else []
    counsel = ordinary_questions(Path(os.environ.get("PHYASSIST_DATA_DIR") or data_dir())
                                 / "counsel-chat" / "20200325_counsel_chat.csv")

    def rules_only(turns):
        recent = [t for t in turns if t][-safety.SCREEN_TURNS:]
        texts = recent + ([" \n ".join(recent)] if len(recent) > 1 else [])
        return next((hit for t in texts if (hit := match_rules(normalize(t)))), None)

    print(f"set: {SETS[args.set].relative_to(REPO)} ({len(rows)} rows); counsel-chat ordinary questions: {len(counsel)}")
    print(f"learned layer: {shipped().info if shipped() else 'missing'}")
    print(f"{'screen':<16} {'recall':>8} {'idiom FA':>9} {'other safe FA':>14} {'counsel FA':>11} {'chat FA':>8}")
    reports = {}
    for name, screen in (("rules only", rules_only), ("rules + model", safety.screen_conversation)):
        report = reports[name] = screen_rows(rows, screen)
        fired = [q for q in counsel if screen([q])]
        chat_fired = [m for m in chat if screen([m])]
        if name == "rules + model":
            chat_alarms = chat_fired
        other = [c for (label, c) in report.counts if label == "safe" and c != "idiom"]
        other_n = sum(report.n("safe", c) for c in other)
        other_fired = sum(report.counts[("safe", c)][1] for c in other)
        print(f"{name:<16} {1 - len(report.misses) / report.n('crisis'):>8.1%} {report.rate('safe', 'idiom'):>9.1%} "
              f"{other_fired / max(other_n, 1):>14.1%} {len(fired) / len(counsel):>11.2%} "
              f"{len(chat_fired) / max(len(chat), 1):>8.1%}")
    full = reports["rules + model"]
    print("\nrecall by category (rules + model):")
    for (label, category), (n, fired) in sorted(full.counts.items()):
        print(f"  {label:<7} {category:<15} {fired:>4}/{n:<4} fired ({fired / n:.0%})")
    print("\nby language (rules + model): crisis caught, harmless fired")
    for lang in sorted({lang for _, lang in full.languages}):
        (n, caught), (m, fired) = full.languages[("crisis", lang)], full.languages[("safe", lang)]
        print(f"  {lang:<8} {caught:>4}/{n:<4} caught   {fired:>4}/{m:<4} fired")
    if full.paired:
        (n, caught), (m, fired) = full.paired["crisis"], full.paired["safe"]
        print(f"near-miss pairs: {caught}/{n} crisis caught, {fired}/{m} harmless twins fired")

    texts = [t for r in rows for t in ([r["text"]] if "text" in r else r["turns"])] + counsel[:200]
    times = []
    for text in texts:
        start = time.perf_counter()
        safety.detect_crisis(text)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(f"\nlatency per message: median {statistics.median(times):.2f} ms, p99 {times[int(0.99 * len(times))]:.2f} ms, "
          f"max {times[-1]:.2f} ms over {len(times)} messages (target: median < 20 ms)")
    if args.show:
        print("\nmisses:")
        for row in full.misses:
            print(f"  [{row.get('category')}/{row.get('lang')}] {row.get('text') or row.get('turns')}")
        print("false alarms on ordinary chat:")
        for text in chat_alarms:
            print(f"  {text}")
        print("false alarms:")
        for row, signal in full.false_alarms:
            print(f"  [{row.get('category')}] {row.get('text') or row.get('turns')} <- {signal.rule}: {signal.phrase[:60]}")


if __name__ == "__main__":
    main()
