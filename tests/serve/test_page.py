"""The page's text (phyassist.serve.page): the adapter status names every failed adapter without server paths."""

from __future__ import annotations

from test_bank import make_adapter

from phyassist.serve.bank import AdapterBank
from phyassist.serve.page import CSS, POST_EXAMPLES, adapter_status


def test_adapter_status_names_loaded_and_failed_adapters_without_paths(tiny_llama_dir, tmp_path):
    one = make_adapter(tiny_llama_dir, tmp_path / "one", 0, hub_id="phyassist-tests/other-base")
    bank = AdapterBank.load(str(tiny_llama_dir), {"one": str(one), "missing": str(tmp_path / "no-such-adapter")})
    status = adapter_status(bank)
    assert status.splitlines()[0] == "**Base model:** `phyassist-tests/tiny-llama` · **adapters loaded:** `one`"
    assert "- \u26a0\ufe0f adapter `missing` could not be loaded: " in status
    assert "- adapter `one`: trained on phyassist-tests/other-base, loaded on phyassist-tests/tiny-llama" in status
    assert str(tmp_path) not in status and "no-such-adapter" not in status


def test_post_examples_name_real_tasks_and_aspects_and_the_badge_is_styled():
    from phyassist.data.tasks import get_task

    for _, task, aspect in POST_EXAMPLES:
        assert aspect is None or aspect in get_task(task).aspects
    assert ".phy-badge-ok" in CSS and ".phy-badge-none" in CSS and "#disclaimer" in CSS
