"""The evaluation part: IMHI answers generated, labelled and scored.

It owns batched generation with a content-keyed cache (``generation``), label inference from generated
text (``labels``, ``statement``, ``labeler``; the published classifier files: ``classifiers``,
``label_cli``; MentalLLaMA's own: ``mentalbert``), the classification metrics (``metrics``), bootstrap
intervals and the paired base-vs-adapter verdict (``bootstrap``), BARTScore (``bartscore``), the
results table and F1 chart (``report``) and the ``phyassist eval`` run (``run``). It imports ``data`` and ``models``, never
``train``, ``hub`` or ``serve``.
"""
