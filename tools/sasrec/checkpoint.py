"""Loading our checkpoints and stock pmixer state_dicts into model.SASRec."""

from __future__ import annotations

import os
import re
from typing import Optional, Tuple

import torch

from model import SASRec, infer_from_state_dict

CHECKPOINT_FORMAT = "ipg-sasrec-checkpoint/1"


def _from_filename(path: str, key: str) -> Optional[int]:
    m = re.search(rf"{key}=(\d+)", os.path.basename(path))
    return int(m.group(1)) if m else None


def _torch_load(path: str):
    """torch.load that works on torch 1.13 and 2.x (where weights_only=True is the default).

    Our checkpoints hold only tensors, dicts, lists, strings and numbers, and stock pmixer
    files only tensors, so the restricted unpickler is tried first; torch 1.13's restricted
    unpickler rejects plain floats, in which case the file is loaded normally (only load
    checkpoints you trust)."""
    import inspect

    if "weights_only" in inspect.signature(torch.load).parameters:
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # noqa: BLE001 - older restricted unpickler
            return torch.load(path, map_location="cpu", weights_only=False)
    return torch.load(path, map_location="cpu")


def load_model(
    path: str,
    layout: Optional[str] = None,
    heads: Optional[int] = None,
    max_length: Optional[int] = None,
    log=print,
) -> Tuple[SASRec, dict]:
    """Return (model in eval mode, info). ``info`` has keys layout, source, training_log_sha256,
    and how each setting was determined (for the report)."""
    obj = _torch_load(path)
    if isinstance(obj, dict) and obj.get("format") == CHECKPOINT_FORMAT:
        cfg = dict(obj["config"])
        if layout and layout != cfg["layout"]:
            raise ValueError(f"checkpoint layout is {cfg['layout']}, --layout says {layout}")
        model = SASRec.from_config(cfg)
        model.load_state_dict(obj["state_dict"], strict=True)
        model.eval()
        info = {"source": "ipg checkpoint", "layout": cfg["layout"],
                "training_log_sha256": obj.get("training_log_sha256", ""),
                "training_log": obj.get("training_log", ""), "config": cfg,
                "detected": "config stored in the checkpoint"}
        log(f"{path}: our checkpoint, layout {cfg['layout']}, config {cfg}")
        return model, info

    # A plain state_dict (pmixer/SASRec.pytorch): infer what the shapes tell us.
    sd = obj.get("state_dict", obj) if isinstance(obj, dict) else obj
    if not isinstance(sd, dict) or "item_emb.weight" not in sd:
        raise ValueError(f"{path}: neither an ipg checkpoint nor a pmixer SASRec state_dict")
    notes = []
    if max_length is None:
        max_length = _from_filename(path, "maxlen")
        if max_length is not None:
            notes.append(f"max_length {max_length} from the file name")
    inf = infer_from_state_dict(sd, max_length)
    if max_length is None:
        notes.append(f"max_length {inf['max_length']} from pos_emb rows "
                     f"({'row 0 all zero -> padding row, v2' if inf['pos_row0_zero'] else 'row 0 non-zero -> v1'})")
    notes.append(f"pos_emb has {sd['pos_emb.weight'].shape[0]} rows for max_length {inf['max_length']} "
                 f"-> {'v2: positions 1..L, 0 = padding' if inf['family'] == 'v2' else 'v1: positions 0..L-1 on every slot'}")
    if inf["family"] == "v2" and not inf["pos_row0_zero"]:
        notes.append("WARNING: pos_emb row 0 is not zero although the layout says padding_idx=0")
    if heads is None:
        heads = _from_filename(path, "head")
        if heads is not None:
            notes.append(f"heads {heads} from the file name")
        else:
            heads = 1
            notes.append("heads not recorded in a state_dict; assuming 1 (pass --heads)")
    else:
        notes.append(f"heads {heads} from --heads")
    if layout is None:
        layout = "pmixer-v1" if inf["family"] == "v1" else "pmixer-v2"
        notes.append(f"layout {layout} (v2-era checkpoints trained with the latest pre/post-norm "
                     "blocks need --layout pmixer-v3-prenorm / pmixer-v3-postnorm: the state_dict "
                     "keys are identical)")
    elif (layout == "pmixer-v1") != (inf["family"] == "v1"):
        raise ValueError(f"--layout {layout} contradicts pos_emb shape ({inf['family']})")
    model = SASRec(inf["item_count"], hidden=inf["hidden"], max_length=inf["max_length"],
                   n_blocks=inf["n_blocks"], n_heads=heads, dropout=0.0, layout=layout)
    model.load_state_dict(sd, strict=True)
    model.eval()
    for n in notes:
        log(f"{os.path.basename(path)}: {n}")
    log(f"{os.path.basename(path)}: stock state_dict, layout {layout}, N={inf['item_count']}, "
        f"hidden {inf['hidden']}, blocks {inf['n_blocks']}, heads {heads}, max_length {inf['max_length']}")
    return model, {"source": "pmixer state_dict", "layout": layout, "training_log_sha256": "",
                   "training_log": "", "config": model.config(), "detected": "; ".join(notes)}
