#!/usr/bin/env python3
"""Reproduces results/packing.md: packs the 1,620 Panigrahy vector bin packing instances with
every scheduling policy, in file order and in FFD order, through `kubesim pack`, and compares
the bins used with the published lower bounds and optima.

Usage (from the repository root, after `cargo build --release`):

    python3 scripts/pack_panigrahy.py            # writes results/packing.md
    python3 scripts/pack_panigrahy.py --jobs 2 --out /tmp/packing.md

Python 3 standard library only. The instances are unpacked into a temporary directory that is
removed afterwards; nothing from the data set is written into the repository.
"""

import argparse
import csv
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POLICIES = ["BestFit", "FirstFit", "Tetris", "MostAllocated", "LeastAllocated", "default", "RoundRobin", "Random"]
ORDERS = ["ffd", "file"]
DIMENSIONS = [3, 5, 10]
SEED = 1


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "kubesim"))
    p.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "vbp"))
    p.add_argument("--out", default=os.path.join(ROOT, "results", "packing.md"))
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--policies", default=",".join(POLICIES), help="comma-separated")
    p.add_argument("--orders", default=",".join(ORDERS), help="comma-separated: file, ffd")
    p.add_argument("--limit", type=int, default=0, help="only the first N instances (for a quick check)")
    return p.parse_args()


def read_summary(path):
    """instance -> (LB, OPT or None, best_overall, best_IC, best_BC)."""
    rows = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            opt = int(r["OPT"])
            rows[r["instance_name"]] = (
                int(r["LB"]),
                opt if opt > 0 else None,
                int(r["best_overall"]),
                int(r["best_IC"]),
                int(r["best_BC"]),
            )
    return rows


def dimension_of(name):
    # classC_N_D_I
    return int(name.split("_")[2])


def pack_one(binary, path, policy, order):
    start = time.perf_counter()
    cmd = [binary, "pack", path, "--policy", policy, "--order", order, "--seed", str(SEED)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {out.returncode}: {out.stderr.strip()}")
    return json.loads(out.stdout), elapsed


def mean(values):
    return sum(values) / len(values) if values else float("nan")


def gaps(results, summary, names):
    """Mean gap to LB per dimension count and overall, and mean gap to OPT where known (%)."""
    row = {}
    for d in DIMENSIONS + ["all"]:
        chosen = [n for n in names if d == "all" or dimension_of(n) == d]
        row[d] = mean([100.0 * (results[n] - summary[n][0]) / summary[n][0] for n in chosen])
    with_opt = [n for n in names if summary[n][1]]
    row["opt"] = mean([100.0 * (results[n] - summary[n][1]) / summary[n][1] for n in with_opt])
    row["bins"] = sum(results[n] for n in names)
    return row


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fmt(x):
    return f"+{x:.2f} %"


def main():
    args = parse_args()
    archive = os.path.join(args.data, "Panigrahy_instances.tar.gz")
    summary_path = os.path.join(args.data, "Panigrahy_summary_known.csv")
    for path in (archive, summary_path, args.binary):
        if not os.path.exists(path):
            sys.exit(f"error: {path} is absent (build with `cargo build --release`; data: ../shared/data/README.md)")
    summary = read_summary(summary_path)
    policies = [p for p in args.policies.split(",") if p]
    orders = [o for o in args.orders.split(",") if o]
    version = subprocess.run([args.binary, "--version"], capture_output=True, text=True).stdout.strip()

    with tempfile.TemporaryDirectory(prefix="kubesim-vbp-") as tmp:
        # Run a private copy of the binary: a concurrent `cargo build` may replace or remove
        # target/release/kubesim in the middle of a sweep.
        binary = os.path.join(tmp, "kubesim")
        shutil.copy2(args.binary, binary)
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.isfile() and m.name.endswith(".vbp")]
            tar.extractall(tmp, members=members)
        files = sorted(os.path.join(tmp, m.name) for m in members)
        if args.limit:
            files = files[: args.limit]
        names = [os.path.splitext(os.path.basename(f))[0] for f in files]
        missing = [n for n in names if n not in summary]
        if missing:
            sys.exit(f"error: {len(missing)} instance(s) not in the summary, e.g. {missing[0]}")

        jobs = [(f, p, o) for p in policies for o in orders for f in files]
        print(f"{len(jobs)} runs ({len(files)} instances x {len(policies)} policies x {len(orders)} orders), "
              f"{args.jobs} at a time", file=sys.stderr)
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            outcomes = list(pool.map(lambda j: pack_one(binary, *j), jobs))
        wall = time.perf_counter() - start

    results = {}  # (policy, order) -> {instance: nodes_used}
    seconds = {}  # (policy, order) -> summed run time of the processes
    below_lb = []
    for (f, p, o), (report, elapsed) in zip(jobs, outcomes):
        name = report["instance"]
        results.setdefault((p, o), {})[name] = report["nodes_used"]
        seconds[(p, o)] = seconds.get((p, o), 0.0) + elapsed
        lb, opt = summary[name][0], summary[name][1]
        if report["nodes_used"] < lb or (opt and report["nodes_used"] < opt) or report["lower_bound"] > lb:
            below_lb.append((name, p, o, report))

    rows = sorted(((gaps(r, summary, names), p, o) for (p, o), r in results.items()), key=lambda x: x[0]["all"])
    refs = []
    for label, col in [("best of 702 heuristics (best_overall)", 2), ("best item-centric (best_IC)", 3),
                       ("best bin-centric (best_BC)", 4)]:
        refs.append((gaps({n: summary[n][col] for n in names}, summary, names), label))
    # The per-instance best over all of this sweep's runs: a best-of-N figure, comparable in kind
    # with the published best_overall / best_IC / best_BC (each a per-instance minimum).
    best_of_runs = gaps({n: min(r[n] for r in results.values()) for n in names}, summary, names)
    counts = {d: sum(1 for n in names if dimension_of(n) == d) for d in DIMENSIONS}
    opt_known = sum(1 for n in names if summary[n][1])

    best, best_p, best_o = rows[0]
    goal = 7.5
    lines = []
    w = lines.append
    w("# Vector bin packing with kubesim's scheduling policies")
    w("")
    w("Generated by `scripts/pack_panigrahy.py`; do not edit by hand (re-run the script).")
    w("")
    w(f"Every one of the {len(names):,} Panigrahy instances (Mommessin et al.'s data set, "
      "`../shared/data/vbp/`) packed by `kubesim pack` with each policy, with items in the file's "
      "order and in FFD order (`--order ffd`: decreasing Σ size/capacity), seed "
      f"{SEED}. A cell is the mean over instances of (nodes used − LB) / LB, in percent, where LB is "
      "the published lower bound of `Panigrahy_summary_known.csv`; the last column is the mean of "
      f"(nodes used − OPT) / OPT over the {opt_known:,} instances whose optimum is known. "
      f"Instances per dimension count: {', '.join(f'd = {d}: {counts[d]}' for d in DIMENSIONS)}.")
    w("")
    w("| policy | order | d = 3 | d = 5 | d = 10 | all | vs OPT | bins |")
    w("|---|---|---|---|---|---|---|---|")
    for g, p, o in rows:
        w(f"| {p} | {o} | {fmt(g[3])} | {fmt(g[5])} | {fmt(g[10])} | **{fmt(g['all'])}** | {fmt(g['opt'])} | {g['bins']:,} |")
    w(f"| *best of these {len(results)} runs, per instance* | – | {fmt(best_of_runs[3])} | {fmt(best_of_runs[5])} | "
      f"{fmt(best_of_runs[10])} | {fmt(best_of_runs['all'])} | {fmt(best_of_runs['opt'])} | {best_of_runs['bins']:,} |")
    for g, label in refs:
        w(f"| *published: {label}* | – | {fmt(g[3])} | {fmt(g[5])} | {fmt(g[10])} | {fmt(g['all'])} | {fmt(g['opt'])} | {g['bins']:,} |")
    w("")
    if best["all"] <= goal:
        verdict = f"meets the {goal} % goal"
    else:
        verdict = f"misses the {goal} % goal by {best['all'] - goal:.2f} points"
    w(f"**Best single policy: {best_p} with `--order {best_o}`, {fmt(best['all'])} over LB on average "
      f"({fmt(best['opt'])} over OPT where known)**; it {verdict}. For comparison, on these instances the "
      f"best of 702 heuristic variants per instance is {fmt(refs[0][0]['all'])} over LB and "
      f"{fmt(refs[0][0]['opt'])} over OPT (the data set's README: +6.63 % and +1.62 % over the whole "
      f"set), the best bin-centric variant per instance {fmt(refs[2][0]['all'])} (the README: about "
      f"+7.0 % for the best single bin-centric family, dot product) and the best item-centric variant "
      f"per instance {fmt(refs[1][0]['all'])} (the README: about +7.6 % for FFD variants).")
    w("")
    if below_lb:
        w(f"**Check failed:** {len(below_lb)} run(s) used fewer nodes than the published LB or OPT, or "
          f"reported a lower bound above LB, e.g. {below_lb[0]}.")
    else:
        w("Check: every run used at least the published LB (and OPT where known) nodes, and every "
          "`lower_bound` printed by `kubesim pack` (the volume bound max_k ⌈Σ size_k / capacity_k⌉) is "
          "at most the published LB.")
    w("")
    packers = [row for row in rows if row[1] in ("BestFit", "FirstFit", "MostAllocated") and row[2] == "ffd"]
    files_vs_ffd = [(g["all"], p) for g, p, o in rows if o == "file" and p == best_p]
    w("## Why no single policy gets closer")
    w("")
    w("- The published figures are *per-instance minima*: `best_overall` is the best of 702 "
      "heuristic variants on each instance, `best_IC` and `best_BC` the best of the item-centric "
      "and of the bin-centric ones. The mean of a per-instance minimum is below the mean of every "
      f"variant it is taken over. The same effect here: the best of this sweep's {len(results)} runs "
      f"per instance averages {fmt(best_of_runs['all'])}, {best['all'] - best_of_runs['all']:.2f} points "
      f"below the best single policy.")
    w("- Every kubesim policy is an item-centric any-fit rule: the scheduler takes the pods in queue "
      "order, and a Score plugin only chooses among the nodes. On these instances even the best "
      f"item-centric variant per instance averages {fmt(refs[1][0]['all'])} (`best_IC`), so no single "
      "item-centric rule among those variants averages below it: a 7.5 % goal for one policy "
      "compares a single rule with a best-of-family figure.")
    if packers:
        spread = max(g["all"] for g, _, _ in packers) - min(g["all"] for g, _, _ in packers)
        w(f"- Once the order is fixed, the choice of node barely matters: with FFD order BestFit, "
          f"FirstFit and MostAllocated are within {spread:.2f} points of each other. The order matters "
          + (f"far more: {best_p} in the file's order is at {fmt(files_vs_ffd[0][0])}. " if files_vs_ffd else ". ")
          + "Other orders (for instance weighting each dimension by its total demand, as in Panigrahy "
          "et al.'s FFDAvgSum) and bin-centric rules (fill one node at a time, choosing the pod that best aligns "
          "with what is left: the dot-product family) decide *which pod comes next*, which is the "
          "scheduling queue's job, not a Score plugin's.")
    w("")
    w("## What the numbers mean")
    w("")
    w("`kubesim pack` turns each item into a pod and each bin into a node, and lets kube-scheduler's "
      "cycle (the default profile's filters + one score plugin) place the items one at a time; a node "
      "is added only when no existing node fits. Every policy is therefore an *any-fit*, "
      "*item-centric* heuristic: the item order is fixed, and the policy only chooses among the open "
      "bins. The gap to LB overstates the gap to the optimum: LB is itself below OPT on many "
      f"instances (the published best-of-702 column is {fmt(refs[0][0]['all'])} over LB but "
      f"{fmt(refs[0][0]['opt'])} over OPT).")
    w("")
    w("- **BestFit** (tightest remaining capacity, L2 norm) and **FirstFit** are the classic "
      "any-fit rules; with FFD order they are FFD-style heuristics, members of the item-centric "
      "family of Mommessin et al.")
    w("- **MostAllocated** is kube-scheduler's own packing strategy (NodeResourcesFit, mean "
      "utilisation after placement over every dimension): close to best fit, but its per-resource "
      "integer percentages tie often, and ties are broken at random.")
    w("- **Tetris** (dot product of demand and *free* capacity) prefers emptier bins among the open "
      "ones, so as an any-fit rule it spreads rather than packs; the good dot-product heuristic of "
      "the literature is *bin-centric* (fill one bin at a time, choosing the item that aligns best "
      "with what is left), which a pod-at-a-time scheduler cannot express.")
    w("- **LeastAllocated**, **default**, **RoundRobin** and **Random** spread load by design and "
      "open bins that a packing rule would avoid: they are the baselines. `default` is "
      "kube-scheduler's default profile unchanged (it scores cpu and memory only, dimensions 0 "
      "and 1).")
    w("")
    w("## Machine, commands and wall time")
    w("")
    w(f"- Machine: {cpu_model()}, {os.cpu_count()} logical CPU(s), {platform.system()} "
      f"{platform.release()}, Python {platform.python_version()}; `{version}` (release build).")
    w(f"- Runs: {len(jobs):,} invocations of `kubesim pack`, {args.jobs} at a time; wall time "
      f"{wall:.0f} s for the whole sweep. The machine is shared with other builds, so times vary "
      "from run to run; the bin counts do not (every run is deterministic for its seed).")
    w("- Commands:")
    w("")
    w("  ```sh")
    w("  cargo build --release")
    w("  python3 " + " ".join(shlex.quote(a) for a in sys.argv))
    w("  # one run, as the script does it:")
    w(f"  target/release/kubesim pack class1_20_3_0.vbp --policy BestFit --order ffd --seed {SEED}")
    w("  ```")
    w("")
    w("- Summed run time of the processes per policy and order (process start-up included):")
    w("")
    w("  | policy | order | seconds |")
    w("  |---|---|---|")
    for (p, o) in sorted(seconds, key=lambda k: (POLICIES.index(k[0]) if k[0] in POLICIES else 99, k[1])):
        w(f"  | {p} | {o} | {seconds[(p, o)]:.1f} |")
    w("")
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)
    print(f"wrote {args.out} in {wall:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
