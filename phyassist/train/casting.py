"""No activation round trips through fp32 in bf16 LoRA training: peft's input cast, turned off under autocast.

peft casts each LoRA layer's input to the adapter's dtype before ``lora_B(lora_A(x))``. Trainable adapters
are fp32 while the frozen base runs in bf16 under the Trainer's (accelerate's) bf16 autocast, so every LoRA
layer copies its whole bf16 activation to fp32, and autocast copies it straight back to bf16 for the matmul:
two full-size copies per adapted projection in the forward and their gradients' in the backward, for a
result that is bit for bit the same (bf16 -> fp32 -> bf16 is exact). ``NoInputCastMixin`` switches the cast
off (peft's own ``disable_input_dtype_casting``) while the Trainer computes a loss with bf16 mixed precision,
inside a bf16 autocast of its own (accelerate's wraps the forward only once the model is prepared);
``benchmarks/train_throughput.py`` measures the gain.
"""

from __future__ import annotations

import contextlib


def autocast_bf16(trainer) -> bool:
    """Whether the Trainer's forward runs under bf16 autocast (accelerate's mixed precision)."""
    accelerator = getattr(trainer, "accelerator", None)
    return str(getattr(accelerator, "mixed_precision", "no")) == "bf16"


class NoInputCastMixin:
    """A Trainer mixin: peft's LoRA input cast is off inside ``compute_loss_context_manager`` under bf16 autocast."""

    def compute_loss_context_manager(self):
        stack = super().compute_loss_context_manager()
        if autocast_bf16(self):
            import torch
            from peft.helpers import disable_input_dtype_casting

            # without autocast a bf16 input would meet an fp32 adapter weight: the cast is off only inside it
            stack.enter_context(torch.autocast(self.args.device.type, dtype=torch.bfloat16))
            stack.enter_context(disable_input_dtype_casting(self.model))
        return stack
