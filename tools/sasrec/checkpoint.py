"""Loading our checkpoints and stock pmixer state_dicts into model.SASRec — without guessing.

Our checkpoints (format ``ipg-sasrec-checkpoint/1``) store their config and load as they are.

A stock pmixer/SASRec.pytorch file is a bare ``state_dict``. Its shapes tell the item count, the
hidden size, the block count and the layout *family* (``pos_emb`` row 0 all zero = ``padding_idx=0``
= v2 family; trained row 0 = v1 family). They do not tell (README "pmixer revisions"):

* the layout inside the family: v1 with or without the feed-forward ReLU; v2 vs v3 pre-norm vs v3
  post-norm — same keys and shapes;
* the head count;
* ``max_length`` for v3 checkpoints with 201 ``pos_emb`` rows (from 9027b83 on, pmixer sizes
  ``pos_emb`` for 200 positions whatever ``--maxlen`` was).

Each comes from an explicit option, or from pmixer's own record of the run: its file name
(``SASRec.epoch=E.lr=R.layer=B.head=H.hidden=D.maxlen=L.pth`` gives heads and max_length) or the
``args.txt`` pmixer writes into the run folder (``--pmixer-args``; gives ``num_heads``, ``maxlen``
and, from f701731 on, ``norm_first``). When none says it, loading stops with an :class:`ExportError`
that names the option to pass. Contradicting sources are an error too, never a silent choice.
"""

from __future__ import annotations

import os
import sys
import re
from typing import Dict, List, Optional, Tuple

import torch

from model import LAYOUT_SPECS, LAYOUTS, UNSUPPORTED_LAYOUTS, SASRec, layouts_of_family, state_dict_shapes

CHECKPOINT_FORMAT = "ipg-sasrec-checkpoint/1"

# from pmixer 9027b83 (2026-03-04) on: pos_emb = Embedding(200 + 1, d) whatever args.maxlen is
PMIXER_FIXED_POS_ROWS = 201


sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "export"))
from ipg_export_errors import ExportError  # noqa: E402,F401  (the one exporter error, re-exported here)


def _from_filename(path: str, key: str) -> Optional[int]:
    m = re.search(rf"(?:^|[^A-Za-z0-9]){key}=(\d+)(?![0-9])", os.path.basename(path))
    return int(m.group(1)) if m else None


def read_pmixer_args(path: str) -> Dict[str, str]:
    """pmixer's ``args.txt`` (one ``key,value`` per line, written by its main.py into the run folder)."""
    if not os.path.isfile(path):
        raise ExportError(f"--pmixer-args {path}: no such file")
    out: Dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            key, sep, value = line.partition(",")
            if not sep:
                raise ExportError(f"--pmixer-args {path}:{n}: expected 'key,value' (pmixer's args.txt), got {line!r}")
            out[key.strip()] = value.strip()
    return out


def _args_int(args: Dict[str, str], key: str, path: str) -> Optional[int]:
    if key not in args:
        return None
    try:
        return int(args[key])
    except ValueError as e:
        raise ExportError(f"--pmixer-args {path}: {key} is {args[key]!r}, not an integer") from e


def _torch_load(path: str):
    """torch.load that works on torch 1.13 and 2.x (where weights_only=True is the default).

    Our checkpoints hold only tensors, dicts, lists, strings and numbers, and stock pmixer
    files only tensors, so the restricted unpickler is tried first; torch 1.13's restricted
    unpickler rejects plain floats, in which case the file is loaded normally (only load
    checkpoints you trust)."""
    import inspect

    if not os.path.isfile(path):
        raise ExportError(f"{path}: no such file")
    if "weights_only" in inspect.signature(torch.load).parameters:
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # noqa: BLE001 - older restricted unpickler
            return torch.load(path, map_location="cpu", weights_only=False)
    return torch.load(path, map_location="cpu")


def _resolve(what: str, option: str, given: Optional[int], sources: List[Tuple[str, Optional[int]]]):
    """The value of a setting from the option or pmixer's records; contradictions are errors."""
    found = [(s, v) for s, v in sources if v is not None]
    if given is not None:
        for s, v in found:
            if v != given:
                raise ExportError(f"{option} {given} contradicts {what} {v} in {s}; pass the right one "
                                  "(or rename the file)")
        return given, f"{option}"
    if found:
        s0, v0 = found[0]
        for s, v in found[1:]:
            if v != v0:
                raise ExportError(f"{what} {v0} in {s0} contradicts {what} {v} in {s}; pass {option}")
        return v0, s0
    return None, None


def _describe(names) -> str:
    return "; ".join(f"{n} ({LAYOUT_SPECS[n].summary}) = {LAYOUT_SPECS[n].revisions}" for n in names)


def _expected_keys(n_blocks: int) -> set:
    keys = {"item_emb.weight", "pos_emb.weight", "last_layernorm.weight", "last_layernorm.bias"}
    for i in range(n_blocks):
        keys |= {f"attention_layernorms.{i}.weight", f"attention_layernorms.{i}.bias",
                 f"attention_layers.{i}.in_proj_weight", f"attention_layers.{i}.in_proj_bias",
                 f"attention_layers.{i}.out_proj.weight", f"attention_layers.{i}.out_proj.bias",
                 f"forward_layernorms.{i}.weight", f"forward_layernorms.{i}.bias",
                 f"forward_layers.{i}.conv1.weight", f"forward_layers.{i}.conv1.bias",
                 f"forward_layers.{i}.conv2.weight", f"forward_layers.{i}.conv2.bias"}
    return keys


def _check_keys(sd: dict, path: str, n_blocks: int) -> None:
    unexpected = sorted(set(sd) - _expected_keys(n_blocks))
    missing = sorted(_expected_keys(n_blocks) - set(sd))
    if unexpected:
        hint = ""
        if any(k.startswith(("repeat_emb.", "concat_layer.")) for k in unexpected):
            hint = (" — this is pmixer's SASRec_RepeatEmb (sasrec_repeat_emb.py, 2023-08): it needs a "
                    "per-item repeat-count input that the Ipg contract does not have")
        elif any(k.startswith(("out_proj.", "user_emb.", "position_bias")) for k in unexpected):
            hint = " — this is pmixer's PolicyNetwork (python/model.py, 2026), a history filter, not a recommender"
        raise ExportError(f"{path}: not a pmixer SASRec state_dict: unexpected keys {unexpected[:6]}"
                          f"{' ...' if len(unexpected) > 6 else ''}{hint}")
    if missing:
        raise ExportError(f"{path}: not a complete pmixer SASRec state_dict: missing keys {missing[:6]}"
                          f"{' ...' if len(missing) > 6 else ''}")


def load_model(
    path: str,
    layout: Optional[str] = None,
    heads: Optional[int] = None,
    max_length: Optional[int] = None,
    pmixer_args: Optional[str] = None,
    log=print,
) -> Tuple[SASRec, dict]:
    """Return (model in eval mode, info). ``info`` has keys layout, source, training_log_sha256,
    and how each setting was determined (for the report). Raises :class:`ExportError` whenever
    something the weights cannot tell is not given (the message names the option)."""
    if layout is not None and layout not in LAYOUT_SPECS:
        if layout in UNSUPPORTED_LAYOUTS:
            raise ExportError(f"--layout {layout}: {UNSUPPORTED_LAYOUTS[layout]}")
        raise ExportError(f"--layout {layout!r} is not a known layout; pass one of {', '.join(LAYOUTS)}")
    obj = _torch_load(path)
    if isinstance(obj, dict) and obj.get("format") == CHECKPOINT_FORMAT:
        cfg = dict(obj["config"])
        for opt, value, key in (("--layout", layout, "layout"), ("--heads", heads, "n_heads"),
                                ("--max-length", max_length, "max_length")):
            if value is not None and value != cfg[key]:
                raise ExportError(f"{path}: the checkpoint's stored config has {key} {cfg[key]!r}; {opt} says {value!r}")
        if pmixer_args:
            raise ExportError(f"{path}: --pmixer-args is for stock pmixer state_dicts; this checkpoint stores its config")
        model = SASRec.from_config(cfg)
        model.load_state_dict(obj["state_dict"], strict=True)
        model.eval()
        info = {"source": "ipg checkpoint", "layout": cfg["layout"],
                "training_log_sha256": obj.get("training_log_sha256", ""),
                "training_log": obj.get("training_log", ""), "config": cfg,
                "detected": "config stored in the checkpoint"}
        log(f"{path}: our checkpoint, layout {cfg['layout']}, config {cfg}")
        return model, info

    # A plain state_dict (pmixer/SASRec.pytorch).
    sd = obj.get("state_dict", obj) if isinstance(obj, dict) else obj
    if not isinstance(sd, dict) or "item_emb.weight" not in sd or "pos_emb.weight" not in sd:
        raise ExportError(f"{path}: neither an ipg checkpoint nor a pmixer SASRec state_dict")
    shp = state_dict_shapes(sd)
    _check_keys(sd, path, shp["n_blocks"])
    name = os.path.basename(path)
    rows, d = shp["pos_rows"], shp["hidden"]
    family = "v2" if shp["pos_row0_zero"] else "v1"
    notes = [f"pos_emb row 0 {'all zero (padding_idx=0)' if family == 'v2' else 'trained (non-zero)'} "
             f"-> {family} family; {rows} pos_emb rows, N={shp['item_count']}, hidden {d}, "
             f"{shp['n_blocks']} blocks (from the shapes)"]
    pargs = read_pmixer_args(pmixer_args) if pmixer_args else {}
    args_src = f"--pmixer-args {pmixer_args}"

    # What pmixer's records say about the shapes must agree with the shapes.
    for key, akey, actual in (("hidden", "hidden_units", d), ("layer", "num_blocks", shp["n_blocks"])):
        for src, v in (("the file name", _from_filename(path, key)), (args_src, _args_int(pargs, akey, pmixer_args))):
            if v is not None and v != actual:
                raise ExportError(f"{path}: {key} {v} in {src} but the state_dict has {actual}: wrong file or record")

    # -- layout: never from the weights alone (each family has several forwards with the same shapes)
    supported, unsupported = layouts_of_family(family)
    norm_first = pargs.get("norm_first")
    if norm_first is not None and norm_first not in ("True", "False"):
        raise ExportError(f"{args_src}: norm_first is {norm_first!r}, expected True or False")
    args_layout = None if norm_first is None else ("pmixer-v3-prenorm" if norm_first == "True" else "pmixer-v3-postnorm")
    if layout is None and args_layout is not None:
        layout = args_layout
        notes.append(f"layout {layout} from norm_first={norm_first} in {args_src} (the flag exists from f701731 on)")
    elif layout is not None:
        if args_layout is not None and args_layout != layout:
            raise ExportError(f"--layout {layout} contradicts norm_first={norm_first} in {args_src} "
                              f"(= {args_layout})")
        notes.append(f"layout {layout} from --layout")
    if layout is None:
        refused = (f" (not exportable: {', '.join(unsupported)}, the 2020-09-16 development revisions — "
                   "see --layout NAME for why)") if unsupported else ""
        raise ExportError(
            f"{name}: the layout cannot be read from a stock state_dict: pass --layout, one of "
            f"{', '.join(supported)}. They share every parameter name and shape, and differ in the "
            f"forward pass: {_describe(supported)}{refused}. Pass the layout of the pmixer revision the "
            "checkpoint was trained with (tools/sasrec/README.md, 'pmixer revisions').")
    spec = LAYOUT_SPECS[layout]
    if spec.family != family:
        raise ExportError(
            f"--layout {layout} needs a {spec.family}-family state_dict, but pos_emb row 0 is "
            f"{'all zero (padding_idx=0: v2 family)' if family == 'v2' else 'trained (v1 family)'}; "
            f"layouts that fit: {', '.join(supported)}")

    # -- heads: not in the weights (in_proj is [3d, d] whatever the head count)
    heads, src = _resolve("heads", "--heads", heads, [("the file name", _from_filename(path, "head")),
                                                        (args_src, _args_int(pargs, "num_heads", pmixer_args))])
    if heads is None:
        raise ExportError(f"{name}: the head count is not recorded in a state_dict (attention weights have the "
                          "same shape for every head count) and the file name has no 'head=K': pass --heads")
    if heads < 1 or d % heads:
        raise ExportError(f"heads {heads} ({src}) does not divide hidden {d}")
    notes.append(f"heads {heads} from {src}")

    # -- max_length
    max_length, src = _resolve("maxlen", "--max-length", max_length,
                               [("the file name", _from_filename(path, "maxlen")),
                                (args_src, _args_int(pargs, "maxlen", pmixer_args))])
    if max_length is None:
        if family == "v1":
            max_length, src = rows, "pos_emb rows (v1 code always sizes pos_emb = maxlen)"
        elif spec.block == "pmixer":
            max_length, src = rows - 1, "pos_emb rows - 1 (v2 code always sizes pos_emb = maxlen + 1)"
        elif rows != PMIXER_FIXED_POS_ROWS:
            max_length, src = rows - 1, (f"pos_emb rows - 1 (v3 code sizes pos_emb maxlen + 1, or "
                                         f"{PMIXER_FIXED_POS_ROWS} from 9027b83 on)")
        else:
            raise ExportError(
                f"{name}: max_length cannot be read from this state_dict: pos_emb has {rows} rows, which v3 code "
                f"writes for maxlen 200 and, from pmixer 9027b83 (2026-03-04) on, for every maxlen <= 200; the "
                "file name has no 'maxlen=K': pass --max-length")
    notes.append(f"max_length {max_length} from {src}")
    if max_length < 1:
        raise ExportError(f"max_length {max_length} must be positive")
    if family == "v1":
        ok = rows == max_length
        expect = f"{max_length} (= max_length, v1)"
    elif spec.block == "pmixer":
        ok = rows == max_length + 1
        expect = f"{max_length + 1} (= max_length + 1, v2)"
    else:
        ok = rows == max_length + 1 or (rows == PMIXER_FIXED_POS_ROWS and max_length < rows)
        expect = f"{max_length + 1} (= max_length + 1) or {PMIXER_FIXED_POS_ROWS} (pmixer 9027b83 on, max_length <= 200)"
    if not ok:
        raise ExportError(f"{name}: pos_emb has {rows} rows; layout {layout} with max_length {max_length} "
                          f"needs {expect}: check --max-length / --layout")
    if rows > max_length + 1:
        # Positions are at most max_length: rows max_length+1 .. 200 are never read by the forward.
        sd = dict(sd)
        sd["pos_emb.weight"] = sd["pos_emb.weight"][: max_length + 1].clone()
        notes.append(f"pos_emb rows {max_length + 1}..{rows - 1} are never used with max_length {max_length}; "
                     "the export keeps rows 0..max_length")

    model = SASRec(shp["item_count"], hidden=d, max_length=max_length, n_blocks=shp["n_blocks"],
                   n_heads=heads, dropout=0.0, layout=layout)
    model.load_state_dict(sd, strict=True)
    model.eval()
    for n in notes:
        log(f"{name}: {n}")
    log(f"{name}: stock state_dict, layout {layout}, N={shp['item_count']}, hidden {d}, "
        f"blocks {shp['n_blocks']}, heads {heads}, max_length {max_length}")
    return model, {"source": "pmixer state_dict", "layout": layout, "training_log_sha256": "",
                   "training_log": "", "config": model.config(), "detected": "; ".join(notes)}
