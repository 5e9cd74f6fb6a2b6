"""GET /v1/reports/complaints: counts by category, severity and month; ratios; defaults; bad parameters; roles.

The database is shared by the whole session: every counting test works in a window of its own (a year in the
20th century that is checked to be empty first), so other tests' rows cannot interfere."""

import datetime
import random
import urllib.parse

import pytest

import gd_dossier as d
import gd_helpers as h

# after test_reconnect.py the session server may give one 503 per killed connection
pytestmark = pytest.mark.usefixtures("server_warm")

REPORT = "/v1/reports/complaints"
_used_years = set()


def report(api, key="ops", **params):
    q = ("?" + urllib.parse.urlencode(params)) if params else ""
    return api("GET", REPORT + q, key=key)


def get_report(api, key="ops", **params):
    r = report(api, key=key, **params)
    assert r.status == 200, r
    return r.json()


def fresh_year(api):
    """A year no other test uses, with no complaint and no completed stay in it."""
    for _ in range(50):
        y = random.randint(1905, 1999)
        if y in _used_years or (y - 1) in _used_years or (y + 1) in _used_years:
            continue
        _used_years.add(y)
        rep = get_report(api, **{"from": f"{y - 1}-12-01", "to": f"{y + 1}-01-31"})
        if rep["complaints"] == 0 and rep["completed_stays"] == 0:
            return y
    raise AssertionError("no empty year found for a report window")


def months(first, last):
    y, m = first
    out = []
    while (y, m) <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def empty_month(month):
    return {"month": month, "complaints": 0, "completed_stays": 0, "complaint_ratio": None}


def test_report_counts_ratios_and_months(api, make_guest):
    y = fresh_year(api)
    a, b, c = make_guest(), make_guest(), make_guest()
    A, B, C = a["id"], b["id"], c["id"]

    def cp(gid, when, category, severity, status="open", score=None):
        fields = dict(received_at=when, category=category, severity=severity, status=status)
        if score is not None:
            fields["feedback_score"] = score
        return d.complaint(api, gid, **fields)

    cp(A, f"{y}-01-10T12:00:00Z", "room", "high", "resolved", 4)
    cp(A, f"{y}-01-11T12:00:00Z", "room", "low")
    cp(B, f"{y}-01-12T12:00:00Z", "noise", "high", "closed", 2)
    cp(B, f"{y}-01-01T00:00:00Z", "noise", "low")                       # first instant of the window
    cp(B, f"{y}-03-05T12:00:00Z", "room", "medium", "in_progress")
    cp(A, f"{y}-03-06T12:00:00Z", "food", "critical", "closed", 5)
    cp(A, f"{y}-04-30T23:59:59.999999Z", "room", "low", "resolved")     # last instant of the window
    cp(A, f"{y}-05-01T00:00:00Z", "room", "high")                        # after the window
    cp(A, f"{y - 1}-12-31T23:59:59.999999Z", "billing", "high")          # before the window

    d.stay(api, A, f"{y}-01-05", nights=3)                                  # Jan
    d.stay(api, B, f"{y}-01-20", nights=2)                                  # Jan
    d.stay(api, A, f"{y - 1}-12-30", nights=2)                              # check_out Jan 1st: Jan
    d.stay(api, A, f"{y}-02-10", nights=2)                                  # Feb
    d.stay(api, A, f"{y}-03-28", nights=5)                                  # check_out Apr 2nd: Apr
    d.stay(api, B, f"{y}-04-29", nights=1)                                  # check_out = to: Apr
    d.stay(api, A, f"{y}-04-30", nights=2)                                  # check_out in May: out
    d.stay(api, A, f"{y}-02-01", nights=2, status="cancelled")              # not completed
    d.stay(api, B, f"{y}-03-01", nights=2, status="reserved")
    d.stay(api, B, f"{y}-03-10", nights=2, status="no_show")

    # a soft-deleted guest's complaints and stays are left out
    cp(C, f"{y}-02-15T12:00:00Z", "staff", "critical", "closed", 1)
    d.stay(api, C, f"{y}-02-14", nights=2)
    r = api("DELETE", f"/v1/guests/{C}", key="frontdesk")
    assert r.status == 204, r

    rep = get_report(api, **{"from": f"{y}-01-01", "to": f"{y}-04-30"})
    assert rep["from"] == f"{y}-01-01" and rep["to"] == f"{y}-04-30"
    assert rep["complaints"] == 7, rep
    assert rep["completed_stays"] == 6, rep
    assert rep["complaint_ratio"] == 1.1667
    assert rep["resolved_share"] == 0.5714
    assert rep["mean_feedback_score"] == 3.6667
    assert rep["by_category"] == [
        {"category": "room", "complaints": 4, "resolved_share": 0.5, "mean_feedback_score": 4},
        {"category": "noise", "complaints": 2, "resolved_share": 0.5, "mean_feedback_score": 2},
        {"category": "food", "complaints": 1, "resolved_share": 1, "mean_feedback_score": 5},
    ], rep["by_category"]
    assert rep["by_severity"] == [
        {"severity": "low", "complaints": 3, "resolved_share": 0.3333, "mean_feedback_score": None},
        {"severity": "medium", "complaints": 1, "resolved_share": 0, "mean_feedback_score": None},
        {"severity": "high", "complaints": 2, "resolved_share": 1, "mean_feedback_score": 3},
        {"severity": "critical", "complaints": 1, "resolved_share": 1, "mean_feedback_score": 5},
    ], rep["by_severity"]
    assert rep["by_month"] == [
        {"month": f"{y}-01", "complaints": 4, "completed_stays": 3, "complaint_ratio": 1.3333},
        {"month": f"{y}-02", "complaints": 0, "completed_stays": 1, "complaint_ratio": 0},
        {"month": f"{y}-03", "complaints": 2, "completed_stays": 0, "complaint_ratio": None},
        {"month": f"{y}-04", "complaints": 1, "completed_stays": 2, "complaint_ratio": 0.5},
    ], rep["by_month"]

    # as admin, the same
    assert get_report(api, key="admin", **{"from": f"{y}-01-01", "to": f"{y}-04-30"}) == rep

    # restoring the guest brings its rows back
    r = api("POST", f"/v1/guests/{C}/restore", key="ops")
    assert r.status == 200, r
    rep2 = get_report(api, **{"from": f"{y}-01-01", "to": f"{y}-04-30"})
    assert rep2["complaints"] == 8 and rep2["completed_stays"] == 7, rep2
    assert rep2["by_month"][1] == {"month": f"{y}-02", "complaints": 1, "completed_stays": 2,
                                   "complaint_ratio": 0.5}
    staff = [x for x in rep2["by_category"] if x["category"] == "staff"]
    assert staff == [{"category": "staff", "complaints": 1, "resolved_share": 1, "mean_feedback_score": 1}], rep2


def test_report_single_day_window(api, make_guest):
    y = fresh_year(api)
    g = make_guest()
    d.complaint(api, g["id"], received_at=f"{y}-06-15T00:00:00Z", category="billing", severity="medium")
    d.complaint(api, g["id"], received_at=f"{y}-06-15T23:59:59Z", category="billing", severity="medium",
                status="closed", feedback_score=3)
    d.complaint(api, g["id"], received_at=f"{y}-06-16T00:00:00Z", category="billing", severity="medium")
    d.stay(api, g["id"], f"{y}-06-13", nights=2)
    rep = get_report(api, **{"from": f"{y}-06-15", "to": f"{y}-06-15"})
    assert (rep["complaints"], rep["completed_stays"], rep["complaint_ratio"], rep["resolved_share"],
            rep["mean_feedback_score"]) == (2, 1, 2, 0.5, 3), rep
    assert rep["by_month"] == [{"month": f"{y}-06", "complaints": 2, "completed_stays": 1, "complaint_ratio": 2}]
    assert rep["by_category"] == [{"category": "billing", "complaints": 2, "resolved_share": 0.5,
                                   "mean_feedback_score": 3}]
    assert rep["by_severity"] == [{"severity": "medium", "complaints": 2, "resolved_share": 0.5,
                                   "mean_feedback_score": 3}]


def test_report_empty_window_lists_every_month(api):
    y = fresh_year(api)
    rep = get_report(api, **{"from": f"{y}-01-15", "to": f"{y}-06-10"})
    assert rep == {"from": f"{y}-01-15", "to": f"{y}-06-10", "complaints": 0, "completed_stays": 0,
                   "complaint_ratio": None, "resolved_share": None, "mean_feedback_score": None,
                   "by_category": [], "by_severity": [],
                   "by_month": [empty_month(m) for m in months((y, 1), (y, 6))]}


def test_report_window_across_years(api):
    y = fresh_year(api)
    rep = get_report(api, **{"from": f"{y - 1}-11-30", "to": f"{y}-02-01"})
    assert [m["month"] for m in rep["by_month"]] == [f"{y - 1}-11", f"{y - 1}-12", f"{y}-01", f"{y}-02"]


def test_report_stays_only_no_complaints(api, make_guest):
    y = fresh_year(api)
    g = make_guest()
    d.stay(api, g["id"], f"{y}-08-01", nights=3)
    rep = get_report(api, **{"from": f"{y}-08-01", "to": f"{y}-08-31"})
    assert (rep["complaints"], rep["completed_stays"], rep["complaint_ratio"], rep["resolved_share"],
            rep["mean_feedback_score"]) == (0, 1, 0, None, None), rep


def test_report_defaults(api):
    today = h.utc_today()
    rep = get_report(api)
    if rep["to"] != today.isoformat():  # the date may have just changed
        today = h.utc_today()
    assert rep["to"] == today.isoformat(), rep["to"]
    start = today - datetime.timedelta(days=364)
    assert rep["from"] == start.isoformat(), rep["from"]
    assert [m["month"] for m in rep["by_month"]] == months((start.year, start.month), (today.year, today.month))
    # only "to": from is to - 364 days
    rep = get_report(api, to="2001-12-31")
    assert (rep["from"], rep["to"]) == ("2001-01-01", "2001-12-31"), rep
    assert len(rep["by_month"]) == 12
    rep = get_report(api, to="2000-12-31")  # leap year
    assert rep["from"] == "2000-01-02", rep
    # only "from": to is today
    rep = get_report(api, **{"from": "2020-01-01"})
    assert rep["to"] == h.utc_today().isoformat() and rep["from"] == "2020-01-01"


@pytest.mark.parametrize("params", [
    {"from": "2001-02-01", "to": "2001-01-31"},
    {"from": "2001-01-01", "to": "2000-12-31"},
    {"from": "2099-01-01"},  # "to" defaults to today
    {"to": "2001-01-01", "from": "2001-01-02"},
])
def test_report_from_after_to_400(api, params):
    h.assert_problem(report(api, **params), 400, "bad-request")


def test_report_span_limit(api):
    start = datetime.date(1950, 1, 1)
    ok = get_report(api, **{"from": start.isoformat(), "to": (start + datetime.timedelta(days=3659)).isoformat()})
    assert ok["by_month"][0]["month"] == "1950-01"
    for days in (3661, 3700, 40000):
        r = report(api, **{"from": start.isoformat(), "to": (start + datetime.timedelta(days=days)).isoformat()})
        h.assert_problem(r, 400, "bad-request")


@pytest.mark.parametrize("name", ["from", "to"])
@pytest.mark.parametrize("value", ["2001-02-30", "2001-1-5", "yesterday", "", "2001-01-01T00:00:00Z", "20010101",
                                   "2001-13-01", "01-02-2001", "2001-01-01 ", "1e3"])
def test_report_bad_date_400(api, name, value):
    params = {"from": "2001-01-01", "to": "2001-06-30"}
    params[name] = value
    p = h.assert_problem(report(api, **params), 400, "bad-request")
    if p.get("errors"):
        assert [e["field"] for e in p["errors"]] == [name], p


@pytest.mark.parametrize("query", ["foo=1", "from=2001-01-01&limit=5", "From=2001-01-01"])
def test_report_unknown_param_400(api, query):
    h.assert_problem(api("GET", REPORT + "?" + query, key="ops"), 400, "bad-request")


@pytest.mark.parametrize("role,status", [("ops", 200), ("admin", 200), ("frontdesk", 403), ("marketing", 403),
                                         ("anonymous", 401)])
def test_report_roles(api, role, status):
    r = report(api, key=role, **{"from": "2001-01-01", "to": "2001-01-31"})
    if status == 200:
        assert r.status == 200, r
    elif status == 401:
        h.assert_problem(r, 401, "unauthorized")
        assert (r.headers.get("WWW-Authenticate") or "").startswith("Bearer")
    else:
        h.assert_problem(r, 403, "forbidden")


def test_report_method_not_allowed(api):
    r = api("POST", REPORT, key="ops", body={}, unknown_route=True)
    h.assert_problem(r, 405, "method-not-allowed")
    assert "GET" in (r.headers.get("Allow") or ""), r.headers
