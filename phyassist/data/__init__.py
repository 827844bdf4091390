"""The data part: what the IMHI and counsel-chat files hold and how they become training rows.

It owns the IMHI task registry (labels, gold sentences, questions, file layout: ``tasks``), raw
loading and the dataset/mixture registry (``loading``), row cleaning (``clean``), the base model's
context as a row-length limit (``context``), decontamination against the IMHI test posts
(``overlap``), preparation into a chat-format ``DatasetDict`` with a report (``prepare``), the
download of the public releases (``download``), CSV-to-chat rendering (``chat_csv``) and the
``phyassist data`` commands (``cli``).
It never imports ``train``, ``evaluation``, ``hub`` or ``serve``: data knows no trainer or scorer.
"""
