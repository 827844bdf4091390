"""Section generation: ``phyassist.evaluation.generation.generate`` (sorted, left-padded batches)
against generation_bench.py's IMHI.py loop, one prompt at a time, both greedy: speedup and outputs that
differ."""

from __future__ import annotations

import statistics

from .context import Result, fp32_precision, timed


class OnDevice:
    """A tokenizer whose encodings land on ``device``: generation_bench.imhi_loop (written for the CPU)
    hands them straight to ``generate``. Attribute writes (its pad token, padding side) pass through."""

    def __init__(self, tokenizer, device):
        object.__setattr__(self, "_tok", tokenizer)
        object.__setattr__(self, "_device", device)

    def __call__(self, *args, **kwargs):
        return self._tok(*args, **kwargs).to(self._device)

    def __getattr__(self, name):
        return getattr(self._tok, name)

    def __setattr__(self, name, value):
        setattr(self._tok, name, value)


def section_generation(ctx) -> Result:
    torch, s, res = ctx.torch, ctx.scale, Result()
    from generation_bench import imhi_loop
    from transformers.utils import logging as hf_logging

    from phyassist.data.loading import load_imhi
    from phyassist.evaluation.generation import chat_prompt, generate
    from phyassist.models import load_model_and_tokenizer, load_tokenizer

    if s.smollm2:
        base, described = ctx.smollm2()
    else:
        base, described = ctx.tiny_llama(), "tiny random Llama"
    model, tok = load_model_and_tokenizer(str(base), quantization=None)  # as `phyassist eval` loads it
    loaded_on = next(model.parameters()).device.type
    res.figures.update(model=described, dtype=str(model.dtype).replace("torch.", ""), library_loaded_on=loaded_on)
    if loaded_on != ctx.device:
        res.notes.append(f"load_model_and_tokenizer left the model on {loaded_on}; moved to {ctx.device} here")
        model.to(ctx.device)
    model.generation_config.eos_token_id = tok.eos_token_id  # both arms stop on the same token
    queries = [r["query"] for r in load_imhi("MultiWD", "test")[: s.gen_rows]]
    with fp32_precision(torch, "highest"):
        generate(model, tok, queries[:2], batch_size=2, max_new_tokens=2, progress=False)  # warm-up
        ours, t_ours = timed(ctx, lambda: generate(model, tok, queries, batch_size=s.gen_batch,
                                                   max_new_tokens=s.new_tokens, progress=False))
        base_tok = load_tokenizer(str(base))  # its own copy: imhi_loop re-pads the tokenizer it gets
        prompts = [chat_prompt(base_tok, q) for q in queries]
        # IMHI.py bounds generation by max_length=2048 alone; the same max_new_tokens bound here makes the
        # outputs comparable (and the baseline only faster than the original)
        model.generation_config.max_new_tokens = s.new_tokens
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # "both max_new_tokens and max_length set", once per prompt
        try:
            base_out, t_base = timed(ctx, lambda: imhi_loop(model, OnDevice(base_tok, ctx.device), prompts,
                                                            batch_size=1))
        finally:
            hf_logging.set_verbosity(verbosity)
    mismatches = sum(a != b for a, b in zip(ours, base_out))
    lengths = [len(x) for x in base_tok(ours, add_special_tokens=False)["input_ids"]]
    empty = sum(not x for x in ours)
    res.figures.update(
        rows=len(queries), batch_size=s.gen_batch, max_new_tokens=s.new_tokens,
        baseline="generation_bench.imhi_loop one prompt at a time, file order, same max_new_tokens",
        ours_samples_per_s=round(len(queries) / t_ours, 3), baseline_samples_per_s=round(len(queries) / t_base, 3),
        speedup=round(t_base / t_ours, 2), mismatches=mismatches, empty_outputs=empty,
        mean_output_tokens=round(statistics.fmean(lengths), 1),
        ours_seconds=round(t_ours, 2), baseline_seconds=round(t_base, 2))
    res.check("same number of outputs", len(ours) == len(base_out) == len(queries))
    res.check("most outputs non-empty (else identical means nothing)", empty <= len(ours) // 2, f"{empty} empty")
    res.target("identical greedy outputs", f"{len(queries) - mismatches}/{len(queries)}", "all", mismatches == 0)
    res.line = (f"ours {len(queries) / t_ours:.2f} vs IMHI.py loop {len(queries) / t_base:.2f} samples/s -> "
                f"{t_base / t_ours:.1f}x; {mismatches}/{len(queries)} outputs differ ({described})")
    return res
