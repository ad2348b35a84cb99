#!/usr/bin/env python3
"""HR@K-vs-IoI@K frontier of an `ipg sweep` (its sweep.csv): one line per guidance mode over the strength λ and one per
baseline over its own knob (TargetSimilarity's α, Rec2Inf's M), SASRec as a point. The γ and form/negative-guidance
series of the sweep are left out (they are in sweep.csv). Error bars: the 95 % interval of IoI@K across targets.

    /usr/bin/python3 tools/report/frontier.py sweep.csv --title "paper world" --out frontier.png [--mark "λ, cosine=0.35"]

Needs matplotlib (Debian: python3-matplotlib).
"""
import argparse
import csv
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def label(series):
    s = series.replace("λ, ", "")
    s = re.sub(r"linear-increase\(γ=0\.8\)", "linear (paper equation)", s)
    s = re.sub(r"affine\(a=([0-9.]+),b=([0-9.]+)\)", lambda m: f"fitted affine (a {float(m[1]):.2f}, b {float(m[2]):.2f})", s)
    s = re.sub(r"planned\((H=\d,B=\d+,M=\d+),cosine;step cosine(;calibrated p̂)?\)", lambda m: f"planned {m[1]}" + (" + calibrated p̂" if m[2] else ""), s)
    return s + (" (λ)" if series.startswith("λ, ") else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv")
    parser.add_argument("--title", default="")
    parser.add_argument("--out", required=True)
    parser.add_argument("--mark", action="append", default=[], help='"series=setting" to circle (e.g. the default)')
    args = parser.parse_args()

    with open(args.csv, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    k = re.match(r"HR@(\d+)", header[2])[1]
    series = {}
    for r in rows:
        name = r[0]
        if name.startswith("IPG Absolute") or name.startswith("IPG form") or name.startswith("IPG exact"):
            continue
        # An empty interval field means one target (no interval): draw no bar.
        lo = float(r[4]) if r[4] else float(r[3])
        hi = float(r[5]) if r[5] else float(r[3])
        series.setdefault(name, []).append((r[1], float(r[2]), float(r[3]), lo, hi))

    fig, ax = plt.subplots(figsize=(9, 6.5))
    markers = "os^Dv<>pPXh*"
    for n, (name, points) in enumerate(series.items()):
        xs = [p[1] for p in points]
        ys = [p[2] for p in points]
        err = [[p[2] - p[3] for p in points], [p[4] - p[2] for p in points]]
        dashed = name.startswith("TargetSimilarity") or name.startswith("Rec2Inf") or name == "SASRec"
        ax.errorbar(xs, ys, yerr=err, label=label(name), marker=markers[n % len(markers)], markersize=5, capsize=2,
                    linewidth=1.2, linestyle="--" if dashed else "-", elinewidth=0.6)
        for setting, x, y, _, _ in points:
            if name != "SASRec":
                ax.annotate(setting, (x, y), textcoords="offset points", xytext=(4, 3), fontsize=6.5, alpha=0.8)
    for mark in args.mark:
        name, _, setting = mark.partition("=")
        for s, x, y, _, _ in series.get(name, []):
            if s == setting:
                ax.scatter([x], [y], s=260, facecolors="none", edgecolors="black", linewidths=1.5, zorder=5)
                ax.annotate("default", (x, y), textcoords="offset points", xytext=(-14, -18), fontsize=8, fontweight="bold")
    ax.set_xlabel(f"HR@{k} (hit rate over the first {k} rounds)")
    ax.set_ylabel(f"IoI@{k} (increase of interest in the target; bars: 95 % interval across targets)")
    ax.set_title(args.title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5, loc="best")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
