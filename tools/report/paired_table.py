#!/usr/bin/env python3
"""Markdown table of an `ipg reproduce` results.json, with paired differences.

    python3 tools/report/paired_table.py results.json [--reference IPG] [--k 20]

Prints, per policy: HR@5..20, IoI@5..20, the 95 % interval of IoI@K and HR@K across targets (as results.json writes
them), IoR@K, and the paired difference to the reference policy over the same targets (same users, same click
random numbers): mean and Student-t 95 % interval of the per-target differences of HR@K and IoI@K.
Standard library only (no numpy), so it runs with any python3.
"""
import argparse
import json
import math
import statistics

# Two-sided 95 % Student-t quantiles by degrees of freedom (1..30); beyond, the normal 1.96.
T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
       2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def interval(values):
    n = len(values)
    mean = statistics.fmean(values)
    if n < 2:
        return mean, float("nan"), float("nan")
    half = (T95[n - 2] if n - 1 <= len(T95) else 1.96) * statistics.stdev(values) / math.sqrt(n)
    return mean, mean - half, mean + half


def per_target(policy, metric):
    return [t[metric] for t in policy["targets"]]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("results")
    p.add_argument("--reference", default="IPG", help="policy the paired differences are taken against")
    p.add_argument("--k", type=int, default=20)
    a = p.parse_args()
    with open(a.results, encoding="utf-8") as f:
        doc = json.load(f)
    k = a.k
    policies = doc["policies"]
    ref = next(x for x in policies if x["name"] == a.reference)
    ks = [c for c in (5, 10, 15, 20) if c <= k]
    head = ["policy"] + [f"HR@{c}" for c in ks] + [f"IoI@{c}" for c in ks] + [f"IoI@{k} 95 % CI", f"IoR@{k}",
            f"Δ HR@{k} vs {a.reference} [95 % CI]", f"Δ IoI@{k} vs {a.reference} [95 % CI]"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for x in policies:
        ci = x[f"IoI@{k}_ci95"]
        cells = [x["name"]] + [f"{x[f'HR@{c}']:.3f}" for c in ks] + [f"{x[f'IoI@{c}']:.3f}" for c in ks]
        cells += ["n/a" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]", f"{x[f'IoR@{k}']:.0f}"]
        for metric in ("HR", "IoI"):
            # Per-target values are the K = rounds checkpoint (results.json "targets" entries).
            d = [u - v for u, v in zip(per_target(x, metric), per_target(ref, metric))]
            m, lo, hi = interval(d)
            cells.append("—" if x is ref else f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
