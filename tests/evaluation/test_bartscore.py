"""BARTScore equals the reference definition on a tiny random BART, keeps input order, and never
ends the run on a failing pair."""

from __future__ import annotations

import copy
import math

import pytest

from phyassist.errors import UserError
from phyassist.evaluation.bartscore import BARTScorer, mean


@pytest.fixture(scope="module")
def tiny_bart(smol_tokenizer):
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(0)
    # a copy: calls with truncation or padding leave them set on the tokenizer, and the session's one is shared
    tok = copy.deepcopy(smol_tokenizer)
    config = BartConfig(vocab_size=len(tok), d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                        decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64,
                        pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id or 1, eos_token_id=tok.eos_token_id,
                        decoder_start_token_id=tok.eos_token_id, forced_eos_token_id=None)
    return BartForConditionalGeneration(config).eval(), tok


def reference_scores(model, tok, srcs, tgts, batch_size=4, max_length=64):
    """BARTScore's BARTScorer.score loop (Yuan et al., 2021), verbatim in substance."""
    import torch

    loss_fct = torch.nn.NLLLoss(reduction="none", ignore_index=model.config.pad_token_id)
    lsm = torch.nn.LogSoftmax(dim=1)
    out = []
    for i in range(0, len(srcs), batch_size):
        s = tok(srcs[i:i + batch_size], max_length=max_length, truncation=True, padding=True, return_tensors="pt")
        t = tok(tgts[i:i + batch_size], max_length=max_length, truncation=True, padding=True, return_tensors="pt")
        with torch.no_grad():
            tgt_len = t["attention_mask"].sum(dim=1)
            logits = model(input_ids=s["input_ids"], attention_mask=s["attention_mask"], labels=t["input_ids"]).logits
            loss = loss_fct(lsm(logits.view(-1, model.config.vocab_size)), t["input_ids"].view(-1))
            loss = loss.view(t["input_ids"].shape[0], -1).sum(dim=1) / tgt_len
        out += [-x.item() for x in loss]
    return out


SRCS = ["The poster feels hopeless and tired.", "No signs of stress.", "Work is the main cause of stress here, clearly.",
        "a", "Family issues dominate the post; the poster mentions arguments at home.", "School."]
TGTS = ["The post shows despair.", "The poster seems calm and relaxed about the exam.", "Work.", "b c d",
        "The stress cause is family.", "Exams at school cause stress for this student."]


def test_equals_reference_definition(tiny_bart):
    model, tok = tiny_bart
    scorer = BARTScorer(model=model, tokenizer=tok, device="cpu", max_length=64, batch_size=3)
    ours = scorer.score(SRCS, TGTS)
    ref = reference_scores(model, tok, SRCS, TGTS)
    assert ours == pytest.approx(ref, abs=1e-4)
    # and each equals the single-pair definition: mean log-likelihood of the target tokens
    import torch

    for s, t, o in zip(SRCS, TGTS, ours):
        enc, lab = tok(s, return_tensors="pt"), tok(t, return_tensors="pt")["input_ids"]
        with torch.no_grad():
            logp = model(**enc, labels=lab).logits.log_softmax(-1).gather(-1, lab.unsqueeze(-1)).mean()
        assert o == pytest.approx(logp.item(), abs=1e-4)
    assert mean(ours) == pytest.approx(sum(ours) / len(ours))


def test_compact_head_with_a_logits_bias_equals_the_full_forward(tiny_bart):
    """The BART fast path (vocabulary projection on non-pad target positions only) keeps final_logits_bias."""
    import torch

    from phyassist.evaluation.bartscore import _bart_head

    model, tok = tiny_bart
    assert _bart_head(model) is not None  # the fast path is the one under test
    saved = model.final_logits_bias.clone()
    try:
        torch.manual_seed(1)
        model.final_logits_bias.copy_(torch.randn_like(saved) * 3)
        ours = BARTScorer(model=model, tokenizer=tok, device="cpu", max_length=64, batch_size=4).score(SRCS, TGTS)
        assert ours == pytest.approx(reference_scores(model, tok, SRCS, TGTS), abs=1e-4)
    finally:
        model.final_logits_bias.copy_(saved)


def test_many_chunks_and_batches_keep_pairs_in_line(tiny_bart):
    """Encoder batches (source order) and decoder batches (target order) differ; chunks of 2 batches of 2
    split the pairs further. Every score must still belong to its own pair."""
    model, tok = tiny_bart
    srcs, tgts = SRCS * 3, TGTS[1:] + TGTS[:1] + TGTS * 2  # 18 pairs, targets rotated against sources
    scorer = BARTScorer(model=model, tokenizer=tok, device="cpu", max_length=64, batch_size=2)
    scorer.chunk_batches = 2
    assert scorer.score(srcs, tgts) == pytest.approx(reference_scores(model, tok, srcs, tgts, batch_size=1), abs=1e-4)


def test_other_seq2seq_models_use_the_generic_head(smol_tokenizer):
    """A T5 (no final_logits_bias) goes through the full logits path with precomputed encoder states."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    from phyassist.evaluation.bartscore import _bart_head

    torch.manual_seed(0)
    tok = copy.deepcopy(smol_tokenizer)
    config = T5Config(vocab_size=len(tok), d_model=32, d_kv=8, d_ff=64, num_layers=1, num_heads=2,
                      pad_token_id=tok.pad_token_id, decoder_start_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
    model = T5ForConditionalGeneration(config).eval()
    assert _bart_head(model) is None
    ours = BARTScorer(model=model, tokenizer=tok, device="cpu", max_length=64, batch_size=4).score(SRCS, TGTS)
    assert ours == pytest.approx(reference_scores(model, tok, SRCS, TGTS), abs=1e-4)


@pytest.mark.parametrize("with_bias", [False, True])
def test_blockwise_head_equals_log_softmax(with_bias):
    """Row chunks and vocabulary blocks that do not divide the sizes (the last block is partial, targets
    fall in every block), with and without a logits bias."""
    import torch

    from phyassist.evaluation.bartscore import _token_logprobs

    g = torch.Generator().manual_seed(0)
    hidden, weight = torch.randn(23, 16, generator=g), torch.randn(1000, 16, generator=g)
    bias = torch.randn(1000, generator=g) if with_bias else torch.zeros(1000)
    targets = torch.randint(0, 1000, (23,), generator=g)
    targets[:3] = torch.tensor([0, 999, 960])  # first column, last column, inside the partial last block
    want = (hidden @ weight.t() + bias).log_softmax(-1).gather(1, targets[:, None]).squeeze(1)
    got = _token_logprobs(hidden, targets, weight, bias, rows=7, block=64)
    assert torch.allclose(got, want, atol=1e-5)


def test_failing_pair_scores_nan_and_the_rest_survive(tiny_bart):
    model, tok = tiny_bart
    # 64 positions: a 300-token target cannot be embedded; max_length=1024 does not cut it
    scorer = BARTScorer(model=model, tokenizer=tok, device="cpu", max_length=1024, batch_size=4)
    srcs, tgts = SRCS[:3], [TGTS[0], "word " * 300, TGTS[2]]
    scores = scorer.score(srcs, tgts)
    assert math.isnan(scores[1])
    ref = reference_scores(model, tok, [srcs[0], srcs[2]], [tgts[0], tgts[2]], batch_size=1)
    assert [scores[0], scores[2]] == pytest.approx(ref, abs=1e-4)
    assert mean([math.nan]) is None


def test_length_mismatch_and_missing_model(tiny_bart, tmp_path):
    model, tok = tiny_bart
    with pytest.raises(UserError, match="as many sources as targets: got 2 and 1"):
        BARTScorer(model=model, tokenizer=tok, device="cpu").score(["a", "b"], ["c"])
    with pytest.raises(UserError, match="cannot load BARTScore model"):
        BARTScorer(str(tmp_path / "nothing"))


def test_weights_that_do_not_load_are_a_one_line_note(tiny_bart, tmp_path, caplog):
    """Offline Hub id, missing folder, a folder without weights: ``load_scorer`` says why in one line and
    returns no scorer (the eval goes on without BARTScore); weights that load give a scorer and no note."""
    from phyassist.evaluation.bartscore import load_scorer

    model, tok = tiny_bart
    (tmp_path / "empty").mkdir()
    cases = {"phyassist-tests/no-such-bart": "cannot load BARTScore model 'phyassist-tests/no-such-bart': ",
             str(tmp_path / "missing"): f"cannot load BARTScore model {str(tmp_path / 'missing')!r}: no such folder",
             str(tmp_path / "empty"): f"cannot load BARTScore model {str(tmp_path / 'empty')!r}: "}
    for checkpoint, why in cases.items():
        caplog.clear()
        scorer, note = load_scorer(checkpoint)
        assert scorer is None and note.startswith(f"BARTScore not computed: {why}") and "\n" not in note, note
        assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [note]
    model.save_pretrained(tmp_path / "bart")
    tok.save_pretrained(tmp_path / "bart")
    scorer, note = load_scorer(str(tmp_path / "bart"), device="cpu")
    assert note is None and scorer.score(SRCS[:2], TGTS[:2]) == pytest.approx(
        reference_scores(model, tok, SRCS[:2], TGTS[:2]), abs=1e-4)
