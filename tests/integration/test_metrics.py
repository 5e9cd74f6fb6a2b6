"""GET /metrics: the Prometheus text format, request counters by route template, the latency
histogram, pool gauges, database errors, purge and rescore runs (in-process and recorded)."""

import math
import re
import time
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

import gd_dossier
import gd_helpers as h
from test_shutdown_limits import patch_in_background, slow_guest_updates  # noqa: F401 (a fixture)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
# a label value: anything but an unescaped quote, backslash or line feed; only \\ \" \n escapes
VALUE = r'(?:[^"\\\n]|\\[\\"n])*'
SAMPLE_RE = re.compile(rf"({NAME})(?:\{{((?:{LABEL}=\"{VALUE}\")(?:,{LABEL}=\"{VALUE}\")*)?\}})? (\S+)")
PAIR_RE = re.compile(rf"({LABEL})=\"({VALUE})\"")
FLOAT_RE = re.compile(r"[+-]?(?:Inf|NaN|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def unescape(v):
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "\\": "\\", '"': '"'}[m.group(1)], v)


def to_float(text):
    assert FLOAT_RE.fullmatch(text), f"not a Prometheus value: {text!r}"
    return float(text.replace("Inf", "inf"))


def strict_parse(text):
    """Checks the text against the 0.0.4 format more strictly than Prometheus does and returns
    ({(name, frozenset(labels.items())): value}, {family: type})."""
    assert text.endswith("\n"), "the text must end with a line feed"
    samples, types, helps, done = {}, {}, set(), set()
    current = None  # the family whose samples are being read
    for n, line in enumerate(text[:-1].split("\n"), 1):
        where = f"line {n}: {line!r}"
        assert line, f"{where}: empty line"
        if line.startswith("#"):
            m = re.fullmatch(rf"# (HELP|TYPE) ({NAME}) (.*)", line)
            assert m, f"{where}: malformed comment"
            kind, name, rest = m.groups()
            if kind == "HELP":
                assert name not in helps, f"{where}: second HELP"
                assert re.fullmatch(r"(?:[^\\]|\\[\\n])*", rest), f"{where}: bad escape in HELP"
                helps.add(name)
            else:
                assert name not in types, f"{where}: second TYPE"
                assert rest in TYPES, f"{where}: unknown type"
                assert name not in done, f"{where}: TYPE after the family's samples"
                types[name] = rest
            if current and current != name:
                done.add(current)
            current = name
            continue
        m = SAMPLE_RE.fullmatch(line)
        assert m, f"{where}: malformed sample"
        name, labels_text, value = m.groups()
        family = name
        if name not in types:
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            assert types.get(base) == "histogram", f"{where}: sample without a TYPE before it"
            family = base
        assert family == current, f"{where}: samples of family {family} are not together"
        labels = {}
        for k, v in PAIR_RE.findall(labels_text or ""):
            assert k not in labels, f"{where}: label {k} twice"
            labels[k] = unescape(v)
        assert (family != name) == ("le" in labels and name.endswith("_bucket")) or name.endswith(("_sum", "_count")), \
            f"{where}: le only on histogram buckets"
        key = (name, frozenset(labels.items()))
        assert key not in samples, f"{where}: the same series twice"
        samples[key] = to_float(value)
    check_histograms(samples, types)
    return samples, types


def check_histograms(samples, types):
    for family, t in types.items():
        if t != "histogram":
            continue
        series = {}
        for (name, labels), v in samples.items():
            if name == family + "_bucket":
                d = dict(labels)
                le = d.pop("le")
                series.setdefault(frozenset(d.items()), []).append((to_float(le), v))
        for labels, buckets in series.items():
            buckets.sort()
            assert buckets[-1][0] == math.inf, f"{family}{dict(labels)}: no +Inf bucket"
            counts = [c for _, c in buckets]
            assert counts == sorted(counts), f"{family}{dict(labels)}: buckets not cumulative: {buckets}"
            count = samples.get((family + "_count", labels))
            assert count == counts[-1], f"{family}{dict(labels)}: _count {count} != +Inf bucket {counts[-1]}"
            assert (family + "_sum", labels) in samples, f"{family}{dict(labels)}: no _sum"


class Scrape:
    def __init__(self, text):
        self.text = text
        self.samples, self.types = strict_parse(text)
        # Prometheus' own client library must read it too
        self.families = {f.name: f for f in text_string_to_metric_families(text)}

    def get(self, name, default=0.0, **labels):
        return self.samples.get((name, frozenset(labels.items())), default)

    def series(self, name):
        return {k[1]: v for k, v in self.samples.items() if k[0] == name}


def scrape(api):
    r = api("GET", "/metrics")
    assert r.status == 200, r
    assert r.headers.get("Content-Type") == CONTENT_TYPE
    return Scrape(r.body.decode("utf-8"))


def requests_of(s, route, method, status):
    return s.get("guestd_http_requests_total", route=route, method=method, status=str(status))


def settle(api, expect, timeout=3.0):
    """Scrapes until every expect(scrape) holds: libmicrohttpd reports a request complete just
    after the client has read its answer, so a count may trail by a few milliseconds."""
    deadline = time.monotonic() + timeout
    while True:
        s = scrape(api)
        if expect(s) or time.monotonic() > deadline:
            return s
        time.sleep(0.02)


def test_text_format_and_families(api):
    s = scrape(api)
    for family, t in {
        "guestd_build_info": "gauge", "process_start_time_seconds": "gauge",
        "guestd_http_requests_total": "counter", "guestd_http_request_duration_seconds": "histogram",
        "guestd_http_requests_in_flight": "gauge", "guestd_db_pool_size": "gauge",
        "guestd_db_pool_connections_in_use": "gauge", "guestd_db_pool_connections_idle": "gauge",
        "guestd_db_pool_waiting_requests": "gauge", "guestd_db_pool_wait_timeouts_total": "counter",
        "guestd_db_errors_total": "counter", "guestd_db_connections_opened_total": "counter",
        "guestd_db_reconnects_total": "counter", "guestd_db_connect_failures_total": "counter",
        "guestd_purge_runs_total": "counter", "guestd_purge_guests_total": "counter",
        "guestd_rescore_runs_total": "counter", "guestd_rescore_guests_total": "counter",
        "guestd_db_up": "gauge", "guestd_purge_last_run_timestamp_seconds": "gauge",
        "guestd_purge_running": "gauge", "guestd_rescore_last_run_timestamp_seconds": "gauge",
    }.items():
        assert s.types.get(family) == t, f"{family}: type {s.types.get(family)!r}, expected {t}"
    assert set(dict(k)["kind"] for k in s.series("guestd_db_errors_total")) == {
        "serialization", "deadlock", "timeout", "connection", "constraint", "data", "other"}
    assert s.get("guestd_db_up") == 1
    start = s.get("process_start_time_seconds")
    assert time.time() - 3600 < start <= time.time()


def test_build_info(api, guestd_bin):
    s = scrape(api)
    [(labels, value)] = s.series("guestd_build_info").items()
    labels = dict(labels)
    assert value == 1
    assert set(labels) == {"version", "libmicrohttpd", "jansson", "libpq"}
    p = h.run_cli(guestd_bin, "--version")
    out = p.stdout.decode()
    assert f"guestd {labels['version']}\n" in out
    for lib in ("libmicrohttpd", "jansson", "libpq"):
        assert re.fullmatch(r"[0-9]+(\.[0-9]+)+", labels[lib]), labels
        assert f"{lib} {labels[lib]}" in out, f"{labels} vs {out!r}"


def test_requests_counted_by_route_template_and_status(api, make_guest):
    ids = [make_guest()["id"], make_guest()["id"]]
    missing = str(uuid.uuid4())
    before = settle(api, lambda s: True)
    for gid in ids:
        assert api("GET", f"/v1/guests/{gid}", key="frontdesk").status == 200
    assert api("GET", f"/v1/guests/{missing}", key="frontdesk").status == 404
    assert api("GET", "/v1/guests?limit=1").status == 401  # no key
    assert api("GET", f"/metrics-nowhere/{missing}", unknown_route=True).status == 404
    expected = {("/v1/guests/{id}", "GET", 200): 2, ("/v1/guests/{id}", "GET", 404): 1,
                ("/v1/guests", "GET", 401): 1, ("unmatched", "GET", 404): 1}

    def moved(s):
        return all(requests_of(s, *k) - requests_of(before, *k) >= n for k, n in expected.items())

    after = settle(api, moved)
    for k, n in expected.items():
        assert requests_of(after, *k) - requests_of(before, *k) == n, k
    # the route template is the label, never the path: no id reaches the text
    for text in ids + [missing, "metrics-nowhere"]:
        assert text not in after.text
    # each of those requests is in the histogram of its route too
    for route, n in (("/v1/guests/{id}", 3), ("/v1/guests", 1), ("unmatched", 1)):
        c0 = before.get("guestd_http_request_duration_seconds_count", route=route, method="GET")
        c1 = after.get("guestd_http_request_duration_seconds_count", route=route, method="GET")
        assert c1 - c0 == n, route


def test_unknown_methods_share_one_label(api):
    before = settle(api, lambda s: True)
    assert api("BREW", "/metrics", unknown_route=True).status == 405
    assert api("PROPFIND", "/nowhere", unknown_route=True).status == 404
    after = settle(api, lambda s: requests_of(s, "unmatched", "other", 404) > requests_of(before, "unmatched", "other", 404)
                   and requests_of(s, "unmatched", "other", 405) > requests_of(before, "unmatched", "other", 405))
    assert requests_of(after, "unmatched", "other", 405) - requests_of(before, "unmatched", "other", 405) == 1
    assert requests_of(after, "unmatched", "other", 404) - requests_of(before, "unmatched", "other", 404) == 1
    assert "BREW" not in after.text and "PROPFIND" not in after.text


def test_histogram_count_equals_requests_count(api, make_guest):
    make_guest()
    api("GET", "/healthz")
    s = settle(api, lambda s: True)
    time.sleep(0.1)  # let the last completions land, then compare one scrape with itself
    s = scrape(api)
    totals = {}
    for labels, v in s.series("guestd_http_requests_total").items():
        d = dict(labels)
        key = (d["route"], d["method"])
        totals[key] = totals.get(key, 0) + v
    counts = {(dict(k)["route"], dict(k)["method"]): v
              for k, v in s.series("guestd_http_request_duration_seconds_count").items()}
    totals.pop(("/metrics", "GET"), None)  # the scrapes themselves race with the reading
    counts.pop(("/metrics", "GET"), None)
    assert totals and totals == counts
    for labels, total in s.series("guestd_http_request_duration_seconds_sum").items():
        assert total >= 0


def test_pool_gauges_are_sane(api):
    s = scrape(api)
    size = s.get("guestd_db_pool_size")
    in_use = s.get("guestd_db_pool_connections_in_use")
    idle = s.get("guestd_db_pool_connections_idle")
    assert size >= 1
    assert 0 <= in_use <= size and 0 <= idle <= size
    assert in_use + idle == size
    assert s.get("guestd_db_pool_waiting_requests") >= 0
    assert s.get("guestd_db_connections_opened_total") >= 1
    assert s.get("guestd_http_requests_in_flight") >= 1  # this scrape


def test_constraint_error_counted(api, make_guest):
    gid = make_guest()["id"]
    body = gd_dossier.minimal("preferences")
    gd_dossier.create(api, gid, "preferences", body=body)
    before = settle(api, lambda s: True)
    r = api("POST", gd_dossier.path(gid, "preferences"), key="frontdesk", body=body)
    assert r.status == 409, r
    after = settle(api, lambda s: s.get("guestd_db_errors_total", kind="constraint")
                   > before.get("guestd_db_errors_total", kind="constraint"))
    assert after.get("guestd_db_errors_total", kind="constraint") - \
        before.get("guestd_db_errors_total", kind="constraint") == 1
    for kind in ("serialization", "deadlock", "timeout", "connection", "data", "other"):
        assert after.get("guestd_db_errors_total", kind=kind) == before.get("guestd_db_errors_total", kind=kind), kind


def test_purge_from_the_cli_shows_in_the_last_run(api, guestd_bin, db_url, db):
    before = scrape(api)
    t0 = time.time()
    # nothing is 100 years stale, and only guests deleted 10 years ago would be hard-deleted
    p = h.run_cli(guestd_bin, "purge", "--inactive-days", "36500", "--grace-days", "3650",
                  "--database-url", db_url, timeout=120)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    t1 = time.time()
    after = scrape(api)
    last = after.get("guestd_purge_last_run_timestamp_seconds", None, outcome="done")
    assert last is not None and t0 - 1 <= last <= t1 + 1, (t0, last, t1)
    assert last > before.get("guestd_purge_last_run_timestamp_seconds", 0, outcome="done")
    finished = db.scalar("SELECT extract(epoch FROM max(finished_at)) FROM purge_run WHERE status = 'done' AND NOT dry_run")
    assert abs(float(finished) - last) < 1e-5
    assert after.get("guestd_purge_last_run_guests", None, action="soft_purged") == 0
    assert after.get("guestd_purge_running") == 0
    # another process's run: this guestd's own counters did not move
    assert after.series("guestd_purge_runs_total") == before.series("guestd_purge_runs_total")


def test_purge_over_http_counted_in_process(api):
    before = scrape(api)
    r = api("POST", "/v1/purge-runs", key="ops", body={"dry_run": True})
    assert r.status == 201, r
    after = scrape(api)
    assert after.get("guestd_purge_runs_total", outcome="dry_run") - \
        before.get("guestd_purge_runs_total", outcome="dry_run") == 1
    for outcome in ("done", "failed", "locked"):
        assert after.get("guestd_purge_runs_total", outcome=outcome) == \
            before.get("guestd_purge_runs_total", outcome=outcome)
    # a dry run is not the last run
    assert after.get("guestd_purge_last_run_timestamp_seconds", None, outcome="done") == \
        before.get("guestd_purge_last_run_timestamp_seconds", None, outcome="done")


def test_rescore_from_the_cli_is_recorded(api, guestd_bin, db_url, db):
    before = scrape(api)
    t0 = time.time()
    p = h.run_cli(guestd_bin, "rescore", "--database-url", db_url, timeout=120)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    t1 = time.time()
    summary = __import__("json").loads(p.stdout.decode())
    after = scrape(api)
    last = after.get("guestd_rescore_last_run_timestamp_seconds", None, outcome="done")
    assert last is not None and t0 - 1 <= last <= t1 + 1, (t0, last, t1)
    assert after.get("guestd_rescore_last_run_guests") == summary["guests"]
    row = db.rows("SELECT why, status, jobs, guests FROM rescore_run ORDER BY id DESC LIMIT 1")
    assert [tuple(map(str, row[0]))] == [("rescore", "done", "2", str(summary["guests"]))]
    assert after.series("guestd_rescore_runs_total") == before.series("guestd_rescore_runs_total")


def test_rescore_over_http_counted_in_process(api, make_guest):
    make_guest()
    before = scrape(api)
    r = api("POST", "/v1/loyalty/rescore", key="ops")
    assert r.status == 200, r
    guests = r.json()["guests"]
    assert guests >= 1
    after = scrape(api)
    assert after.get("guestd_rescore_runs_total", outcome="done") - \
        before.get("guestd_rescore_runs_total", outcome="done") == 1
    assert after.get("guestd_rescore_guests_total") - before.get("guestd_rescore_guests_total") == guests
    assert after.get("guestd_rescore_last_run_guests") == guests
    assert after.get("guestd_rescore_last_run_timestamp_seconds", outcome="done") > \
        before.get("guestd_rescore_last_run_timestamp_seconds", 0, outcome="done")


def test_card_reads_counted_by_source(api, make_guest):
    g = make_guest()
    before = scrape(api)
    for _ in range(3):
        assert api("GET", f"/v1/guests/{g['id']}", key="frontdesk").status == 200
    assert api("GET", f"/v1/guests/{g['id']}?fields=basic", key="frontdesk").status == 200
    after = scrape(api)
    # the first read builds and stores the card, the next two answer with it; basic info is no card
    assert after.get("guestd_card_reads_total", source="built") - \
        before.get("guestd_card_reads_total", source="built") == 1
    assert after.get("guestd_card_reads_total", source="stored") - \
        before.get("guestd_card_reads_total", source="stored") == 2


def test_metrics_answer_while_the_database_is_unreachable(start_server):
    # nothing listens on port 1: every connect fails at once
    srv = start_server(database_url="host=127.0.0.1 port=1 user=nobody dbname=nothing connect_timeout=1")
    s = scrape(srv.api)
    assert s.get("guestd_db_up") == 0
    assert s.get("guestd_db_connect_failures_total") >= 1
    assert s.get("guestd_db_errors_total", kind="connection") >= 1
    assert not s.series("guestd_purge_last_run_timestamp_seconds")
    assert not s.series("guestd_rescore_last_run_timestamp_seconds")


def test_readme_lists_every_metric(api):
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Metrics\n", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))
    served = set(scrape(api).types)
    assert served <= listed, f"metrics missing from README's Metrics table: {sorted(served - listed)}"
    # the last-run gauges of a kind of job appear once such a run exists; the rest always
    optional = {n for n in listed if "_last_run_" in n}
    assert listed - optional <= served, f"README lists metrics the server does not serve: {sorted(listed - optional - served)}"


def test_statement_timeout_counted_as_timeout(start_server, make_guest, slow_guest_updates):
    # a server of its own: its counters start at zero, so the values are exact
    srv = start_server("--threads", "2", "--statement-timeout", "500")
    guest = make_guest()
    r = srv.api("PATCH", f"/v1/guests/{guest['id']}", key="frontdesk", body={"family_name": slow_guest_updates(10)},
                timeout=30)
    h.assert_problem(r, 503, "unavailable")
    s = settle(srv.api, lambda s: requests_of(s, "/v1/guests/{id}", "PATCH", 503) == 1)
    assert requests_of(s, "/v1/guests/{id}", "PATCH", 503) == 1
    assert s.get("guestd_db_errors_total", kind="timeout") == 1
    assert s.get("guestd_http_request_duration_seconds_count", route="/v1/guests/{id}", method="PATCH") == 1
    # 0.5 s of statement timeout: not in the buckets up to 0.25 s
    assert s.get("guestd_http_request_duration_seconds_bucket", route="/v1/guests/{id}", method="PATCH",
                 le="0.25") == 0


def sleeping_backends(db):
    return int(db.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'"))


def test_pool_in_use_while_a_request_holds_a_connection(start_server, make_guest, slow_guest_updates, db):
    srv = start_server("--threads", "4")
    guest = make_guest()
    t, result = patch_in_background(srv, guest["id"], {"family_name": slow_guest_updates(3)})
    # scrape only once the write sleeps in the database: a connection accepted earlier could land
    # on the thread that then runs the write, and wait for it
    deadline = time.monotonic() + 10
    while sleeping_backends(db) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sleeping_backends(db) == 1, "the slow write never reached the database"
    s = scrape(srv.api)
    assert s.get("guestd_db_pool_size") == 4
    assert s.get("guestd_db_pool_connections_in_use") == 1
    assert s.get("guestd_db_pool_connections_idle") == 3
    assert s.get("guestd_http_requests_in_flight") == 2  # the PATCH and this scrape
    t.join(timeout=30)
    assert result.get("response") is not None and result["response"].status == 200, result
    s = settle(srv.api, lambda s: s.get("guestd_db_pool_connections_in_use") == 0)
    assert s.get("guestd_db_pool_connections_in_use") == 0
    assert s.get("guestd_db_pool_connections_idle") == 4
