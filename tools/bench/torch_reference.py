#!/usr/bin/env python3
"""PyTorch reference of Ipg's work, written the way a research codebase would write it.

Measures, on the same model weights and the same inputs as bench/Ipg.Compare (the C# side):

  single_request   encode one full-length history (L = 70 ids) + logits over all N items (x·Eᵀ)
                   + IPG score + top-10; milliseconds per request (median of --requests requests)
  batch_encode     encode every user's history (6,034 users at paper scale), batches of 512
  guidance_round   one closed-loop round at paper scale: encode all users (batch 512), IPG scores
                   for all users × items (batch 512), exclusion of items already recommended,
                   argmax per user, the simulator step as a Python loop over users with numpy per
                   user, appending clicks to the sequences. Rounds 0, 1, 2, ... of one guidance run
                   for one target; also reported per phase (round_encode, round_score,
                   round_simulate).

IPG score (spec §2), the paper's equation as Ipg's IpgOptions.Paper computes it: Increase form
with γ = 0.8, raw product, i.e. p̂ = sigmoid(ê_u·ê_i), g = (1 − γ)(ê_j·ê_i − ê_j·ê_u), r = p̂·g,
excluded items −∞, argmax (ties: lowest id — torch.argmax returns the first maximum).

Weights: the initializers of an Ipg ONNX export (docs/onnx-contract.md) are loaded into
tools/sasrec/model.py's SASRec. Named initializers (model.item_emb.weight, ...) map directly;
the unnamed ones (onnx::MatMul_* = transposed weights, onnx::Add_* = in-projection biases) are
identified by tracing the graph: a MatMul whose result is added to model.attention_layers.N.out_proj.bias
is that block's out-projection, likewise conv1/conv2 by their named biases; the three in-projections
of block N are the MatMuls between block N−1's and block N's out-projection, in graph order q, k, v
(model.py's order), and the structure is checked (q reads attention_layernorms.N's output; k's heads are
transposed with perm (0, 2, 3, 1), v's with (0, 2, 1, 3)). The mapping is then proved before anything is
timed: the torch module must reproduce the model's golden fixtures (user embeddings, logits, top-10)
and the graph itself (run by tools/sasrec/onnx_numpy.py) to --tolerance (default 1e-5).

Inputs: the simulator state and log written by `ipg collect-log --out LOG --state-out STATE`
(state format: docs/simulator.md, read here with struct/numpy). `--check DIR` compares against the
first rounds dumped by `Ipg.Compare --dump DIR`
(encodings, recommendations, clicks and the state after each step).

Output: JSON lines on stdout, one per measurement:
  {"side": "pytorch", "workload": ..., "threads": T, "rep": k, "ms": ...}
Run with the interpreter that has torch (here /usr/bin/python3); --threads pins torch and the BLAS pool.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "sasrec"))

import threads  # noqa: E402,F401  (must precede numpy/torch: pins OpenBLAS/OpenMP to --threads)

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import numpy_helper  # noqa: E402

from model import SASRec, pad_left  # noqa: E402

DEFAULT_MODEL = os.path.join(ROOT, "src", "Ipg", "Models", "sasrec-default.onnx")
GAMMA = 0.8  # IpgOptions.Paper.Gamma


def emit(**kw):
    print(json.dumps(kw), flush=True)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------- weights
def load_onnx_into_torch(path):
    """Returns (SASRec in eval mode, metadata dict, mapping description)."""
    mp = onnx.load(path)
    meta = {p.key: p.value for p in mp.metadata_props}
    layout = meta.get("ipg.layout", "pmixer-v1")
    if layout not in ("pmixer-v1", "pmixer-v2"):
        raise SystemExit(f"layout {layout}: only pmixer-v1/v2 exports are traced here")
    g = mp.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    nodes = list(g.node)
    index = {id(n): k for k, n in enumerate(nodes)}
    producer = {o: n for n in nodes for o in n.output}
    consumers = collections.defaultdict(list)
    for n in nodes:
        for x in n.input:
            consumers[x].append(n)

    sd = {}
    for name, arr in inits.items():
        if name.startswith("model."):
            sd[name[len("model."):]] = torch.from_numpy(arr.copy())

    out_proj, conv, in_proj = {}, {}, []
    for n in nodes:
        if n.op_type != "MatMul" or n.input[1] not in inits:
            continue
        adds = [c for c in consumers[n.output[0]] if c.op_type == "Add"]
        if len(adds) != 1:
            raise SystemExit(f"MatMul {n.name}: expected one Add consumer")
        bias = [x for x in adds[0].input if x in inits]
        if len(bias) != 1:
            raise SystemExit(f"MatMul {n.name}: its Add has no initializer bias")
        bias = bias[0]
        m = re.fullmatch(r"model\.attention_layers\.(\d+)\.out_proj\.bias", bias)
        c = re.fullmatch(r"model\.forward_layers\.(\d+)\.conv([12])\.bias", bias)
        if m:
            out_proj[int(m.group(1))] = n
        elif c:
            conv[(int(c.group(1)), int(c.group(2)))] = n
        elif not bias.startswith("model."):
            in_proj.append((n, adds[0], bias))
        else:
            raise SystemExit(f"MatMul {n.name}: unexpected bias {bias}")

    blocks = len(out_proj)
    hidden = inits["model.item_emb.weight"].shape[1]

    def head_perm(add):
        for r in consumers[add.output[0]]:
            if r.op_type == "Reshape":
                for t in consumers[r.output[0]]:
                    if t.op_type == "Transpose":
                        return tuple(a.ints for a in t.attribute if a.name == "perm")[0]
        return None

    notes = []
    for b in range(blocks):
        lo = index[id(out_proj[b - 1])] if b > 0 else -1
        hi = index[id(out_proj[b])]
        triple = [t for t in in_proj if lo < index[id(t[0])] < hi]
        if len(triple) != 3:
            raise SystemExit(f"block {b}: found {len(triple)} in-projections, expected 3")
        q, k, v = triple  # graph order = model.py's order (q, k, v)
        src = producer.get(q[0].input[0])
        ok_q = src is not None and src.op_type == "LayerNormalization" and \
            src.input[1] == f"model.attention_layernorms.{b}.weight"
        ok_k = tuple(head_perm(k[1]) or ()) == (0, 2, 3, 1)
        ok_v = tuple(head_perm(v[1]) or ()) == (0, 2, 1, 3)
        if not (ok_q and ok_k and ok_v):
            raise SystemExit(f"block {b}: in-projection structure check failed (q {ok_q}, k {ok_k}, v {ok_v})")
        w = np.concatenate([inits[t[0].input[1]].T for t in triple], axis=0)
        bias = np.concatenate([inits[t[2]] for t in triple], axis=0)
        sd[f"attention_layers.{b}.in_proj_weight"] = torch.from_numpy(np.ascontiguousarray(w))
        sd[f"attention_layers.{b}.in_proj_bias"] = torch.from_numpy(bias.copy())
        sd[f"attention_layers.{b}.out_proj.weight"] = torch.from_numpy(
            np.ascontiguousarray(inits[out_proj[b].input[1]].T))
        for j in (1, 2):
            wt = inits[conv[(b, j)].input[1]].T
            sd[f"forward_layers.{b}.conv{j}.weight"] = torch.from_numpy(np.ascontiguousarray(wt)[:, :, None])
        notes.append(f"block {b}: q={q[0].input[1]}+{q[2]}, k={k[0].input[1]}+{k[2]}, v={v[0].input[1]}+{v[2]}, "
                     f"out={out_proj[b].input[1]}, conv1={conv[(b, 1)].input[1]}, conv2={conv[(b, 2)].input[1]}")

    model = SASRec(
        item_count=int(meta["ipg.item_count"]),
        hidden=int(meta.get("ipg.hidden_size", hidden)),
        max_length=int(meta["ipg.max_length"]),
        n_blocks=int(meta.get("ipg.blocks", blocks)),
        n_heads=int(meta["ipg.heads"]),
        dropout=0.0,
        layout=layout,
    )
    model.load_state_dict(sd, strict=True)  # every parameter mapped, nothing left over
    model.eval()
    return model, meta, mp, notes


def prove_weights(model, mp, fixtures_path, tolerance):
    """Fails unless the torch module reproduces the fixtures and the ONNX graph itself."""
    from onnx_numpy import run_model

    worst = {}
    L = model.max_length
    with torch.no_grad():
        table = model.item_emb.weight
        if fixtures_path and os.path.exists(fixtures_path):
            fx = json.load(open(fixtures_path))
            ids = torch.tensor([c["input_ids"] for c in fx["cases"]], dtype=torch.long)
            emb = model.log2feats(ids)[:, -1, :]
            logits = emb @ table[1:].T
            du = dl = 0.0
            top_ok = 0
            for r, c in enumerate(fx["cases"]):
                du = max(du, float((emb[r] - torch.tensor(c["user_embedding"])).abs().max()))
                for k, v in c["logits"].items():
                    dl = max(dl, abs(float(logits[r, int(k) - 1]) - v))
                top = [int(i) + 1 for i in np.argsort(-logits[r].numpy(), kind="stable")[:10]]
                top_ok += top == c["top10"]
            dt = max(abs(float(table[int(k)].sub(torch.tensor(v)).abs().max())) for k, v in fx["item_embedding_rows"].items())
            worst.update(fixtures_cases=len(fx["cases"]), fixtures_user_embedding=du, fixtures_logits=dl,
                         fixtures_top10_equal=top_ok, fixtures_item_rows=dt)
            if not (du <= tolerance and dl <= 10 * tolerance and dt == 0.0):
                raise SystemExit(f"weights do NOT reproduce the fixtures: {worst}")
        rng = np.random.default_rng(7)
        ids = np.zeros((8, L), dtype=np.int64)
        for r, n in enumerate([0, 1, 5, L // 2, L, L, 17, 40]):
            if n:
                ids[r, L - n:] = rng.integers(1, model.item_count + 1, size=n)
        ref = run_model(mp, {"item_ids": ids})["user_embedding"]
        got = model.log2feats(torch.from_numpy(ids))[:, -1, :].numpy()
        worst["onnx_graph_user_embedding"] = float(np.abs(ref - got).max())
        if worst["onnx_graph_user_embedding"] > tolerance:
            raise SystemExit(f"weights do NOT reproduce the ONNX graph: {worst}")
    return worst


# ------------------------------------------------------------------------------ simulator state
class Simulator:
    """The topic simulator of spec §3 / docs/simulator.md, numpy per user, loop over users."""

    def __init__(self, path):
        data = open(path, "rb").read()
        if data[:8] != b"IPGSIMST":
            raise SystemExit(f"{path}: not an Ipg simulator state")
        import hashlib
        if hashlib.sha256(data[:-32]).digest() != data[-32:]:
            raise SystemExit(f"{path}: checksum mismatch")
        self.sha256 = hashlib.sha256(data[:-32]).hexdigest()
        pos = 8
        (version,) = struct.unpack_from("<i", data, pos); pos += 4
        if version != 1:
            raise SystemExit(f"{path}: state version {version}")
        (self.topics, self.per_topic, self.n_users, self.n_items) = struct.unpack_from("<4i", data, pos); pos += 16
        (_scale, _clamp, self.slope, self.offset, self.omega, self.penalty) = struct.unpack_from("<6d", data, pos); pos += 48
        (self.window_size, self.threshold, self.duration) = struct.unpack_from("<3i", data, pos); pos += 12
        (self.factor,) = struct.unpack_from("<d", data, pos); pos += 8
        (self.seed, self.round, self.click_stream) = struct.unpack_from("<3q", data, pos); pos += 24
        D = self.topics * self.per_topic
        self.dim = D
        self.U = np.frombuffer(data, "<f8", self.n_users * D, pos).reshape(self.n_users, D).copy(); pos += 8 * self.n_users * D
        self.I = np.frombuffer(data, "<f8", self.n_items * D, pos).reshape(self.n_items, D).copy(); pos += 8 * self.n_items * D
        self.bias = []
        for _ in range(self.n_users):
            (n,) = struct.unpack_from("<i", data, pos); pos += 4
            d = {}
            for _ in range(n):
                item, value = struct.unpack_from("<id", data, pos); pos += 12
                d[item] = value
            self.bias.append(d)
        self.window, self.bored, self.timer = [], np.zeros((self.n_users, self.topics), bool), \
            np.zeros((self.n_users, self.topics), np.int64)
        for u in range(self.n_users):
            (w,) = struct.unpack_from("<i", data, pos); pos += 4
            self.window.append(collections.deque(struct.unpack_from(f"<{w}i", data, pos), maxlen=self.window_size)); pos += 4 * w
            for t in range(self.topics):
                b, tm = struct.unpack_from("<Bi", data, pos); pos += 5
                self.bored[u, t] = bool(b)
                self.timer[u, t] = tm
        if pos != len(data) - 32:
            raise SystemExit(f"{path}: {len(data) - 32 - pos} trailing bytes")
        norms = (self.I.reshape(self.n_items, self.topics, self.per_topic) ** 2).sum(-1)
        self.item_topic = norms.argmax(1)  # first maximum = lowest topic on ties, as the C# side

    def step(self, recs, rng=None, forced_clicks=None):
        """One round, research style: a Python loop over users, numpy per user.
        recs: zero-based item per user. Returns the clicks (bool array) and the click probabilities."""
        n = self.n_users
        clicks = np.zeros(n, dtype=bool)
        probs = np.zeros(n)
        P = self.per_topic
        for u in range(n):
            bored, timer = self.bored[u], self.timer[u]
            # boredom timers tick at the start of the round
            timer[bored] -= 1
            bored[bored & (timer == 0)] = False
            timer[~bored] = self.duration
            # click model
            i = int(recs[u])
            e_u = self.U[u]
            score = float(e_u @ self.I[i]) - self.bias[u].get(i, 0.0)
            p = 1.0 / (1.0 + math.exp(-(score - self.offset) * self.slope))
            probs[u] = p
            draw = rng.random() if rng is not None else None
            click = bool(forced_clicks[u]) if forced_clicks is not None else draw < p
            clicks[u] = click
            topic = int(self.item_topic[i])
            if click:
                self.window[u].append(topic)
                e_u = self.omega * e_u + (1.0 - self.omega) * self.I[i]
                e_u = e_u / np.linalg.norm(e_u)
                self.U[u] = e_u
                self.bias[u][i] = self.bias[u].get(i, 0.0) + self.penalty
            # boredom: every topic with >= threshold of the remembered clicks becomes bored
            if len(self.window[u]) >= self.threshold:
                counts = np.bincount(np.fromiter(self.window[u], dtype=np.int64), minlength=self.topics)
                bored[counts >= self.threshold] = True
            # soft boredom on a click of a bored topic
            if click and bored[topic]:
                e_u = self.U[u]
                e_u[topic * P:(topic + 1) * P] *= self.factor
                self.U[u] = e_u / np.linalg.norm(e_u)
        self.round += 1
        return clicks, probs


def read_sequences(path, n_users):
    """`user item` lines, 1-based, in time order -> per user the encoder ids (1..N), oldest first."""
    seqs = [[] for _ in range(n_users)]
    last = []
    with open(path) as f:
        for line in f:
            u, i = line.split()
            seqs[int(u) - 1].append(int(i))
            last.append(int(i))
            if len(last) > 4096:
                del last[:2048]
    return seqs, last


# ----------------------------------------------------------------------------------- workloads
def encode_all(model, seqs, batch_size):
    """Research style: pad each batch of 512 on the fly, full forward, last position."""
    L = model.max_length
    out = []
    with torch.no_grad():
        for start in range(0, len(seqs), batch_size):
            batch = seqs[start:start + batch_size]
            ids = torch.tensor([pad_left(s, L) for s in batch], dtype=torch.long)
            out.append(model.log2feats(ids)[:, -1, :])
    return torch.cat(out, 0)


def ipg_scores(user_emb, table, target_vec, target_dots, gamma=GAMMA):
    """r = sigmoid(ê_u·ê_i) · (1 − γ)(ê_j·ê_i − ê_j·ê_u) for a batch of users × all items."""
    logits = user_emb @ table.T
    p = torch.sigmoid(logits)
    g = (1.0 - gamma) * (target_dots.unsqueeze(0) - (user_emb @ target_vec).unsqueeze(1))
    return p * g


def recommend_all(emb, table, target_vec, target_dots, mask, batch_size):
    recs = []
    with torch.no_grad():
        for start in range(0, emb.shape[0], batch_size):
            r = ipg_scores(emb[start:start + batch_size], table, target_vec, target_dots)
            r = r.masked_fill(mask[start:start + batch_size], float("-inf"))
            recs.append(torch.argmax(r, dim=1))
    return torch.cat(recs).numpy()  # zero-based item index = encoder id - 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--fixtures", default=None, help="default: MODEL with .fixtures.json, if present")
    ap.add_argument("--state", required=True, help="simulator state (ipg collect-log --state-out)")
    ap.add_argument("--log", required=True, help="interaction log (ipg collect-log --out)")
    ap.add_argument("--target", type=int, required=True, help="target item id (1..N)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3, help="repetitions of each workload in this process")
    ap.add_argument("--requests", type=int, default=200, help="single requests per repetition")
    ap.add_argument("--batch-size", type=int, default=512)
    ap.add_argument("--workloads", default="single,batch,round")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    ap.add_argument("--seed", type=int, default=1, help="click random numbers of the Python simulator")
    ap.add_argument("--check", default=None, help="directory written by Ipg.Compare --dump: replay and compare rounds 0-1")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    T = a.threads

    model, meta, mp, notes = load_onnx_into_torch(a.model)
    fixtures = a.fixtures or (os.path.splitext(a.model)[0] + ".fixtures.json")
    proof = prove_weights(model, mp, fixtures, a.tolerance)
    for n in notes:
        log("  " + n)
    log(f"weights proved: {proof}")
    emit(side="pytorch", kind="info", threads=T, torch=torch.__version__, numpy=np.__version__,
         python=platform.python_version(), model=os.path.basename(a.model), layout=meta.get("ipg.layout"),
         torch_threads=torch.get_num_threads(), proof=proof, batch_size=a.batch_size)

    sim0 = Simulator(a.state)
    seqs0, recent = read_sequences(a.log, sim0.n_users)
    N, L = model.item_count, model.max_length
    if sim0.n_items != N:
        raise SystemExit(f"model knows {N} items, simulator {sim0.n_items}")
    with torch.no_grad():
        table = model.item_emb.weight[1:].detach().clone()  # row c = item id c + 1
    target_vec = table[a.target - 1].clone()
    target_dots = table @ target_vec

    if a.check:
        check_rounds(a, model, table, target_vec, target_dots, seqs0, T)

    work = set(a.workloads.split(","))
    if "single" in work:
        history = recent[-L:]  # the last L clicks of the log: a full-length history, same as the C# side
        ids = torch.tensor([pad_left(history, L)], dtype=torch.long)
        with torch.no_grad():
            for rep in range(a.reps + 1):  # rep 0 = warm-up, not reported
                times = []
                for _ in range(a.requests):
                    t0 = time.perf_counter()
                    u = model.log2feats(ids)[:, -1, :]
                    r = ipg_scores(u, table, target_vec, target_dots)
                    top = torch.topk(r[0], 10)
                    _ = top.indices.tolist()
                    times.append(time.perf_counter() - t0)
                if rep:
                    emit(side="pytorch", workload="single_request", threads=T, rep=rep,
                         ms=1e3 * float(np.median(times)), requests=a.requests, top1=int(top.indices[0]) + 1)
    if "batch" in work:
        encode_all(model, seqs0[:a.batch_size], a.batch_size)  # warm-up: one batch, untimed
        for rep in range(1, a.reps + 1):
            t0 = time.perf_counter()
            emb = encode_all(model, seqs0, a.batch_size)
            dt = time.perf_counter() - t0
            if rep:
                emit(side="pytorch", workload="batch_encode", threads=T, rep=rep, ms=1e3 * dt, users=emb.shape[0])
    if "round" in work:
        sim = Simulator(a.state)
        seqs = [list(s) for s in seqs0]
        mask = torch.zeros((sim.n_users, N), dtype=torch.bool)
        rng = np.random.default_rng(a.seed)
        # warm-up (as the C# side), untimed: encode the first 512 users, score all users with those encodings repeated
        warm = encode_all(model, seqs[:a.batch_size], a.batch_size)
        warm = warm.repeat((sim.n_users + warm.shape[0] - 1) // warm.shape[0], 1)[:sim.n_users]
        recommend_all(warm, table, target_vec, target_dots, mask.clone(), a.batch_size)
        for rnd in range(a.reps):
            t0 = time.perf_counter()
            emb = encode_all(model, seqs, a.batch_size)
            t1 = time.perf_counter()
            recs = recommend_all(emb, table, target_vec, target_dots, mask, a.batch_size)
            t2 = time.perf_counter()
            clicks, _ = sim.step(recs, rng)
            for u in range(sim.n_users):
                mask[u, recs[u]] = True
                if clicks[u]:
                    seqs[u].append(int(recs[u]) + 1)
            t3 = time.perf_counter()
            common = dict(side="pytorch", threads=T, rep=rnd + 1)
            emit(workload="guidance_round", ms=1e3 * (t3 - t0), clicks=int(clicks.sum()), **common)
            emit(workload="round_encode", ms=1e3 * (t1 - t0), **common)
            emit(workload="round_score", ms=1e3 * (t2 - t1), **common)
            emit(workload="round_simulate", ms=1e3 * (t3 - t2), **common)


def check_rounds(a, model, table, target_vec, target_dots, seqs0, T):
    """Same inputs, same work: replay the C# side's first rounds (Ipg.Compare --dump DIR) and compare every step.
    Each round: our encodings of our sequences vs C#'s, our IPG argmax (with our exclusion mask) vs C#'s
    recommendations, then our simulator step driven by C#'s recommendations and clicks vs C#'s state after the step
    (the click random numbers differ by design: C# draws from its seeded streams, we from numpy); our click
    probabilities must make C#'s click count plausible. Clicks are appended and recommendations excluded as in the round."""
    d = a.check
    meta = json.load(open(os.path.join(d, "dump.json")))
    if meta["target"] != a.target:
        raise SystemExit(f"--target {a.target} but the dump used {meta['target']}")
    n = len(seqs0)
    sim = Simulator(a.state)
    if sim.sha256 != meta["state_sha256_before"]:
        raise SystemExit("the dump was made from another state")
    seqs = [list(s) for s in seqs0]
    mask = torch.zeros((n, model.item_count), dtype=torch.bool)
    failures = []
    for rnd in range(meta["rounds"]):
        f = lambda name: os.path.join(d, f"round{rnd}-{name}")  # noqa: E731
        cs_emb = np.fromfile(f("embeddings.f32"), dtype="<f4").reshape(n, -1)
        cs_recs = np.fromfile(f("recommendations.i32"), dtype="<i4")  # encoder ids
        cs_clicks = np.fromfile(f("clicks.u8"), dtype=np.uint8).astype(bool)
        emb = encode_all(model, seqs, a.batch_size)
        enc_diff = float(np.abs(emb.numpy() - cs_emb).max())
        recs = recommend_all(emb, table, target_vec, target_dots, mask, a.batch_size) + 1
        same = int((recs == cs_recs).sum())
        with torch.no_grad():  # where they differ, how far apart are the two IPG scores (near-ties)?
            r_cs = ipg_scores(torch.from_numpy(cs_emb), table, target_vec, target_dots)
        gaps = [float(r_cs[u, cs_recs[u] - 1] - r_cs[u, recs[u] - 1]) for u in np.nonzero(recs != cs_recs)[0]]
        excluded_again = int(mask[np.arange(n), torch.from_numpy(cs_recs - 1).long()].sum())
        _, probs = sim.step(cs_recs - 1, forced_clicks=cs_clicks)
        after = Simulator(f("state-after.bin"))
        du = float(np.abs(sim.U - after.U).max())
        bias_equal = all(sim.bias[u] == after.bias[u] for u in range(n))
        windows_equal = all(list(sim.window[u]) == list(after.window[u]) for u in range(n))
        bored_equal = bool((sim.bored == after.bored).all() and (sim.timer == after.timer).all())
        k = int(cs_clicks.sum())
        expected = float(probs.sum())
        sd = float(np.sqrt((probs * (1 - probs)).sum()))
        unlikely = int((cs_clicks & (probs < 1e-9)).sum())
        result = dict(side="pytorch", kind="check", round=rnd, threads=T, encode_max_abs_diff=enc_diff,
                      recommendations_equal=same, users=n, differing_max_score_gap=max(gaps) if gaps else 0.0,
                      csharp_recommended_an_excluded_item=excluded_again,
                      state_after_user_emb_max_abs_diff=du, bias_equal=bias_equal, windows_equal=windows_equal,
                      boredom_equal=bored_equal, round_counter=sim.round, round_counter_csharp=after.round,
                      csharp_clicks=k, expected_clicks_python_p=round(expected, 1), z=round((k - expected) / sd, 2),
                      clicks_with_p_below_1e9=unlikely)
        emit(**result)
        ok = enc_diff < 1e-4 and same >= n - 5 and excluded_again == 0 and du < 1e-12 and bias_equal \
            and windows_equal and bored_equal and abs(result["z"]) < 4 and unlikely == 0 and sim.round == after.round
        if not ok:
            failures.append(result)
        for u in range(n):  # the round's bookkeeping, driven by the C# side's outcome
            mask[u, cs_recs[u] - 1] = True
            if cs_clicks[u]:
                seqs[u].append(int(cs_recs[u]))
    if failures:
        raise SystemExit(f"check FAILED: {failures}")
    log(f"check OK: {meta['rounds']} rounds replayed")


if __name__ == "__main__":
    main()
