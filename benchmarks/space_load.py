"""The Space under load: a hostile client beside a normal one, and many concurrent clients.

    python benchmarks/space_load.py                                   # the full run (idle machine)
    python benchmarks/space_load.py --victim-rounds 2 --clients 5 --max-generation-seconds 5   # a quick look

The app of ``space/app.py`` on the embedded SmolLM2 (no adapters) is launched on 127.0.0.1 in this
process and driven with gradio_client, one ``Client`` (one session) per user:

- hostile: one client sends maximal requests back to back (4,000-character messages, max_new_tokens
  512, temperature 1; its server-side history grows with every call), and beside each it tries to
  queue a second one, which the one-request-per-session gate refuses. Meanwhile a victim asks a
  normal question (greedy, 64 new tokens, a fresh conversation each time). Its latency is set against
  its latency alone. A running reply yields once another session waits and it has generated for
  ``--fair-share-seconds``, so the victim waits for at most the hostile prompt's prefill (which
  ``max_time`` cannot cut) plus that share, not for a whole maximal request.
- concurrent: ``--clients`` clients ask at once (32 new tokens each); every one must be answered
  (errors: target 0).
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import socket
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VICTIM = "I feel a bit stressed about work this week. Any quick tip?"
HOSTILE = ("Please listen to everything I say and answer at length. " * 80)[:4000]


def load_app():
    spec = importlib.util.spec_from_file_location("phyassist_space_app", REPO / "space" / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ask_victim(client, base: str, tokens: int) -> float:
    client.predict(api_name="/reset")  # the same short prompt every round, alone or under load
    start = time.perf_counter()
    client.predict(VICTIM, base, 0.0, 0.9, tokens, api_name="/chat")
    return time.perf_counter() - start


def hostile_loop(url: str, base: str, stop: threading.Event, stats: dict) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    while not stop.is_set():
        start = time.perf_counter()
        jobs = [client.submit(HOSTILE, base, 1.0, 1.0, 512, api_name="/chat") for _ in range(2)]
        for job in jobs:
            try:
                job.result(timeout=600)
                stats["answered"].append(time.perf_counter() - start)
            except Exception as error:  # the gate's refusal of the second, or a real error
                stats["refused" if "One request at a time" in str(error) else "errors"] += 1


def concurrent(url: str, base: str, clients: int, tokens: int) -> tuple[list[float], int, float]:
    from gradio_client import Client

    def ask(i):
        start = time.perf_counter()
        reply = Client(url, verbose=False).predict(f"Question {i}: how can I sleep better?", base, 0.0, 0.9, tokens,
                                                   api_name="/chat")
        if not isinstance(reply, str) or not reply.strip():
            raise RuntimeError(f"client {i}: empty reply")
        return time.perf_counter() - start

    start, latencies, errors = time.perf_counter(), [], 0
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(ask, i) for i in range(clients)]:
            try:
                latencies.append(future.result())
            except Exception as error:
                errors += 1
                print(f"concurrent: error: {type(error).__name__}: {error}", file=sys.stderr)
    return latencies, errors, time.perf_counter() - start


def row(name: str, values: list[float], note: str = "") -> None:
    if values:
        print(f"| {name} | {len(values)} | {statistics.median(values):.2f} | {max(values):.2f} | {note} |")
    else:
        print(f"| {name} | 0 | - | - | {note} |")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--victim-rounds", type=int, default=5, help="victim requests alone and again under load")
    p.add_argument("--victim-tokens", type=int, default=64)
    p.add_argument("--clients", type=int, default=20, help="concurrent clients in the second scenario")
    p.add_argument("--concurrent-tokens", type=int, default=32)
    p.add_argument("--max-generation-seconds", type=float, default=None,
                   help="the Space's generation bound (default: SpaceConfig's)")
    p.add_argument("--fair-share-seconds", type=float, default=None,
                   help="seconds a reply keeps the model once someone else waits (default: SpaceConfig's)")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    import torch
    from gradio_client import Client

    from phyassist.serve.bank import BASE_CHOICE, AdapterBank, SpaceConfig

    app = load_app()
    overrides = {"max_generation_seconds": args.max_generation_seconds, "fair_share_seconds": args.fair_share_seconds}
    config = SpaceConfig(**{k: v for k, v in overrides.items() if v})
    config.queue_size = max(config.queue_size, args.clients + 2)
    demo = app.build_app(AdapterBank.load(config.base_model, {}), config)
    app.launch(demo, server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    url = demo.local_url
    print(f"machine: {os.cpu_count()} CPUs, torch {torch.get_num_threads()} threads; base {config.base_model}; "
          f"max_generation_seconds {config.max_generation_seconds:g}, fair_share_seconds {config.fair_share_seconds:g}, "
          f"queue_size {config.queue_size}", flush=True)
    try:
        victim = Client(url, verbose=False)
        ask_victim(victim, BASE_CHOICE, args.victim_tokens)  # warm-up
        alone = [ask_victim(victim, BASE_CHOICE, args.victim_tokens) for _ in range(args.victim_rounds)]
        print(f"victim alone: median {statistics.median(alone):.2f} s", flush=True)
        hostile_alone = []
        for _ in range(max(args.victim_rounds // 2, 1)):  # the second call of a session: its prompt is full
            client = Client(url, verbose=False)
            client.predict(HOSTILE, BASE_CHOICE, 1.0, 1.0, 512, api_name="/chat")
            start = time.perf_counter()
            client.predict(HOSTILE, BASE_CHOICE, 1.0, 1.0, 512, api_name="/chat")
            hostile_alone.append(time.perf_counter() - start)

        stop, stats = threading.Event(), {"answered": [], "refused": 0, "errors": 0}
        attacker = threading.Thread(target=hostile_loop, args=(url, BASE_CHOICE, stop, stats), daemon=True)
        attacker.start()
        time.sleep(2)  # the hostile client's first maximal request is generating
        loaded = [ask_victim(victim, BASE_CHOICE, args.victim_tokens) for _ in range(args.victim_rounds)]
        stop.set()
        attacker.join(timeout=config.max_generation_seconds * 3 + 60)
        print(f"victim beside the hostile client: median {statistics.median(loaded):.2f} s", flush=True)

        latencies, errors, wall = concurrent(url, BASE_CHOICE, args.clients, args.concurrent_tokens)
    finally:
        demo.close()

    print("\n| scenario | n | median s | max s | note |\n|---|---:|---:|---:|---|")
    row("victim alone", alone, f"greedy, {args.victim_tokens} new tokens")
    row("hostile request alone", hostile_alone, "4,000 chars after one such exchange, 512 tokens, temperature 1")
    extra = statistics.median(loaded) - statistics.median(alone)
    row("victim beside hostile client", loaded,
        f"+{extra:.1f} s over alone (without the fair share it would wait for a whole hostile request, "
        f"~{statistics.median(hostile_alone):.1f} s); the hostile reply yields after {config.fair_share_seconds:g} s "
        "plus its prompt's prefill")
    row("hostile requests answered", stats["answered"],
        f"4,000 chars, 512 tokens; second request beside each refused {stats['refused']}x; errors {stats['errors']}")
    row(f"{args.clients} concurrent clients", latencies,
        f"errors {errors} (target 0); all answered in {wall:.1f} s")
    return 1 if errors or stats["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
