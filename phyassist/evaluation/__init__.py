"""The evaluation part: IMHI answers generated, labelled and scored.

It owns batched generation with a content-keyed cache (``generation``), label inference from generated
text (the ``labels`` subpackage: parsers, the published classifier files, MentalLLaMA's own classifiers,
the ``phyassist labels`` command), the classification scores (``scores``), the explanation scores
(``explanation``: ROUGE-L of the reasoning, the explained rate), bootstrap intervals and the paired
base-vs-adapter verdict (``bootstrap``), BARTScore (``bartscore``), the results table and F1 chart
(``report``) and the ``phyassist eval`` run (``run``); the TF-IDF baseline (``baseline``); the counseling
evaluation of counsel-chat answers (``nll``, ``counseling``, ``counsel_run``). It imports ``data`` and
``models``, and of ``serve`` only the crisis screen (``serve.safety``, a leaf); never ``train`` or ``hub``.
"""
