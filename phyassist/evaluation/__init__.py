"""The evaluation part: IMHI answers generated, labelled and scored.

It owns batched generation (``generation``), label inference from generated text (``labels``), the
classification metrics (``metrics``), BARTScore (``bartscore``), the results table and F1 chart
(``report``) and the ``phyassist eval`` run (``run``). It imports ``data`` and ``models``, never
``train``, ``hub`` or ``serve``.
"""
