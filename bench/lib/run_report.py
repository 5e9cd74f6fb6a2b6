#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The report of bench/run: reads the work folder (facts, runs/*.txt wrk and pgbench outputs,
runs/*.log/ pgbench per-transaction logs, runs/*.rss peak VmRSS samples) and prints markdown:
one table of every run, the ratios of the same rounds and the issue's targets with a verdict."""
import glob
import json
import os
import re
import statistics
import sys

work = sys.argv[1]
facts = dict(line.rstrip("\n").split("=", 1) for line in open(os.path.join(work, "facts"), encoding="utf-8")
             if "=" in line)
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
SCENARIOS = facts["scenarios"].split()
CONNECTIONS = [int(c) for c in facts["connections"].split()]
ROUNDS = int(facts["rounds"])
GETS = ["basic", "card-first", "card", "search", "vip"]
GUESTD = ["healthz", "basic", "card-first", "card", "search", "vip", "create", "stay"]
LABELS = {
    "healthz": "guestd `GET /healthz` (HTTP baseline)",
    "pgbench-select": "pgbench: the basic-info row by primary key (database ceiling)",
    "peer-basic": "Fastify peer: basic info by id",
    "basic": "guestd `GET /v1/guests/{id}?fields=basic`",
    "pgbench-card": "pgbench: guestd's card statement (the database's ceiling for the card)",
    "card-first": "guestd `GET /v1/guests/{id}`, first read: the card built and stored",
    "card": "guestd `GET /v1/guests/{id}` (profile card), stored by an earlier read",
    "search": "guestd `GET /v1/guests?q=<3 letters>`",
    "vip": "guestd `GET /v1/vip?min_tier=gold` (first page)",
    "create": "guestd `POST /v1/guests` + Idempotency-Key",
    "pgbench-insert-guest": "pgbench: the rows of one create",
    "stay": "guestd `POST /v1/guests/{id}/stays` + Idempotency-Key",
    "pgbench-insert-stay": "pgbench: the rows of one stay",
}


def ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    return float(m.group(1)) * UNITS[m.group(2)]


def grab(out, pattern, name):
    m = re.search(pattern, out, re.M)
    if not m:
        sys.exit(f"run: cannot read '{pattern}' in {name}:\n{out}")
    return m.group(1)


def parse_wrk(path):
    out = open(path, encoding="utf-8").read()
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors += sum(map(int, m.groups())) if m else 0
    rss = None
    if os.path.exists(path[:-4] + ".rss"):
        text = open(path[:-4] + ".rss").read().strip()
        rss = int(text) / 1024 if text else None
    return {"rps": float(grab(out, r"^Requests/sec:\s+([\d.]+)", path)),
            "p50": ms(grab(out, r"^\s+50%\s+(\S+)", path)), "p99": ms(grab(out, r"^\s+99%\s+(\S+)", path)),
            "requests": int(grab(out, r"^\s+(\d+) requests in", path)), "errors": errors, "rss": rss,
            "stored_share": stored_share(path[:-4])}


def stored_share(prefix):
    """The share of the card reads of a run that the stored card answered (guestd's counters)."""
    try:
        before = [float(x) for x in open(prefix + ".cards-before").read().split()]
        after = [float(x) for x in open(prefix + ".cards-after").read().split()]
    except OSError:
        return None
    stored, built = after[0] - before[0], after[1] - before[1]
    return stored / (stored + built) if stored + built > 0 else None


def parse_pgbench(path):
    out = open(path, encoding="utf-8").read()
    latencies = []
    for log in glob.glob(path[:-4] + ".log/tx*"):
        for line in open(log, encoding="utf-8"):
            f = line.split()
            if len(f) >= 3 and f[2].isdigit():
                latencies.append(int(f[2]) / 1000.0)
    latencies.sort()
    if not latencies:
        sys.exit(f"run: no transaction log for {path}")

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100.0 * len(latencies)))]

    failed = re.search(r"number of failed transactions: (\d+)", out)
    return {"rps": float(grab(out, r"^tps = ([\d.]+) \(without initial connection time\)", path)),
            "p50": pct(50), "p99": pct(99), "requests": int(grab(out, r"number of transactions actually processed: (\d+)", path)),
            "errors": int(failed.group(1)) if failed else 0, "rss": None}


runs = {}  # (scenario, connections) -> [per round]
for s in SCENARIOS:
    for c in CONNECTIONS:
        for r in range(1, ROUNDS + 1):
            path = os.path.join(work, "runs", f"{r}-{c}-{s}.txt")
            runs.setdefault((s, c), []).append(parse_pgbench(path) if s.startswith("pgbench-") else parse_wrk(path))


def med(s, c, field):
    xs = [x[field] for x in runs.get((s, c), []) if x[field] is not None]
    return statistics.median(xs) if xs else None


def total_errors(s, c):
    return sum(x["errors"] for x in runs.get((s, c), []))


def peak_rss(s, c):
    xs = [x["rss"] for x in runs.get((s, c), []) if x["rss"] is not None]
    return max(xs) if xs else None


def ratio(a, b, c, field="rps"):
    """Median over the rounds of the per-round ratio, with the range, or None."""
    if (a, c) not in runs or (b, c) not in runs:
        return None
    rs = [x[field] / y[field] for x, y in zip(runs[(a, c)], runs[(b, c)]) if y[field]]
    return (statistics.median(rs), min(rs), max(rs)) if rs else None


def fmt_ms(v):
    return "–" if v is None else f"{v * 1000:.0f} µs" if v < 1 else f"{v:.2f} ms" if v < 10 else f"{v:.1f} ms"


def fmt_ratio(r):
    if r is None:
        return "–"
    return f"{r[0]:.2f}" if ROUNDS == 1 else f"{r[0]:.2f} ({r[1]:.2f}–{r[2]:.2f})"


seed = json.load(open(os.path.join(work, "seed.json"), encoding="utf-8"))
guests = int(facts["guests"])
p = print
p(f"# bench/run — {facts['date']}")
p()
p(f"`{facts['cmdline']}` on {facts['nproc']} cores ({facts['cpu']}), {facts['kernel']}; PostgreSQL "
  f"{facts['pg_version']} (shared_buffers 1GB, fsync off, wal_level minimal, unix socket); {facts['guestd_version']} "
  f"(commit {facts['commit']}, {facts['guestd_threads']} threads, default settings: request log at info "
  f"level to a file, API keys, validation, problem+json); {facts['wrk_version']}, {facts['wrk_threads']} "
  f"threads; node {facts['node_version']} ({facts['peer_workers']} peer process(es)). Load average "
  f"{facts['load']}. The server, PostgreSQL and the load generator share the cores.")
p()
vol = facts["volumes"].split(" ", 5)
p(f"**Data:** `guestd seed --guests {guests} --seed {facts['seed']}` in **{float(facts['seed_wall']):.1f} s** "
  f"(target for 1,000,000 guests: 120 s; phases: "
  + ", ".join(f"{k} {v:.1f} s" for k, v in seed.get("seconds", {}).items()) + f"): {int(vol[0]):,} guests, "
  f"{int(vol[1]):,} stays, {int(vol[2]):,} charges, {int(vol[3]):,} preferences, {int(vol[4]):,} complaints; "
  f"database {vol[5]}. Lookups draw from a random sample of {int(facts['sample']):,} guests (the same ids for "
  f"wrk and pgbench). The card of the first sampled guest is {facts['card_bytes']} bytes, its basic info "
  f"{facts['basic_bytes']}.")
if "card" in SCENARIOS or "card-first" in SCENARIOS:
    p()
    first = ("the next " if int(facts["first_from"]) else "the same ") + f"{int(facts['sample']):,} guests"
    p(f"**Cards:** before the first run, every sampled guest's card was read once through guestd "
      f"({int(facts['stored_cards']):,} stored, {facts['store_wall']} s), so `card` measures the stored "
      f"card (sql/0013), as a guest read again before anyone writes to them. `card-first` draws from "
      f"{first}, whose stored cards are dropped before each of its runs: the first read of each card, "
      "which builds and stores it (ids drawn again within a run read the stored card).")
p()
p(f"Each run: {facts['duration']} s after a 2 s warm-up; {ROUNDS} round(s)"
  + (" (medians; ratios give the median of the per-round ratios and their range)" if ROUNDS > 1 else "")
  + f". Whole run {facts['bench_wall']} s. Server errors logged by guestd: {facts['server_errors']}.")
p()
p("## All runs")
p()
p("| scenario | conns | req/s | p50 | p99 | errors | server RSS |")
p("|---|---:|---:|---:|---:|---:|---:|")
for c in CONNECTIONS:
    for s in SCENARIOS:
        if (s, c) not in runs:
            continue
        rss = peak_rss(s, c)
        p(f"| {LABELS[s]} | {c} | {med(s, c, 'rps'):,.0f} | {fmt_ms(med(s, c, 'p50'))} | {fmt_ms(med(s, c, 'p99'))} "
          f"| {total_errors(s, c)} | {'–' if rss is None else f'{rss:.1f} MB'} |")
p()
shares = [(s, c, [x["stored_share"] for x in runs[(s, c)]]) for s in ("card", "card-first") for c in CONNECTIONS
          if (s, c) in runs]
if shares:
    p("Card reads answered by the stored card, per round (guestd's `guestd_card_reads_total` before and "
      "after each run): " + "; ".join(f"{s} at {c}: " + ", ".join("–" if v is None else f"{v:.0%}" for v in vs)
                                       for s, c, vs in shares) + ".")
    p()
p("Errors: non-2xx answers and socket errors (wrk), failed transactions (pgbench). Server RSS: the "
  "highest VmRSS sampled every 0.2 s during the runs (guestd, or the peer's process); pgbench has no "
  "server of its own.")
p()
p("## Ratios (req/s, same rounds)")
p()
pairs = [("basic", "pgbench-select", "guestd basic / pgbench"), ("card", "pgbench-select", "guestd card / pgbench"),
         ("basic", "peer-basic", "guestd basic / peer"), ("card", "peer-basic", "guestd card / peer basic"),
         ("card", "pgbench-card", "guestd card / pgbench card"),
         ("card-first", "pgbench-card", "guestd first card read / pgbench card"),
         ("card-first", "peer-basic", "guestd first card read / peer basic"),
         ("pgbench-card", "pgbench-select", "pgbench card / pgbench basic"),
         ("card", "basic", "card / basic"), ("basic", "healthz", "basic / healthz"),
         ("create", "pgbench-insert-guest", "creates / pgbench insert"),
         ("stay", "pgbench-insert-stay", "stays / pgbench insert")]
p("| ratio | " + " | ".join(f"{c} conns" for c in CONNECTIONS) + " |")
p("|---|" + "---:|" * len(CONNECTIONS))
for a, b, label in pairs:
    cells = [fmt_ratio(ratio(a, b, c)) for c in CONNECTIONS]
    if any(x != "–" for x in cells):
        p(f"| {label} | " + " | ".join(cells) + " |")
p()

# the targets of the issue, judged on this run
targets = []


def target(text, value, ok, where):
    targets.append((text, value, ok, where))


c64 = 64 if 64 in CONNECTIONS else None
low = min(CONNECTIONS)
top = 256 if 256 in CONNECTIONS else None
if c64:
    r = ratio("basic", "pgbench-select", c64)
    target("basic GET ≥ 0.8× pgbench", fmt_ratio(r), r and r[0] >= 0.8, "64 conns")
    r = ratio("card", "pgbench-select", c64)
    target("profile card ≥ 0.6× pgbench", fmt_ratio(r), r and r[0] >= 0.6, "64 conns")
    r = ratio("card", "peer-basic", c64)
    target("profile card ≥ 3× the peer's basic lookup", fmt_ratio(r), r and r[0] >= 3, "64 conns")
    for s in GETS:
        v = med(s, c64, "p99")
        if v is not None:
            target(f"p99 ≤ 15 ms: {s}", fmt_ms(v), v <= 15, "64 conns")
if top:
    errs = {s: total_errors(s, top) for s in GUESTD if (s, top) in runs}
    target("no errors", ", ".join(f"{s} {n}" for s, n in errs.items()), errs and not any(errs.values()), "256 conns")
    rss = [peak_rss(s, top) for s in GUESTD if peak_rss(s, top) is not None]
    target("server RSS ≤ 64 MB", f"{max(rss):.1f} MB" if rss else "–", rss and max(rss) <= 64, "256 conns, all scenarios")
for s in ("search", "vip"):
    v = med(s, low, "p50")
    if v is not None:
        target(f"p50 ≤ 20 ms: {s}", fmt_ms(v), v <= 20, f"{low} conns, {guests:,} guests")
if 16 in CONNECTIONS:
    for a, b, what in (("create", "pgbench-insert-guest", "creates"), ("stay", "pgbench-insert-stay", "stays")):
        r = ratio(a, b, 16)
        if r:
            target(f"{what}/s ≥ 0.5× pgbench insert ({med(a, 16, 'rps'):,.0f} vs {med(b, 16, 'rps'):,.0f}/s)",
                   fmt_ratio(r), r[0] >= 0.5, "16 conns")
if guests == 1000000:
    target("seed 1,000,000 guests < 2 min", f"{float(facts['seed_wall']):.1f} s", float(facts["seed_wall"]) < 120, "")
p("## Targets")
p()
p("| target | measured | where | verdict |")
p("|---|---:|---|---|")
for text, value, ok, where in targets:
    p(f"| {text} | {value} | {where} | {'met' if ok else '**not met**'} |")
p()
missed = [t for t in targets if not t[2]]
p(f"{len(targets) - len(missed)} of {len(targets)} targets met in this run.")
