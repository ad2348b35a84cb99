#!/usr/bin/env python3
"""Summary of tools/bench/compare.sh's results.jsonl: medians per workload, side and thread count, ratios
PyTorch / C#, the equality check and the extrapolation to the paper protocol (50 targets x 20 rounds).

    summarize.py RESULTS.jsonl [MACHINE-LINE]   (several files may be joined with cat first)
"""
import json, statistics, sys
from collections import defaultdict
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
print(sys.argv[2] if len(sys.argv) > 2 else "")
info = {(r["side"], r["threads"]): r for r in rows if r.get("kind") == "info"}
cs = next((r for r in rows if r.get("side") == "csharp" and r.get("kind") == "info"), {})
py = next((r for r in rows if r.get("side") == "pytorch" and r.get("kind") == "info"), {})
print(f"C#: {cs.get('dotnet')}, ONNX Runtime encoder kernel {cs.get('kernel')}, chunk {cs.get('chunk')}; "
      f"PyTorch: torch {py.get('torch')}, numpy {py.get('numpy')}, python {py.get('python')}, batch {py.get('batch_size')}")
print(f"target item {cs.get('target')}, {cs.get('users')} users x {cs.get('items')} items")
loads = [r["load1"] for r in rows if r.get("kind") == "load"]
if loads:
    print(f"1-min load average during the runs: min {min(loads):.2f}, median {statistics.median(loads):.2f}, max {max(loads):.2f} (2 cores)")
for r in rows:
    if r.get("kind") == "check":
        print(f"equality check round {r['round']}: encodings max |diff| {r['encode_max_abs_diff']:.2g}, "
              f"recommendations equal {r['recommendations_equal']}/{r['users']}, simulator state after the step: "
              f"user embeddings max |diff| {r['state_after_user_emb_max_abs_diff']:.2g}, bias/windows/boredom equal "
              f"{r['bias_equal'] and r['windows_equal'] and r['boredom_equal']}")
vals = defaultdict(list)
for r in rows:
    if "workload" in r:
        vals[(r["workload"], r["threads"], r["side"])].append(r["ms"])
order = ["single_request", "batch_encode", "guidance_round", "round_encode", "round_score", "round_simulate"]
threads = sorted({k[1] for k in vals})
print()
print(f"| workload | threads | C# median | PyTorch median | PyTorch / C# | n (C#, PyTorch) |")
print(f"|---|---|---|---|---|---|")
med = {}
for w in order:
    for t in threads:
        c, p = vals.get((w, t, "csharp"), []), vals.get((w, t, "pytorch"), [])
        if not c and not p:
            continue
        mc = statistics.median(c) if c else float("nan")
        mp = statistics.median(p) if p else float("nan")
        med[(w, t, "csharp")], med[(w, t, "pytorch")] = mc, mp
        unit = "ms"
        fmt = (lambda v: f"{v:.2f} ms") if w == "single_request" else (lambda v: f"{v / 1000:.2f} s")
        print(f"| {w} | {t} | {fmt(mc)} | {fmt(mp)} | {mp / mc:.2f}x | {len(c)}, {len(p)} |")
bp = [(w, t) for w in order for t in threads if vals.get((w, t, "csharp-bp"))]
if bp:
    print()
    print("C# with T cores used the library's way for offline batches (ONNX Runtime intra-op 1, BatchParallelism T):")
    print()
    print(f"| workload | threads | C# intra-op T | C# intra-op 1, batch parallelism T | PyTorch | PyTorch / C# (batch parallelism) |")
    print(f"|---|---|---|---|---|---|")
    for w, t in bp:
        b = statistics.median(vals[(w, t, "csharp-bp")])
        fmt = (lambda v: f"{v:.2f} ms") if w == "single_request" else (lambda v: f"{v / 1000:.2f} s")
        mc, mp = med.get((w, t, "csharp"), float("nan")), med.get((w, t, "pytorch"), float("nan"))
        print(f"| {w} | {t} | {fmt(mc)} | {fmt(b)} | {fmt(mp)} | {mp / b:.2f}x |")
print()
print("extrapolation, paper protocol 50 targets x 20 rounds = 1,000 rounds:")
for t in threads:
    mc, mp = med.get(("guidance_round", t, "csharp")), med.get(("guidance_round", t, "pytorch"))
    if mc and mp:
        print(f"  threads {t}: research-style round (all users re-encoded every round): "
              f"C# {1000 * mc / 3.6e6:.2f} h, PyTorch {1000 * mp / 3.6e6:.2f} h")
    rr = vals.get(("runner_round", t, "csharp"))
    be = med.get(("batch_encode", t, "csharp"))
    if rr:
        extra = f" + one initial encoding ({be / 1000:.1f} s)" if be else ""
        print(f"  threads {t}: C# GuidanceRunner (re-encodes only users who clicked; metrics included): "
              f"{statistics.median(rr):.0f} ms/round -> {1000 * statistics.median(rr) / 3.6e6:.2f} h{extra}")
