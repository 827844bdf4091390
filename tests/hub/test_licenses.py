"""The base model's license (phyassist.hub.licenses): a preset's declared one, else the base's own card (local
folder, then the Hub), `other` with its name and link, and nothing (never a default) when nothing says."""

from __future__ import annotations

from phyassist.hub.licenses import BaseLicense, base_license


def test_a_preset_declares_its_license_without_a_lookup(hub_standin):
    found = base_license("HuggingFaceTB/SmolLM2-135M-Instruct", endpoint=hub_standin.url)
    assert found == BaseLicense("apache-2.0", source="declared by phyassist's preset smollm2-135m-instruct")
    assert hub_standin.requests == []


def test_the_local_folder_card_then_the_hub_card(tmp_path, hub_standin):
    (tmp_path / "README.md").write_text("---\nlicense: gemma\n---\n# a local copy\n")
    assert base_license("someone/base", tmp_path, endpoint=hub_standin.url).card_fields() == {"license": "gemma"}
    assert hub_standin.requests == []  # the folder's card answered
    hub_standin.add_repo("someone/base", {"README.md": b"---\nlicense: cc-by-nc-4.0\n---\n"})
    found = base_license("someone/base", tmp_path / "no-card", endpoint=hub_standin.url)
    assert found.card_fields() == {"license": "cc-by-nc-4.0"} and found.source == "someone/base's model card"


def test_unknown_is_none_and_never_a_default(hub_standin, tmp_path):
    hub_standin.add_repo("someone/no-license", {"README.md": b"---\ntags: [x]\n---\n"})
    hub_standin.add_repo("someone/unknown", {"README.md": b"---\nlicense: unknown\n---\n"})
    for repo in ("someone/no-license", "someone/unknown", "someone/missing"):
        found = base_license(repo, endpoint=hub_standin.url)
        assert found.license is None and found.card_fields() == {}, repo
        assert found.sentence.startswith("The base model's license could not be determined (")
    # an older card's bare `other` names no license: not copied (the Hub wants `license_name` with it)
    (tmp_path / "README.md").write_text("---\nlicense: other\n---\n")
    assert base_license("someone/missing", tmp_path, endpoint=hub_standin.url).license is None
    assert base_license(None).source == "a local base model without a Hub id or a card"


def test_other_keeps_name_and_makes_a_relative_link_absolute(hub_standin):
    hub_standin.add_repo("org/custom", {"README.md": b"---\nlicense: other\nlicense_name: custom-1.0\n"
                                                     b"license_link: LICENSE.md\n---\n"})
    found = base_license("org/custom", endpoint=hub_standin.url)
    assert found.card_fields() == {"license": "other", "license_name": "custom-1.0",
                                   "license_link": "https://huggingface.co/org/custom/blob/main/LICENSE.md"}
    assert found.sentence == ("License: `other` (custom-1.0, https://huggingface.co/org/custom/blob/main/LICENSE.md), "
                              "the base model's (org/custom's model card).")
