#!/usr/bin/env python3
"""Write a deterministic synthetic interaction log (``user item`` per line, time order).

Not derived from any dataset: a small generative model with sequential structure so that
SASRec has something to learn. Items are split into topics; every user has a sparse topic
preference; at each step the user stays in the current topic (p_stay) or jumps to a topic
drawn from the preference; inside a topic the next item is, with probability p_chain, the
"successor" of the previous item (a fixed permutation per topic), otherwise a popularity-
weighted (Zipf) item of the topic. Lines are interleaved round by round like the
simulator's log (round r: every user that still has an r-th click).

Defaults mimic the size of the IPG paper log (6,034 users, 3,533 items, ~27 clicks/user).
"""

from __future__ import annotations

import argparse

import numpy as np


def generate(users, items, mean_clicks, topics, seed, p_stay=0.7, p_chain=0.5, min_clicks=3):
    rng = np.random.default_rng(seed)
    item_topic = rng.integers(0, topics, size=items)
    members = [np.flatnonzero(item_topic == t) + 1 for t in range(topics)]  # 1-based ids
    members = [m if len(m) else np.array([1 + t % items]) for t, m in enumerate(members)]
    successor = {}
    popularity = []
    for m in members:
        perm = rng.permutation(m)
        for a, b in zip(perm, np.roll(perm, -1)):
            successor[int(a)] = int(b)
        w = 1.0 / np.arange(1, len(m) + 1) ** 0.8
        popularity.append(w / w.sum())
    seqs = []
    for _ in range(users):
        pref = rng.dirichlet(np.full(topics, 0.3))
        n = max(min_clicks, int(rng.poisson(mean_clicks)))
        t = int(rng.choice(topics, p=pref))
        prev = None
        s = []
        for _ in range(n):
            if prev is not None and rng.random() >= p_stay:
                t = int(rng.choice(topics, p=pref))
            if prev is not None and int(item_topic[prev - 1]) == t and rng.random() < p_chain:
                nxt = successor[prev]
            else:
                nxt = int(rng.choice(members[t], p=popularity[t]))
            s.append(nxt)
            prev = nxt
        seqs.append(s)
    lines = []
    for r in range(max(len(s) for s in seqs)):
        for u, s in enumerate(seqs, start=1):
            if r < len(s):
                lines.append(f"{u} {s[r]}")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=6034)
    p.add_argument("--items", type=int, default=3533)
    p.add_argument("--mean-clicks", type=float, default=27.0)
    p.add_argument("--topics", type=int, default=20)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--output", required=True)
    a = p.parse_args()
    lines = generate(a.users, a.items, a.mean_clicks, a.topics, a.seed)
    with open(a.output, "w", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} interactions for {a.users} users, {a.items} items to {a.output}")


if __name__ == "__main__":
    main()
