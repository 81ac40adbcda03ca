#!/usr/bin/env python3
"""The zoo benchmark's report: `ptfuzz bench` CSV rows in, Markdown tables and an SVG plot out.

Usage: bench/zoo_bench_report.py --md OUT.md --svg OUT.svg [--budget N] CSV...

A trial that found nothing counts as the budget (executions) or its wall time: medians over such
trials are lower bounds for that strategy (marked ">="), which makes the fuzzer's speedups over it
lower bounds too. Python 3 standard library only.
"""

import argparse
import csv
import math
import statistics
import sys
from collections import OrderedDict

STRATEGIES = ["random", "preempt", "surw", "pos", "pct", "pctwm", "dfs", "fuzz", "fuzz-code-only"]
LABELS = {
    "random": "random walk",
    "preempt": "random preemption (p 0.05)",
    "surw": "SURW",
    "pos": "POS",
    "pct": "PCT (d 3)",
    "pctwm": "PCTWM (d 3, 2 rf changes, h 2)",
    "dfs": "bounded DFS (iterative deepening)",
    "fuzz": "ptfuzz fuzzer",
    "fuzz-code-only": "fuzzer, code coverage only",
}
COLORS = {
    "random": "#999999",
    "preempt": "#e69f00",
    "surw": "#56b4e9",
    "pos": "#cc79a7",
    "pct": "#0072b2",
    "pctwm": "#009e73",
    "dfs": "#8c564b",
    "fuzz": "#000000",
    "fuzz-code-only": "#d55e00",
}


def load(paths):
    rows = []
    for p in paths:
        with open(p, newline="") as f:
            rows.extend(csv.DictReader(f))
    return rows


class Cell:
    """The trials of one strategy on one entry."""

    def __init__(self, trials, budget):
        self.k = len(trials)
        self.found = sum(int(t["found"]) for t in trials)
        # A trial that found nothing costs at least what it spent (the budget, or the fuzzer's
        # time limit): use what it spent, at least the budget in executions.
        ex = []
        secs = []
        for t in trials:
            e = int(t["execs"])
            if not int(t["found"]):
                e = max(e, budget)
            ex.append(e)
            secs.append(float(t["seconds"]))
        self.execs = sorted(ex)
        self.secs = sorted(secs)
        self.censored = self.found * 2 <= self.k  # the median is a trial that found nothing
        self.detail = trials[0].get("detail", "")

    def median_execs(self):
        return statistics.median(self.execs)

    def worst_execs(self):
        return self.execs[-1]

    def median_secs(self):
        return statistics.median(self.secs)

    def worst_secs(self):
        return self.secs[-1]


def fmt_int(n):
    if n >= 1e6:
        return "%.1fM" % (n / 1e6)
    if n >= 1e4:
        return "%.0fk" % (n / 1e3)
    return "{:,}".format(int(round(n)))


def marker(strategy, cx, cy, fill, stroke, title=""):
    """A circle for the baselines, a diamond for the fuzzer."""
    inner = "<title>%s</title>" % title if title else ""
    if strategy.startswith("fuzz"):
        r = 5.5
        pts = "%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f" % (cx, cy - r, cx + r, cy, cx, cy + r,
                                                          cx - r, cy)
        return ('<polygon points="%s" fill="%s" stroke="%s" stroke-width="1.5">%s</polygon>' %
                (pts, fill, stroke, inner))
    return ('<circle cx="%.1f" cy="%.1f" r="4" fill="%s" stroke="%s" stroke-width="1.5">%s'
            '</circle>' % (cx, cy, fill, stroke, inner))


def geomean(values):
    values = [v for v in values if v > 0]
    if not values:
        return float("nan")
    return math.exp(sum(math.log(v) for v in values) / len(values))


def scale_tables(keys, cells, present, backgrounds, meta):
    """How executions and time to the first violation grow with background actors."""
    out = ["\n#### Scale: executions to the first violation by background actors\n",
           "Median executions (trials that found it / trials) with K background actors; "
           "\">=\": most trials found nothing within the budget.\n"]
    entries = []
    for k in keys:
        if (k[0], k[1]) not in entries:
            entries.append((k[0], k[1]))
    out.append("| scenario / variant | strategy | " +
               " | ".join("K = %d" % b for b in backgrounds) + " |")
    out.append("|---|---|" + "---|" * len(backgrounds))
    for e in entries:
        for s in present:
            row = "| %s / %s | %s |" % (e[0], e[1], LABELS[s])
            for b in backgrounds:
                c = cells.get((e[0], e[1], b), {}).get(s)
                row += " - |" if c is None else " %s%s (%d/%d) |" % (
                    ">=" if c.censored else "", fmt_int(c.median_execs()), c.found, c.k)
            out.append(row)
    out.append("\nGrowth with K: geometric mean over the entries of median executions at K "
               "divided by median executions at K = 0 (censored medians count as the budget), "
               "and the median wall seconds at K = %d:\n" % backgrounds[-1])
    out.append("| strategy | " + " | ".join("K = %d" % b for b in backgrounds[1:]) +
               " | median s, K = %d |" % backgrounds[-1])
    out.append("|---|" + "---|" * len(backgrounds))
    for s in present:
        row = "| %s |" % LABELS[s]
        for b in backgrounds[1:]:
            ratios = []
            for e in entries:
                c0 = cells.get((e[0], e[1], backgrounds[0]), {}).get(s)
                cb = cells.get((e[0], e[1], b), {}).get(s)
                if c0 and cb:
                    ratios.append(cb.median_execs() / c0.median_execs())
            g = geomean(ratios)
            row += " %.1fx |" % g if not math.isnan(g) else " - |"
        secs = [cells[(e[0], e[1], backgrounds[-1])][s].median_secs() for e in entries
                if s in cells.get((e[0], e[1], backgrounds[-1]), {})]
        row += " %.2f |" % statistics.median(secs) if secs else " - |"
        out.append(row)
    if "fuzz" in present:
        out.append("\nThe fuzzer against the best baseline on each entry (the baseline with the "
                   "fewest median executions; >1: the fuzzer needs fewer):\n")
        out.append("| scenario / variant | " + " | ".join("K = %d" % b for b in backgrounds) +
                   " |")
        out.append("|---|" + "---|" * len(backgrounds))
        for e in entries:
            row = "| %s / %s |" % e
            for b in backgrounds:
                cs = cells.get((e[0], e[1], b), {})
                if "fuzz" not in cs:
                    row += " - |"
                    continue
                base = [(c.median_execs(), s) for s, c in cs.items() if not s.startswith("fuzz")]
                if not base:
                    row += " - |"
                    continue
                best, name = min(base)
                f = cs["fuzz"]
                row += " %.2fx vs %s%s |" % (best / f.median_execs(), name,
                                             " (fuzzer censored)" if f.censored else "")
            out.append(row)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--md", required=True)
    ap.add_argument("--svg", required=True)
    ap.add_argument("--budget", type=int, default=200000)
    ap.add_argument("--title", default="Executions to the first violation, median of K trials")
    ap.add_argument("csv", nargs="+")
    args = ap.parse_args()
    rows = load(args.csv)
    if not rows:
        sys.exit("no rows")

    entries = OrderedDict()  # (scenario, variant, background) -> {strategy: [trials]}
    meta = {}
    for r in rows:
        key = (r["scenario"], r["variant"], int(r["background"]))
        entries.setdefault(key, {}).setdefault(r["strategy"], []).append(r)
        meta[key] = r
    keys = sorted(entries, key=lambda k: (k[2], int(meta[k]["entry"])))
    present = [s for s in STRATEGIES if any(s in entries[k] for k in keys)]
    cells = {k: {s: Cell(entries[k][s], args.budget) for s in entries[k]} for k in keys}

    def depth(k):
        d = cells[k].get("dfs")
        if d is None or not d.detail.startswith("bound="):
            return None
        return int(d.detail.split("=")[1])

    out = []
    backgrounds = sorted({k[2] for k in keys})
    for bg in backgrounds:
        ks = [k for k in keys if k[2] == bg]
        out.append("\n#### %s\n" % ("The zoo as it is" if bg == 0 else
                                     "With %d background actors" % bg))
        out.append("Median executions to the first violation (trials that found it / trials); "
                   "\">=\": most trials found nothing within the budget. Depth: the smallest DFS "
                   "bound (non-default answers) that finds it.\n")
        header = "| entry | zoo | scenario / variant | config | depth | " + " | ".join(
            LABELS[s] for s in present) + " |"
        out.append(header)
        out.append("|" + "---|" * (5 + len(present)))
        for k in ks:
            m = meta[k]
            d = depth(k)
            row = "| %s | %s | %s / %s | %s, %s, %s | %s |" % (
                int(m["entry"]) + 1, m["zoo"], k[0], k[1], m["tlb_flush"], m["arch"],
                m["memory_model"], "-" if d is None else d)
            for s in present:
                c = cells[k].get(s)
                if c is None:
                    row += " |"
                    continue
                row += " %s%s (%d/%d) |" % (">=" if c.censored else "", fmt_int(c.median_execs()),
                                            c.found, c.k)
            out.append(row)

        # Wall time of the strategies that matter most.
        out.append("\nMedian / worst wall seconds to the first violation, one core:\n")
        timed = [s for s in ["pct", "fuzz"] if s in present]
        out.append("| scenario / variant | " + " | ".join(
            "%s median s | %s worst s" % (LABELS[s], LABELS[s]) for s in timed) + " |")
        out.append("|---|" + "---|---|" * len(timed))
        for k in ks:
            row = "| %s / %s |" % (k[0], k[1])
            for s in timed:
                c = cells[k].get(s)
                row += " - | - |" if c is None else " %.2f | %.2f |" % (c.median_secs(),
                                                                     c.worst_secs())
            out.append(row)

        # Speedups.
        deep = [k for k in ks if (depth(k) or 0) >= 2]
        out.append("\nGeometric-mean speedup of the fuzzer (ratio of medians; >1: the fuzzer needs "
                   "fewer), over the %d entries of depth >= 2 and over all %d:\n" %
                   (len(deep), len(ks)))
        out.append("| against | executions, depth >= 2 | time, depth >= 2 | executions, all | "
                   "time, all |")
        out.append("|---|---|---|---|---|")
        if "fuzz" in present:
            for s in present:
                if s == "fuzz":
                    continue
                vals = []
                for sel in (deep, ks):
                    pairs = [(cells[k][s], cells[k]["fuzz"]) for k in sel
                             if s in cells[k] and "fuzz" in cells[k]]
                    ex = geomean([b.median_execs() / f.median_execs() for b, f in pairs])
                    tm = geomean([b.median_secs() / f.median_secs() for b, f in pairs
                                  if f.median_secs() > 0 and b.median_secs() > 0])
                    vals += ["%.2fx" % ex if not math.isnan(ex) else "-",
                             "%.2fx" % tm if not math.isnan(tm) else "-"]
                out.append("| %s | %s |" % (LABELS[s], " | ".join(vals)))

    if len(backgrounds) > 1:
        out += scale_tables(keys, cells, present, backgrounds, meta)

    with open(args.md, "w") as f:
        f.write("\n".join(out) + "\n")

    # The plot: one row per entry (background 0 first), log-scale executions, one marker per
    # strategy at its median, a hollow marker where the median is censored.
    ks = keys
    left, right, top, row_h = 330, 40, 60, 16
    width = 1000
    height = top + row_h * len(ks) + 120
    lo, hi = 1, max(args.budget * 2, 10)
    for k in ks:
        for c in cells[k].values():
            hi = max(hi, c.median_execs())
    lo_log, hi_log = 0, math.ceil(math.log10(hi))

    def x(v):
        v = max(v, 1)
        return left + (width - left - right) * (math.log10(v) - lo_log) / (hi_log - lo_log)

    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="11">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-size="14">%s</text>' % (left, args.title)]
    for p in range(lo_log, hi_log + 1):
        xx = x(10 ** p)
        svg.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' %
                   (xx, top - 5, xx, top + row_h * len(ks)))
        svg.append('<text x="%.1f" y="%d" text-anchor="middle">10^%d</text>' %
                   (xx, top + row_h * len(ks) + 15, p))
    xb = x(args.budget)
    svg.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#c00" stroke-dasharray="4 3"/>'
               % (xb, top - 5, xb, top + row_h * len(ks)))
    svg.append('<text x="%.1f" y="%d" fill="#c00" text-anchor="middle">budget</text>' %
               (xb, top - 8))
    for i, k in enumerate(ks):
        y = top + row_h * i + row_h / 2
        label = "%s %s/%s%s" % (meta[k]["zoo"] if meta[k]["zoo"] != "-" else "", k[0], k[1],
                               " +%d bg" % k[2] if k[2] else "")
        svg.append('<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>'
                   % (left - 6, y, label.strip()))
        if i % 2 == 0:
            svg.append('<rect x="%d" y="%.1f" width="%d" height="%d" fill="#f6f6f6"/>' %
                       (left, y - row_h / 2, width - left - right, row_h))
        for s in present:
            c = cells[k].get(s)
            if c is None:
                continue
            fill = "none" if c.censored else COLORS[s]
            svg.append(marker(s, x(c.median_execs()), y, fill, COLORS[s],
                              "%s: %s" % (LABELS[s], fmt_int(c.median_execs()))))
    ly = top + row_h * len(ks) + 35
    lx = left
    for s in present:
        item = 8 + int(6.2 * len(LABELS[s])) + 18
        if lx + item > width - right:
            lx = left
            ly += 18
        svg.append(marker(s, lx, ly, COLORS[s], COLORS[s]))
        svg.append('<text x="%d" y="%d" dominant-baseline="middle">%s</text>' %
                   (lx + 8, ly, LABELS[s]))
        lx += item
    svg.append('<text x="%d" y="%d" fill="#555">hollow: the median trial found nothing within '
               'the budget</text>' % (left, ly + 20))
    svg.append("</svg>")
    with open(args.svg, "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
