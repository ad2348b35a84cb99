#!/usr/bin/env python3
"""Bring your own model: wrap any PyTorch sequential encoder in the Ipg ONNX contract, and check the
exported graph against the model's OWN forward (docs/bring-your-own-model.md, docs/onnx-contract.md).

Library use (the shape every source in tools/ goes through, pmixer, RecBole, gSASRec and GRU4Rec alike):

    sys.path.insert(0, "tools/export")
    from ipg_export import Adapter, export_adapter
    adapter = Adapter(
        encoder=wrapper,          # nn.Module: item_ids int64 [B, L] (left-padded, 0 = padding) -> float32 [B, d]
        item_table=table,         # [N+1, d] the table scores use (row 0 = padding)
        max_length=L,
        layout="my-model",
        reference=own_forward,    # histories (unpadded, oldest first, may exceed L) -> [B, d], YOUR code
        item_bias=None,           # or [N+1]: logit = u . E[i] + b[i]
        acceptance="sigmoid")     # or "softmax" over the catalogue
    report = export_adapter(adapter, output="model.onnx", fixtures="model.fixtures.json")

Command line (your module, your checkpoint):

    /usr/bin/python3 tools/export/ipg_export.py --adapter my_adapter.py:make_adapter \\
        --checkpoint my.pt --output model.onnx [--fixtures model.fixtures.json] \\
        [--histories histories.txt] [--arg key=value ...]

where ``make_adapter(checkpoint, **args)`` in ``my_adapter.py`` returns an :class:`Adapter`.

What is checked (every failure is an :class:`ExportError`, exit code 2 on the command line):
  * the adapter: shapes of the table and bias, acceptance, max_length, finite values;
  * the graph: onnx.checker (full), no Trilu, one input ``item_ids``, the declared output shapes;
  * the numbers: the ONNX graph (run by tools/sasrec/onnx_numpy.py: onnxruntime is not available for
    Python here) and the traced wrapper against ``reference`` on 512 histories (edge cases + random):
    max |user vector difference| <= tolerance (1e-5) and an identical top-10 for every history.
The fixtures then hold the REFERENCE's vectors, so the C# parity test compares Ipg's ONNX Runtime
run with the source model's own forward.
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(_HERE), "sasrec"))

import threads  # noqa: E402,F401  (pins BLAS threads before numpy/torch load)

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import inspect  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Callable, Dict, List, Optional, Sequence, Tuple  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

sys.path.insert(0, _HERE)
from ipg_export_errors import ExportError  # noqa: E402,F401  (re-exported: ipg_export.ExportError)
from data import sha256_file  # noqa: E402  (tools/sasrec/data.py)

INPUT = "item_ids"
USER_OUT = "user_embedding"
ITEMS_OUT = "item_embeddings"
BIAS_OUT = "item_bias"
ACCEPTANCES = ("sigmoid", "softmax")
FIXTURES_FORMAT = "ipg-sasrec-fixtures/1"
DEFAULT_CHECK_HISTORIES = 512
DEFAULT_TOLERANCE = 1e-5


@dataclass
class Adapter:
    """A sequential encoder in the shape the Ipg contract needs, plus its own forward as the source of truth."""

    encoder: torch.nn.Module
    """forward(item_ids int64 [B, L], left-padded with 0) -> float32 [B, d]; traced into the ONNX graph."""
    item_table: torch.Tensor
    """[N+1, d] float: the table scores use, row i = item i, row 0 = padding."""
    max_length: int
    """L, the width of item_ids (a longer history keeps its L most recent items)."""
    layout: str
    """A name for the architecture/layout, written as ipg.layout (e.g. 'gru4rec', 'recbole-sasrec')."""
    reference: Callable[[List[List[int]]], np.ndarray]
    """The model's own forward: unpadded histories (oldest first, possibly longer than L) -> [B, d]."""
    item_bias: Optional[torch.Tensor] = None
    """[N+1] float or None: logit(u, i) = u . E[i] + b[i]."""
    acceptance: str = "sigmoid"
    """How logits become p-hat: 'sigmoid' (per item, BCE-trained models) or 'softmax' (over the catalogue)."""
    position_convention: str = "model-defined"
    training_log_sha256: str = ""
    metadata: Dict[str, str] = field(default_factory=dict)
    """Extra ipg.* keys (informative), e.g. {'ipg.blocks': '2'}."""


# ----------------------------------------------------------------------------------------------
# histories


def pad_left(history: Sequence[int], length: int) -> List[int]:
    """The contract's input row: the most recent ``length`` ids, left-padded with 0."""
    h = [int(i) for i in history][-length:] if length > 0 else []
    return [0] * (length - len(h)) + h


def standard_histories(item_count: int, max_length: int, count: int = DEFAULT_CHECK_HISTORIES,
                       seed: int = 2024, longest_random: Optional[int] = None) -> List[Tuple[str, List[int]]]:
    """``count`` named histories: the contract's edge cases (empty, length 1, boundary ids, exactly L,
    longer than L, a repeated item, L-1), then random ones with lengths 2..``longest_random`` (default
    L+5, so some exceed L). Shared with tools/sasrec/make_fixtures.py (which draws lengths up to L)."""
    N, L = item_count, max_length
    longest = L + 5 if longest_random is None else longest_random
    rng = np.random.default_rng(seed)

    def rand(n):
        return [int(i) for i in rng.integers(1, N + 1, size=n)]

    cases = [
        ("empty", []),
        ("length_1", rand(1)),
        ("short_3", rand(3)),
        ("boundary_ids", [1, N, 1, N] if N > 1 else [1]),
        (f"exactly_max_length_{L}", rand(L)),
        (f"longer_than_max_length_{L + 7}", rand(L + 7)),
        ("repeated_item", [int(rng.integers(1, N + 1))] * min(5, L + 1)),
        (f"max_length_minus_1_{L - 1}", rand(max(L - 1, 0))),
    ]
    r = 0
    while len(cases) < count:
        n = int(rng.integers(2, longest + 1))
        cases.append((f"random_{r}_len{n}", rand(n)))
        r += 1
    return cases[:count]


def read_histories(path: str) -> List[Tuple[str, List[int]]]:
    """One history per line, ids separated by spaces or commas, oldest first; '#' starts a comment."""
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            try:
                ids = [int(t) for t in re.split(r"[,\s]+", line) if t]
            except ValueError as e:
                raise ExportError(f"{path}:{n}: not a list of integer ids ({e})") from e
            out.append((f"file_line{n}_len{len(ids)}", ids))
    if not out:
        raise ExportError(f"{path}: no histories")
    return out


# ----------------------------------------------------------------------------------------------
# checks


def _check_adapter(a: Adapter) -> Tuple[int, int]:
    if not isinstance(a.encoder, torch.nn.Module):
        raise ExportError(f"Adapter.encoder must be a torch.nn.Module, got {type(a.encoder).__name__}")
    if not callable(a.reference):
        raise ExportError("Adapter.reference must be callable: histories -> [B, d] (the model's own forward)")
    t = a.item_table
    if not isinstance(t, torch.Tensor) or t.dim() != 2 or t.shape[0] < 2 or t.shape[1] < 1:
        raise ExportError(f"Adapter.item_table must be a [N+1, d] tensor with N >= 1 (row 0 = padding); "
                          f"got {getattr(t, 'shape', type(t).__name__)}")
    if not torch.isfinite(t).all():
        raise ExportError("Adapter.item_table has a non-finite value")
    N, d = int(t.shape[0]) - 1, int(t.shape[1])
    if not isinstance(a.max_length, int) or a.max_length < 1:
        raise ExportError(f"Adapter.max_length must be a positive int, got {a.max_length!r}")
    if a.acceptance not in ACCEPTANCES:
        raise ExportError(f"Adapter.acceptance is {a.acceptance!r}; pass one of {', '.join(ACCEPTANCES)} "
                          "(sigmoid for BCE/BPR-trained models, softmax for cross-entropy over the catalogue)")
    if a.item_bias is not None:
        b = a.item_bias
        if not isinstance(b, torch.Tensor) or tuple(b.shape) != (N + 1,):
            raise ExportError(f"Adapter.item_bias must be a [N+1] = [{N + 1}] tensor (row 0 = padding); "
                              f"got {getattr(b, 'shape', type(b).__name__)}")
        if not torch.isfinite(b).all():
            raise ExportError("Adapter.item_bias has a non-finite value")
    if not a.layout or not re.fullmatch(r"[A-Za-z0-9._+-]+", a.layout):
        raise ExportError(f"Adapter.layout must be a non-empty name of letters, digits and . _ + -, got {a.layout!r}")
    if a.training_log_sha256 and not re.fullmatch(r"[0-9a-f]{64}", a.training_log_sha256):
        raise ExportError("Adapter.training_log_sha256 must be empty or 64 lowercase hex digits")
    return N, d


def logits_of(users: np.ndarray, table: np.ndarray, bias: Optional[np.ndarray]) -> np.ndarray:
    """[B, N] logits of items 1..N (column c = item c+1), in float64."""
    z = users.astype(np.float64) @ table[1:].astype(np.float64).T
    if bias is not None:
        z = z + bias[1:].astype(np.float64)
    return z


def top_k(logits_row: np.ndarray, k: int = 10) -> List[int]:
    order = np.argsort(-logits_row, kind="stable")
    return [int(c) + 1 for c in order[:k]]


def compare(name: str, got: np.ndarray, want: np.ndarray, table: np.ndarray, bias: Optional[np.ndarray]) -> dict:
    """max |got - want| and how many histories have the same top-10 (items ranked by logit)."""
    if got.shape != want.shape:
        raise ExportError(f"{name}: shape {got.shape}, the reference gave {want.shape}")
    diff = float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max()) if got.size else 0.0
    lg, lw = logits_of(got, table, bias), logits_of(want, table, bias)
    same = sum(top_k(lg[r]) == top_k(lw[r]) for r in range(len(got)))
    return {"max_abs_diff": diff, "top10_identical": int(same), "cases": int(len(got))}


def _reference_vectors(a: Adapter, histories: List[List[int]], d: int) -> np.ndarray:
    with torch.no_grad():
        ref = a.reference([list(h) for h in histories])
    if isinstance(ref, torch.Tensor):
        ref = ref.detach().cpu().numpy()
    ref = np.asarray(ref, dtype=np.float32)
    if ref.shape != (len(histories), d):
        raise ExportError(f"Adapter.reference returned shape {ref.shape}; expected [{len(histories)}, {d}] "
                          "(one user vector per history)")
    if not np.isfinite(ref).all():
        raise ExportError("Adapter.reference returned a non-finite value")
    return ref


# ----------------------------------------------------------------------------------------------
# export


def _export_kwargs(opset: int, output_names):
    kw = dict(input_names=[INPUT], output_names=list(output_names),
              dynamic_axes={INPUT: {0: "batch"}, USER_OUT: {0: "batch"}},
              opset_version=opset, do_constant_folding=True)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False  # torch >= 2.5: keep the TorchScript exporter
    return kw


def _expose_constant(mp: onnx.ModelProto, values: np.ndarray, output: str, fallback_name: str) -> str:
    """Exposes ``values`` as graph output ``output`` through an Identity: of an initializer holding exactly
    these values when the graph has one (the table is then stored once), else of a new initializer."""
    g = mp.graph
    source = None
    for init in g.initializer:
        if list(init.dims) == list(values.shape) and init.data_type == TensorProto.FLOAT:
            if np.array_equal(numpy_helper.to_array(init), values):
                source = init.name
                break
    if source is None:
        source = fallback_name
        g.initializer.append(numpy_helper.from_array(values.astype(np.float32), source))
    g.node.append(helper.make_node("Identity", [source], [output], name=f"{output}_identity"))
    g.output.append(helper.make_tensor_value_info(output, TensorProto.FLOAT, list(values.shape)))
    return source


def contract_version(a: Adapter) -> str:
    """'1' when the model needs nothing contract 1 lacks (sigmoid, no bias), so Ipg 0.2 can still load it;
    '2' otherwise, so that an older reader refuses the model instead of scoring it wrongly."""
    return "1" if a.item_bias is None and a.acceptance == "sigmoid" else "2"


def export_graph(a: Adapter, output: str, opset: int = 17, producer: str = "tools/export/ipg_export.py",
                 log=print) -> onnx.ModelProto:
    """Traces the adapter's encoder, adds the contract's outputs and metadata, checks and saves the graph."""
    N, d = _check_adapter(a)
    L = a.max_length
    a.encoder.eval()
    example = torch.zeros((2, L), dtype=torch.long)
    example[0, -min(3, L):] = torch.arange(1, min(3, L) + 1).clamp(max=N)
    with torch.no_grad():
        probe = a.encoder(example)
    if not isinstance(probe, torch.Tensor) or tuple(probe.shape) != (2, d):
        raise ExportError(f"Adapter.encoder returned {getattr(probe, 'shape', type(probe).__name__)} for a [2, {L}] "
                          f"input; the contract needs [batch, d] = [2, {d}] (d = the item table's width)")
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(a.encoder, (example,), buf, **_export_kwargs(opset, [USER_OUT]))
    mp = onnx.load_from_string(buf.getvalue())
    if [i.name for i in mp.graph.input if i.name not in {x.name for x in mp.graph.initializer}] != [INPUT]:
        raise ExportError("the traced graph must have exactly one input, item_ids")
    table = a.item_table.detach().cpu().float().numpy()
    table_source = _expose_constant(mp, table, ITEMS_OUT, "ipg_item_table")
    if a.item_bias is not None:
        _expose_constant(mp, a.item_bias.detach().cpu().float().numpy(), BIAS_OUT, "ipg_item_bias")
    for vi in list(mp.graph.input) + list(mp.graph.output):
        if vi.name == INPUT:
            vi.type.tensor_type.shape.dim[0].dim_param = "batch"
            vi.type.tensor_type.shape.dim[1].dim_value = L
        if vi.name == USER_OUT:
            vi.type.tensor_type.shape.dim[0].dim_param = "batch"
            vi.type.tensor_type.shape.dim[1].dim_value = d
    meta = {
        "ipg.contract": contract_version(a),
        "ipg.max_length": str(L),
        "ipg.hidden_size": str(d),
        "ipg.item_count": str(N),
        "ipg.id_convention": "one_based_zero_padding",
        "ipg.padding_side": "left",
        "ipg.position_convention": a.position_convention,
        "ipg.layout": a.layout,
        "ipg.acceptance": a.acceptance,
        "ipg.training_log_sha256": a.training_log_sha256 or "",
        "ipg.producer": f"{producer} (torch {torch.__version__}, onnx {onnx.__version__})",
    }
    for k, v in a.metadata.items():
        if not k.startswith("ipg.") or k in meta:
            raise ExportError(f"Adapter.metadata key {k!r}: extra keys must start with 'ipg.' and not repeat a contract key")
        meta[k] = str(v)
    del mp.metadata_props[:]
    for k, v in meta.items():
        e = mp.metadata_props.add()
        e.key, e.value = k, v
    mp.producer_name = "ipg-tools-export"
    mp.doc_string = (f"{a.layout} user encoder for Ipg (contract {meta['ipg.contract']}); "
                     f"'{ITEMS_OUT}' is an Identity of initializer '{table_source}'.")
    onnx.checker.check_model(mp, full_check=True)
    ops = sorted({n.op_type for n in mp.graph.node})
    if "Trilu" in ops:
        raise ExportError("the graph contains Trilu, which ONNX Runtime has no bool kernel for: build the causal "
                          "mask from an index comparison (arange(L)[:, None] >= arange(L)[None, :])")
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    onnx.save(mp, output)
    log(f"wrote {output} ({os.path.getsize(output)} bytes), contract {meta['ipg.contract']}, opset {opset}, ops {ops}")
    return mp


def run_graph(mp: onnx.ModelProto, histories: List[List[int]], max_length: int, batch: int = 128) -> Dict[str, np.ndarray]:
    """Runs the exported graph with the numpy interpreter on left-padded histories."""
    from onnx_numpy import run_model

    ids = np.array([pad_left(h, max_length) for h in histories], dtype=np.int64).reshape(len(histories), max_length)
    users = []
    extra = {}
    for s in range(0, len(ids), batch):
        out = run_model(mp, {INPUT: ids[s:s + batch]})
        users.append(out[USER_OUT])
        extra = {k: v for k, v in out.items() if k != USER_OUT}
    result = {USER_OUT: np.concatenate(users) if users else np.zeros((0, 0), np.float32)}
    result.update(extra)
    return result


def f9(x) -> float:
    """float32 value as a double with 9 significant digits (round-trips to the same float32)."""
    return float("%.9g" % float(np.float32(x)))


def _dumps(doc) -> str:
    """Indented JSON with one line per case and per list of numbers (readable diffs, small files)."""
    cases = doc.get("cases", [])
    head = dict(doc, cases="@CASES@")
    text = json.dumps(head, indent=1)
    text = re.sub(r"\[\s*([-0-9.e+,\s]*?)\s*\]",
                  lambda m: "[" + ",".join(x.strip() for x in m.group(1).split(",") if x.strip()) + "]",
                  text)
    body = "[\n" + ",\n".join("  " + json.dumps(c, separators=(",", ":")) for c in cases) + "\n ]"
    return text.replace('"@CASES@"', body)


def write_fixtures(path: str, onnx_path: str, a: Adapter, named: List[Tuple[str, List[int]]], ref: np.ndarray,
                   report: dict, reference_description: str, seed: int) -> None:
    """Fixtures (format ipg-sasrec-fixtures/1 plus 'acceptance', 'item_bias_rows' and 'parity'): expected
    values are the REFERENCE's (the model's own forward), so the C# test checks against the source model."""
    table = a.item_table.detach().cpu().float().numpy()
    bias = None if a.item_bias is None else a.item_bias.detach().cpu().float().numpy()
    N, d, L = table.shape[0] - 1, table.shape[1], a.max_length
    lg = logits_of(ref, table, bias)
    rng = np.random.default_rng(seed + 1)
    cases = []
    for r, (name, hist) in enumerate(named):
        top10 = top_k(lg[r])
        pick = {top10[0], top10[9 if len(top10) > 9 else -1], int(rng.integers(1, N + 1))}
        cases.append({
            "name": name,
            "history": [int(i) for i in hist],
            "input_ids": pad_left(hist, L),
            "user_embedding": [f9(x) for x in ref[r]],
            "top10": top10,
            "logits": {str(i): f9(lg[r, i - 1]) for i in sorted(pick)},
        })
    rows = sorted({0, 1, 2, N // 2, N - 1, N} & set(range(N + 1)))
    doc = {
        "format": FIXTURES_FORMAT,
        "model": os.path.basename(onnx_path),
        "model_sha256": sha256_file(onnx_path),
        "layout": a.layout,
        "position_convention": a.position_convention,
        "max_length": L,
        "hidden_size": d,
        "item_count": N,
        "acceptance": a.acceptance,
        "training_log_sha256": a.training_log_sha256 or "",
        "reference": reference_description,
        "onnx_numpy_max_abs_diff": f9(report["onnx_vs_reference"]["max_abs_diff"]),
        "parity": report,
        "tolerance": {"user_embedding_abs": report["tolerance"], "logit_abs": 1e-4,
                      "note": "expected values are the source model's own forward; the top-10 must be identical"},
        "cases": cases,
        "item_embedding_rows": {str(i): [f9(x) for x in table[i]] for i in rows},
    }
    if bias is not None:
        doc["item_bias_rows"] = {str(i): f9(bias[i]) for i in rows}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="\n") as f:
        f.write(_dumps(doc) + "\n")


def export_adapter(a: Adapter, output: str, fixtures: Optional[str] = None,
                   histories: Optional[List[Tuple[str, List[int]]]] = None, seed: int = 2024,
                   tolerance: float = DEFAULT_TOLERANCE, opset: int = 17,
                   producer: str = "tools/export/ipg_export.py",
                   reference_description: str = "the source model's own forward", log=print) -> dict:
    """Exports, then checks the graph (numpy interpreter) and the traced wrapper (torch) against the
    reference on ``histories`` (default: 512 standard ones); raises ExportError (and deletes the file)
    when max |diff| > tolerance or a top-10 differs. Writes fixtures when asked. Returns the report."""
    N, d = _check_adapter(a)
    mp = export_graph(a, output, opset=opset, producer=producer, log=log)
    named = histories if histories is not None else standard_histories(N, a.max_length, seed=seed)
    for name, h in named:
        bad = [i for i in h if not (1 <= int(i) <= N)]
        if bad:
            raise ExportError(f"history {name!r} has id {bad[0]} outside 1..{N}")
    hs = [list(h) for _, h in named]
    ref = _reference_vectors(a, hs, d)
    table = a.item_table.detach().cpu().float().numpy()
    bias = None if a.item_bias is None else a.item_bias.detach().cpu().float().numpy()
    with torch.no_grad():
        ids = torch.tensor([pad_left(h, a.max_length) for h in hs], dtype=torch.long).reshape(len(hs), a.max_length)
        wrapped = a.encoder(ids).detach().cpu().numpy().astype(np.float32)
    try:
        graph = run_graph(mp, hs, a.max_length)
    except NotImplementedError as e:
        os.remove(output)
        raise ExportError(f"{e}: the graph cannot be checked here; add the op to tools/sasrec/onnx_numpy.py "
                          "(a few lines of numpy) — an unchecked export is not kept") from e
    if not np.array_equal(graph[ITEMS_OUT], table):
        os.remove(output)
        raise ExportError("the graph's item_embeddings output differs from Adapter.item_table")
    report = {
        "tolerance": tolerance,
        "wrapper_vs_reference": compare("the traced wrapper", wrapped, ref, table, bias),
        "onnx_vs_reference": compare("the ONNX graph", graph[USER_OUT], ref, table, bias),
    }
    for key, what in (("wrapper_vs_reference", "the contract wrapper (torch)"), ("onnx_vs_reference", "the ONNX graph")):
        r = report[key]
        log(f"check: {what} vs the model's own forward on {r['cases']} histories: max |diff| "
            f"{r['max_abs_diff']:.3g}, identical top-10 {r['top10_identical']}/{r['cases']}")
        if not (r["max_abs_diff"] <= tolerance and r["top10_identical"] == r["cases"]):
            os.remove(output)
            raise ExportError(f"{what} does not reproduce the model's own forward (max |diff| {r['max_abs_diff']:.3g} "
                              f"> {tolerance:g} or {r['cases'] - r['top10_identical']} top-10 lists differ): the wrapper "
                              "computes something else than the model (padding, positions, masks, activation, "
                              "layer norm, heads?) — the file was not kept")
    if fixtures:
        write_fixtures(fixtures, output, a, named, ref, report, reference_description, seed)
        log(f"wrote {fixtures}: {len(named)} cases")
    return report


# ----------------------------------------------------------------------------------------------
# command line: your own module


def _load_factory(spec: str) -> Callable[..., Adapter]:
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise ExportError(f"--adapter {spec!r}: expected FILE.py:FUNCTION")
    if not os.path.isfile(path):
        raise ExportError(f"--adapter: no file {path!r}")
    mod_spec = importlib.util.spec_from_file_location(f"ipg_user_adapter_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(mod_spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    mod_spec.loader.exec_module(module)
    fn = getattr(module, name, None)
    if not callable(fn):
        raise ExportError(f"--adapter: {path} has no function {name!r}")
    return fn


def _parse_args_kv(items: List[str]) -> Dict[str, object]:
    out: Dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ExportError(f"--arg {item!r}: expected key=value")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def main(argv=None) -> int:
    # A user's adapter file imports `ipg_export`: make that the module running now, so its Adapter is this Adapter.
    sys.modules.setdefault("ipg_export", sys.modules[__name__])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--adapter", required=True, help="FILE.py:FUNCTION; FUNCTION(checkpoint, **args) returns an Adapter")
    p.add_argument("--checkpoint", default=None, help="passed to the function as its first argument")
    p.add_argument("--arg", action="append", default=[], help="key=value passed to the function (JSON values parsed)")
    p.add_argument("--output", required=True)
    p.add_argument("--fixtures", default=None, help="also write golden fixtures for the C# parity test")
    p.add_argument("--histories", default=None, help="check on these histories (one per line) instead of 512 standard ones")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    try:
        adapter = _load_factory(a.adapter)(a.checkpoint, **_parse_args_kv(a.arg))
        if not isinstance(adapter, sys.modules["ipg_export"].Adapter):
            raise ExportError(f"--adapter {a.adapter} returned {type(adapter).__name__}, not ipg_export.Adapter")
        hist = read_histories(a.histories) if a.histories else None
        export_adapter(adapter, a.output, fixtures=a.fixtures, histories=hist, seed=a.seed,
                       tolerance=a.tolerance, opset=a.opset, reference_description=f"{a.adapter} reference()")
    except ExportError as e:
        print(f"ipg_export: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
