"""Metadata the Hub accepts: the documented keys and limits of Space, model and dataset cards, ``eval.yaml``
and ``.eval_results/*.yaml``, each violation one line naming the field, the value and what is allowed.

``folder_violations(folder, repo_type)`` checks what a push would send; ``check_folder`` raises the lines as one
``UserError`` (``push.push_folder`` runs it before any request) and the tests' Hub stand-in rejects a commit
with them, as the Hub rejects invalid metadata at push time (hub-docs ``modelcard.md``: "Properties will be
validated by the Hub when git pushing changes to your README.md file"). Sources, pinned:
hub-docs@242f4a1e and huggingface.js@fe42e680 (paths at each rule).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

# hub-docs docs/hub/repositories-licenses.md, the "region licenses" table (`other` needs `license_name`)
LICENSES = frozenset((
    "apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0 bigcode-openrail-m "
    "afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0 "
    "cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0 "
    "cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0 "
    "cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl "
    "gpl gpl-2.0 gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl apple-ascl apple-amlr "
    "mpl-2.0 odc-by odbl openmdw-1.0 openmdw-1.1 openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl "
    "lgpl-lr deepfloyd-if-license fair-noncommercial-research-license llama2 llama3 llama3.1 llama3.2 llama3.3 llama4 "
    "grok2-community gemma unknown other").split())
# hub-docs docs/hub/spaces-config-reference.md (colorFrom/colorTo, sdk, suggested_hardware, header, ...);
# huggingface.js packages/hub/src/types/api/api-space.ts (`ApiSpaceMetadata`) adds zero-a10g and cpu-xl
COLORS = ("red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray")
SDKS = ("gradio", "docker", "static")
HARDWARE = ("cpu-basic", "cpu-upgrade", "cpu-xl", "zero-a10g", "t4-small", "t4-medium", "l4x1", "l4x4", "l40sx1",
            "l40sx4", "l40sx8", "a10g-small", "a10g-large", "a10g-largex2", "a10g-largex4", "a100-large", "a100x4",
            "a100x8")
HEADERS = {"cross-origin-embedder-policy": ("unsafe-none", "require-corp", "credentialless"),
           "cross-origin-opener-policy": ("same-origin", "same-origin-allow-popups", "unsafe-none"),
           "cross-origin-resource-policy": ("same-site", "same-origin", "cross-origin")}
# The Hub rejects a longer one at push time; spaces-config-reference.md does not state the limit. Reports:
# github.com/nekuda-ai/WindTunnel/pull/20, github.com/QUD-Technologies/quranic-universal-audio/pull/112.
SHORT_DESCRIPTION_MAX = 60
OAUTH_MAX_MINUTES = 43_200  # hf_oauth_expiration_minutes: 30 days (spaces-config-reference.md)
# hub-docs docs/hub/model-cards.md, "Specifying a base model": a merge names two or more base models
BASE_MODEL_RELATIONS = ("adapter", "merge", "quantized", "finetune")
# huggingface.js packages/tasks/src/eval.ts `EVALUATION_FRAMEWORKS`: the ids eval.yaml may name; the Hub
# shows no leaderboard for a benchmark whose framework is not there (hub-docs docs/hub/eval-results.md)
EVALUATION_FRAMEWORKS = frozenset((
    "exgentic inspect-ai math-arena mteb olmocr-bench harbor ifstruct pier redline-bench archipelago benchflow "
    "apex-evals screenspot-pro swe-bench swe-bench-pro nemo-evaluator yc-bench open-asr-leaderboard mdpbench "
    "real5-omnidocbench parsebench video-mme-v2 claw-eval researchclawbench pbench wildclawbench wbench nanofold mmmu "
    "extractbench").split())

_HUB_ID = re.compile(r"^(?:[\w.\-]+/)?[\w.\-]+$")  # org/name, or a legacy name without an org
_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_str(v) -> bool:
    return isinstance(v, str) and bool(v.strip())


def _str_list(v) -> bool:
    return isinstance(v, list) and all(_is_str(x) for x in v)


def _hub_ids(v) -> bool:
    return _str_list(v) and all(_HUB_ID.match(x) for x in v)


def _emoji(v) -> bool:  # "emoji-only character allowed": symbols, joiners, selectors, modifiers
    return _is_str(v) and all(ord(c) > 0x7F and unicodedata.category(c) in ("So", "Sk", "Mn", "Me", "Cf") for c in v)


def _preload(item) -> bool:
    """``repo`` or ``repo file1,file2`` or ``repo file1,file2 commit`` (spaces-config-reference.md)."""
    parts = item.split() if isinstance(item, str) else []
    return (1 <= len(parts) <= 3 and bool(_HUB_ID.match(parts[0]))
            and (len(parts) < 2 or all(parts[1].split(","))) and (len(parts) < 3 or bool(_SHA.match(parts[2]))))


def _rule(check, allowed: str):
    return lambda field, v: [] if check(v) else [f"`{field}`: {_show(v)}; the Hub allows {allowed}"]


_STR, _BOOL = _rule(_is_str, "a non-empty string"), _rule(lambda v: isinstance(v, bool), "true or false")
_LIST = _rule(_str_list, "a list of strings")
_IDS = _rule(_hub_ids, "a list of Hub ids (org/name)")
_LICENSE = _rule(lambda v: v in LICENSES, "a license id of hub-docs docs/hub/repositories-licenses.md, or `other`")


def _one_of(values):
    return _rule(lambda v: v in values, "one of " + ", ".join(values))


def _short_description(field: str, v) -> list[str]:
    if _is_str(v) and len(v) <= SHORT_DESCRIPTION_MAX:
        return []
    size = f" is {len(v)} characters" if isinstance(v, str) else ""
    return [f"`{field}`: {_show(v)}{size}; the Hub allows a string of at most {SHORT_DESCRIPTION_MAX} characters"]


SPACE_RULES = {
    "title": _STR, "emoji": _rule(_emoji, "emoji characters only"),
    "colorFrom": _one_of(COLORS), "colorTo": _one_of(COLORS), "sdk": _one_of(SDKS),
    "sdk_version": _rule(lambda v: isinstance(v, str) and re.match(r"^\d+(\.\d+){0,2}\S*$", v),
                         "a version string such as '5.0.1' (quote it: YAML reads 5.0 as a number)"),
    "python_version": _rule(lambda v: isinstance(v, str) and re.match(r"^3\.\d+(\.\d+)?$", v),
                            "'3.x' or '3.x.x' as a string (YAML reads 3.10 as 3.1)"),
    "app_file": _rule(lambda v: _is_str(v) and not v.startswith("/") and ".." not in v.split("/"),
                      "a path relative to the repository root"),
    "app_port": _rule(lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 < v < 65536, "a port number"),
    "app_build_command": _STR, "base_path": _rule(lambda v: _is_str(v) and v.startswith("/"), "a path starting with /"),
    "fullWidth": _BOOL, "header": _one_of(("mini", "default")),
    "short_description": _short_description,
    "models": _IDS, "datasets": _IDS, "tags": _LIST,
    "thumbnail": _rule(lambda v: _is_str(v) and v.startswith(("https://", "http://")), "a URL"),
    "pinned": _BOOL, "license": _LICENSE, "hf_oauth": _BOOL, "hf_oauth_scopes": _LIST,
    "hf_oauth_expiration_minutes": _rule(lambda v: isinstance(v, int) and 0 < v <= OAUTH_MAX_MINUTES,
                                         f"whole minutes up to {OAUTH_MAX_MINUTES}"),
    "hf_oauth_authorized_org": _rule(lambda v: _is_str(v) or _str_list(v), "an org name or a list of them"),
    "disable_embedding": _BOOL, "suggested_hardware": _one_of(HARDWARE),
    "suggested_storage": _one_of(("small", "medium", "large")),
    "startup_duration_timeout": _rule(lambda v: isinstance(v, str) and re.match(r"^(\d+[smhd])+$", v),
                                      "a duration such as '30m' or '1h'"),
    "custom_headers": _rule(lambda v: isinstance(v, dict) and all(HEADERS.get(k) and val in HEADERS[k]
                                                                  for k, val in v.items()),
                            "the lower-case COEP, COOP and CORP headers of spaces-config-reference.md"),
    "preload_from_hub": _rule(lambda v: isinstance(v, list) and v and all(_preload(x) for x in v),
                              "a list of 'org/name', 'org/name file1,file2' or 'org/name file1,file2 <commit sha>'"),
    # evaluate's metric Spaces carry `description`; api-space.ts ApiSpaceMetadata lists it and metaTitle
    "description": _STR, "metaTitle": _STR,
}


def space_violations(meta: dict, files=None) -> list[str]:
    """Space card front matter against hub-docs docs/hub/spaces-config-reference.md; ``files`` (paths in the
    repo), when given, must hold ``app_file``."""
    out = [f"`{k}` is not a documented Space setting (hub-docs docs/hub/spaces-config-reference.md)"
           for k in meta if k not in SPACE_RULES]
    for key, value in meta.items():
        out += SPACE_RULES[key](key, value) if key in SPACE_RULES else []
    if "app_port" in meta and meta.get("sdk") != "docker":
        out.append(f"`app_port`: {meta['app_port']!r} with sdk {meta.get('sdk')!r}; the Hub reads it with sdk "
                   "docker only")
    if files is not None and _is_str(meta.get("app_file")) and meta["app_file"] not in set(files):
        out.append(f"`app_file`: {meta['app_file']!r} is not in the repository")
    return out + _license_name(meta)


def _license_name(meta: dict) -> list[str]:
    """``license: other`` names its license in ``license_name`` (hub-docs modelcard.md, datasetcard.md)."""
    if meta.get("license") == "other" and not _is_str(meta.get("license_name")):
        return ["`license`: 'other' without `license_name`; the Hub wants an id such as 'my-license-1.0' there"]
    if "license_name" in meta and meta.get("license") != "other":
        return [f"`license_name`: {_show(meta['license_name'])} with license {meta.get('license')!r}; "
                "it goes with `license: other` only"]
    return []


def _keys(where: str, obj, required: dict, optional: dict | None = None) -> list[str]:
    """``obj`` is a mapping with ``required`` keys and the ``optional`` ones, each of the given type(s)."""
    if not isinstance(obj, dict):
        return [f"`{where}`: {_show(obj)}; the Hub expects a mapping"]
    out = [f"`{where}.{k}` is missing; it is required" for k in required if k not in obj]
    for k, kind in {**required, **(optional or {})}.items():
        if k in obj and not (isinstance(obj[k], kind) and not isinstance(obj[k], bool) or kind is bool
                             and isinstance(obj[k], bool)):
            names = " or ".join(t.__name__ for t in (kind if isinstance(kind, tuple) else (kind,)))
            out.append(f"`{where}.{k}`: {_show(obj[k])}; the Hub expects a {names}")
    return out


_NUM = (int, float)


def model_index_violations(index) -> list[str]:
    """``model-index`` shape of hub-docs modelcard.md: name, results of task (type), dataset (type, name) and
    metrics (type, value), optional source (url)."""
    if not isinstance(index, list) or not index:
        return [f"`model-index`: {_show(index)}; the Hub expects a list of {{name, results}}"]
    out = []
    for i, model in enumerate(index):
        out += _keys(f"model-index[{i}]", model, {"name": str, "results": list})
        for j, r in enumerate(model.get("results") or [] if isinstance(model, dict) else []):
            at = f"model-index[{i}].results[{j}]"
            out += _keys(at, r, {"task": dict, "dataset": dict, "metrics": list}, {"source": dict})
            if not isinstance(r, dict):
                continue
            out += _keys(f"{at}.task", r.get("task", {}), {"type": str}, {"name": str})
            out += _keys(f"{at}.dataset", r.get("dataset", {}), {"type": str, "name": str},
                         {"config": str, "split": str, "revision": str, "args": dict})
            for k, m in enumerate(r.get("metrics") or []):
                out += _keys(f"{at}.metrics[{k}]", m, {"type": str, "value": (*_NUM, str)},
                             {"name": str, "config": str, "args": dict, "verifyToken": str})
            if "source" in r:
                out += _keys(f"{at}.source", r["source"], {"url": str}, {"name": str})
    return out


def model_violations(meta: dict) -> list[str]:
    """Model card front matter against hub-docs modelcard.md and docs/hub/model-cards.md."""
    out = _LICENSE("license", meta["license"]) if "license" in meta else []
    out += _license_name(meta)
    base = meta.get("base_model")
    bases = [base] if isinstance(base, str) else base
    if base is not None and not _hub_ids(bases):
        out.append(f"`base_model`: {_show(base)}; the Hub allows a Hub id (org/name) or a list of them (a merge)")
    relation = meta.get("base_model_relation")
    if relation is not None:
        out += _one_of(BASE_MODEL_RELATIONS)("base_model_relation", relation)
        if base is None:
            out.append(f"`base_model_relation`: {relation!r} without `base_model`")
        elif relation == "merge" and len(bases or []) < 2:
            out.append(f"`base_model_relation`: 'merge' with {len(bases or [])} base model; a merge names two or "
                       "more in `base_model` (one base: finetune, adapter or quantized)")
    for key in ("datasets", "tags", "metrics"):
        if key in meta:
            out += (_IDS if key == "datasets" else _LIST)(key, meta[key])
    return out + (model_index_violations(meta["model-index"]) if "model-index" in meta else [])


def dataset_violations(meta: dict) -> list[str]:
    """Dataset card front matter against hub-docs datasetcard.md: license, and ``configs`` of config_name and
    data_files (a path, or splits with paths)."""
    out = _LICENSE("license", meta["license"]) if "license" in meta else []
    out += _license_name(meta)
    configs = meta.get("configs", [])
    if not isinstance(configs, list):
        return out + [f"`configs`: {_show(configs)}; the Hub expects a list of {{config_name, data_files}}"]
    names = [c.get("config_name") for c in configs if isinstance(c, dict)]
    out += [f"`configs`: {n!r} is declared twice" for n in sorted({n for n in names if names.count(n) > 1})]
    for i, c in enumerate(configs):
        out += _keys(f"configs[{i}]", c, {"config_name": str, "data_files": (str, list)})
        for j, f in enumerate(c.get("data_files") if isinstance(c, dict) and isinstance(c.get("data_files"), list)
                              else []):
            out += _keys(f"configs[{i}].data_files[{j}]", f, {"split": str, "path": (str, list)})
    return out


def eval_yaml_violations(spec) -> list[str]:
    """A benchmark's ``eval.yaml`` against hub-docs docs/hub/eval-results.md: name, description,
    evaluation_framework, tasks of unique ids (config, split optional); inspect-ai also wants field_spec,
    solvers and scorers. Whether the framework is registered is ``framework_registered``'s question."""
    out = _keys("eval.yaml", spec, {"name": str, "description": str, "evaluation_framework": str, "tasks": list})
    if not isinstance(spec, dict):
        return out
    tasks = spec.get("tasks") if isinstance(spec.get("tasks"), list) else []
    if "tasks" in spec and not tasks:
        out.append("`tasks`: empty; the Hub expects at least one task")
    for i, t in enumerate(tasks):
        out += _keys(f"tasks[{i}]", t, {"id": str}, {"config": str, "split": str})
        if spec.get("evaluation_framework") == "inspect-ai" and isinstance(t, dict):
            out += [f"`tasks[{i}].{k}` is missing; inspect-ai requires it" for k in ("field_spec", "solvers", "scorers")
                    if k not in t]
    ids = [t.get("id") for t in tasks if isinstance(t, dict)]
    return out + [f"`tasks`: id {n!r} is declared twice" for n in sorted({n for n in ids if ids.count(n) > 1})]


def framework_registered(name: str) -> bool:
    """Whether huggingface.js packages/tasks/src/eval.ts lists ``name`` (as of the pinned snapshot)."""
    return name in EVALUATION_FRAMEWORKS


def eval_results_violations(entries) -> list[str]:
    """A model repo's ``.eval_results/*.yaml`` against hub-docs eval_results.yaml: dataset (id, task_id,
    revision), value, and optional verifyToken, date, source (url) and notes."""
    if not isinstance(entries, list) or not entries:
        return [f"{_show(entries)}; the Hub expects a list of results"]
    out = []
    for i, e in enumerate(entries):
        out += _keys(f"[{i}]", e, {"dataset": dict, "value": _NUM},
                     {"verifyToken": str, "date": str, "source": dict, "notes": str})
        if isinstance(e, dict):
            out += _keys(f"[{i}].dataset", e.get("dataset", {}), {"id": str, "task_id": str}, {"revision": str})
            if "source" in e:
                out += _keys(f"[{i}].source", e["source"], {"url": str}, {"name": str, "user": str, "org": str})
    return out


def split_front_matter(text: str) -> tuple[dict | None, str | None]:
    """(metadata, error): the YAML block between the leading ``---`` lines; ({}, None) when there is none."""
    import yaml

    match = re.match(r"^---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(\r?\n|$)", text, re.S)
    if not match:
        return {}, None
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as e:
        return None, f"front matter is not valid YAML ({' '.join(str(e).split())[:120]})"
    if meta is not None and not isinstance(meta, dict):
        return None, f"front matter is a YAML {type(meta).__name__}; the Hub expects a mapping"
    return meta or {}, None


def card_violations(text: str, repo_type: str, files=None) -> list[str]:
    """README.md front matter of a ``repo_type`` ("model", "dataset" or "space") repo."""
    meta, error = split_front_matter(text)
    if error:
        return [error]
    if repo_type == "space":
        return space_violations(meta, files)
    return dataset_violations(meta) if repo_type == "dataset" else model_violations(meta)


def file_violations(path: str, text: str, repo_type: str, files=None) -> list[str]:
    """The lines for one file of a push: README.md, a dataset's eval.yaml, a model's .eval_results/*.yaml;
    other files have no metadata rules here. Each line starts with the file's path."""
    import yaml

    if path == "README.md":
        found = card_violations(text, repo_type, files)
    elif (path == "eval.yaml" and repo_type == "dataset") or (
            repo_type == "model" and re.match(r"^\.eval_results/[^/]+\.ya?ml$", path)):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            return [f"{path}: not valid YAML ({' '.join(str(e).split())[:120]})"]
        found = eval_yaml_violations(data) if path == "eval.yaml" else eval_results_violations(data)
    else:
        return []
    return [f"{path}: {line}" for line in found]


def folder_violations(folder: str | Path, repo_type: str = "model", files=None) -> list[str]:
    """Every metadata violation of the files of ``folder`` (or of ``files``, paths in it) a push would send."""
    folder = Path(folder)
    paths = [Path(p) for p in files] if files is not None else [p for p in folder.rglob("*") if p.is_file()]
    rel = [(p if not p.is_absolute() else p.relative_to(folder)).as_posix() for p in paths]
    out = []
    for name in rel:
        if name == "README.md" or name.endswith((".yaml", ".yml")):
            out += file_violations(name, (folder / name).read_text(encoding="utf-8", errors="replace"), repo_type, rel)
    return out


def check_folder(folder: str | Path, repo_type: str = "model", files=None) -> None:
    """A one-line ``UserError`` naming every violation in ``folder`` the Hub would reject."""
    from ..errors import UserError

    found = folder_violations(folder, repo_type, files)
    if found:
        raise UserError(f"{folder}: metadata the Hub would reject: " + "; ".join(found))
