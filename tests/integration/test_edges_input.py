"""Edges of input (DESIGN §14, issue 16): values that used to slip past the checks and reach
PostgreSQL, whose refusal (SQLSTATE class 22) answered a bare 422 without `errors`, and values
that were accepted although the contract refuses them. Every refusal is a 400 naming the query
parameter or a 422 naming the JSON pointer of the body member; every refused write stores nothing."""

import base64
import datetime
import json
import time
import urllib.parse

import pytest

import gd_dossier as d
import gd_helpers as h

GUESTS = "/v1/guests"


def query(**params):
    """A query string; values are sent as given (already percent-encoded where it matters)."""
    return "?" + "&".join(f"{k}={v}" for k, v in params.items())


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def rfc3339(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_cursor(*fields):
    """A cursor as the server makes them (src/domain/cursor.c): fields joined by U+001F, base64url."""
    raw = "\x1f".join(fields).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


ZERO_ID = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def guest(make_guest):
    return make_guest()


# ---------------------------------------------------------------- timestamp offsets (query: 400)

OFFSETS_REFUSED = ["+16:00", "+23:59", "-16:00", "-23:59", "+14:01", "-14:30", "+15:00"]


@pytest.mark.parametrize("offset", OFFSETS_REFUSED)
def test_updated_since_offset_beyond_14h_is_400(api, offset):
    """+16:00 .. +23:59 reached PostgreSQL (time zone displacement out of range: a bare 422);
    +14:01 .. +15:59 were taken although no zone on Earth is that far from UTC."""
    value = urllib.parse.quote("2026-01-01T00:00:00" + offset, safe="")
    r = api("GET", GUESTS + query(updated_since=value), key="frontdesk")
    p = h.assert_problem(r, 400, fields=["updated_since"])
    assert "14:00" in p["errors"][0]["message"], p


def test_updated_since_offset_14h_is_taken(api, guest):
    for offset in ("+14:00", "-14:00"):
        value = urllib.parse.quote("2000-01-01T00:00:00" + offset, safe="")
        r = api("GET", GUESTS + query(updated_since=value, limit="1"), key="frontdesk")
        assert r.status == 200, r
    # and the same request one minute further out is refused (the test fails where +14:01 passes)
    value = urllib.parse.quote("2000-01-01T00:00:00+14:01", safe="")
    h.assert_problem(api("GET", GUESTS + query(updated_since=value), key="frontdesk"), 400,
                     fields=["updated_since"])


# ---------------------------------------------------------------- invalid UTF-8 in query values (400)

BAD_UTF8 = {"ff": "%FF", "truncated": "%C3%28", "overlong": "%C0%AF", "surrogate": "%ED%A0%80",
            "past_10ffff": "%F4%90%80%80", "lone_continuation": "ab%80"}


@pytest.mark.parametrize("param", ["q", "email", "phone", "external_system", "external_id"])
@pytest.mark.parametrize("bad", sorted(BAD_UTF8))
def test_search_invalid_utf8_is_400(api, param, bad):
    params = {param: BAD_UTF8[bad]}
    if param == "external_system":
        params["external_id"] = "x"
    elif param == "external_id":
        params["external_system"] = "pms"
    r = api("GET", GUESTS + query(**params), key="frontdesk")
    p = h.assert_problem(r, 400, fields=[param])
    assert "UTF-8" in p["errors"][0]["message"], p


# One query parameter of each list route, with the role that may read it: the check is shared by
# every list (src/http/query.c), so each answers the same field error. The message names UTF-8,
# which tells the shared check from each parameter's own format check.
LIST_PARAMS = [
    ("/v1/guests/{gid}/stays", "cursor", "frontdesk"),
    ("/v1/guests/{gid}/consumptions", "limit", "frontdesk"),
    ("/v1/guests/{gid}/history", "cursor", "frontdesk"),
    ("/v1/changes", "after", "ops"),
    ("/v1/vip", "min_tier", "marketing"),
    ("/v1/vip", "nationality", "marketing"),
    ("/v1/special-dates", "kind", "marketing"),
    ("/v1/reports/complaints", "from", "ops"),
    ("/v1/api-keys", "cursor", "admin"),
    ("/v1/purge-runs", "limit", "ops"),
    ("/v1/guests", "updated_since", "frontdesk"),
]


@pytest.mark.parametrize("route,param,role", LIST_PARAMS, ids=[f"{r}?{p}" for r, p, _ in LIST_PARAMS])
def test_every_list_checks_utf8(api, guest, route, param, role):
    r = api("GET", route.format(gid=guest["id"]) + query(**{param: "a%FFb"}), key=role)
    p = h.assert_problem(r, 400, fields=[param])
    assert "UTF-8" in p["errors"][0]["message"], p


# ---------------------------------------------------------------- q that folds to nothing (400)

FOLDS_TO_NOTHING = {"space": "%20", "spaces_and_tab": "%20%20%09", "combining_acute": "%CC%81",
                    "combining_marks": "%CC%81%CC%88%CC%A7", "space_and_mark": "%20%CC%81",
                    "nbsp_and_zero_width": "%C2%A0%E2%80%8B", "ideographic_space": "%E3%80%80"}


@pytest.mark.parametrize("name", sorted(FOLDS_TO_NOTHING))
def test_q_folding_to_nothing_is_400(api, guest, name):
    """Case- and accent-insensitive matching drops white space and combining marks: such a q was
    an empty pattern that matched every guest."""
    r = api("GET", GUESTS + query(q=FOLDS_TO_NOTHING[name]), key="frontdesk")
    h.assert_problem(r, 400, fields=["q"])


def test_q_with_a_letter_after_marks_still_searches(api, make_guest):
    g = make_guest(family_name="Edgeqfold" + h.tok(6))
    # "é" spelled as e + combining acute, with spaces around: folds to "e...", not to nothing
    r = api("GET", GUESTS + query(q="%20" + g["family_name"][:6] + "%CC%81"), key="frontdesk")
    assert r.status == 200, r
    r = api("GET", GUESTS + query(q="%CC%81"), key="frontdesk")
    h.assert_problem(r, 400, fields=["q"])


# ---------------------------------------------------------------- integer query parameters: digits only (400)

LIMITS_REFUSED = {"leading_space": "%205", "plus": "%2B5", "leading_zero": "05", "zeros": "005", "tab": "%095",
                  "newline": "%0A5"}


@pytest.mark.parametrize("name", sorted(LIMITS_REFUSED))
def test_limit_digits_only(api, name):
    r = api("GET", GUESTS + query(limit=LIMITS_REFUSED[name]), key="frontdesk")
    h.assert_problem(r, 400, fields=["limit"])


LIMIT_ROUTES = [("/v1/guests/{gid}/stays", "frontdesk"), ("/v1/guests/{gid}/history", "frontdesk"),
                ("/v1/changes", "ops"), ("/v1/vip", "marketing"), ("/v1/special-dates", "marketing"),
                ("/v1/api-keys", "admin"), ("/v1/purge-runs", "ops")]


@pytest.mark.parametrize("route,role", LIMIT_ROUTES, ids=[r for r, _ in LIMIT_ROUTES])
def test_limit_digits_only_on_every_list(api, guest, route, role):
    for value in ("%2B5", "05", "%205"):
        r = api("GET", route.format(gid=guest["id"]) + query(limit=value), key=role)
        h.assert_problem(r, 400, fields=["limit"])
    assert api("GET", route.format(gid=guest["id"]) + query(limit="5"), key=role).status == 200


@pytest.mark.parametrize("value", ["%2B5", "05", "%205", "00"])
def test_upcoming_days_digits_only(api, value):
    r = api("GET", "/v1/vip" + query(upcoming_days=value), key="marketing")
    h.assert_problem(r, 400, fields=["upcoming_days"])


def test_upcoming_days_zero_is_taken(api):
    assert api("GET", "/v1/vip" + query(upcoming_days="0"), key="marketing").status == 200
    h.assert_problem(api("GET", "/v1/vip" + query(upcoming_days="00"), key="marketing"), 400,
                     fields=["upcoming_days"])


# ---------------------------------------------------------------- edited cursors (400)

EXTREME_INTEGERS = ["9223372036854775807", "-9223372036854775807", "-9223372036854775808"]
EXTREME_REALS = ["1e39", "-1e39", "1e-50", "3.5e38"]

CURSOR_ROUTES = [
    # route, kind written into the cursor, key values, role
    ("/v1/guests", "u", EXTREME_INTEGERS, "frontdesk"),
    ("/v1/guests/{gid}/stays", "stays", EXTREME_INTEGERS + ["2147483648", "99999999"], "frontdesk"),
    ("/v1/guests/{gid}/consumptions", "consumptions", EXTREME_INTEGERS, "frontdesk"),
    ("/v1/guests/{gid}/complaints", "complaints", EXTREME_INTEGERS, "frontdesk"),
    ("/v1/guests/{gid}/preferences", "preferences", EXTREME_INTEGERS, "frontdesk"),
    ("/v1/guests/{gid}/special-dates", "special-dates", EXTREME_INTEGERS, "frontdesk"),
    ("/v1/api-keys", "k", EXTREME_INTEGERS, "admin"),
    ("/v1/purge-runs", "p", EXTREME_INTEGERS, "ops"),
]


@pytest.mark.parametrize("route,kind,values,role", CURSOR_ROUTES, ids=[r for r, *_ in CURSOR_ROUTES])
def test_cursor_with_extreme_integer_key_is_400(api, guest, route, kind, values, role):
    for key in values:
        cursor = make_cursor(kind, key, ZERO_ID)
        r = api("GET", route.format(gid=guest["id"]) + query(cursor=cursor), key=role)
        h.assert_problem(r, 400, fields=["cursor"])


@pytest.mark.parametrize("key", EXTREME_REALS + ["2", "-0.5"])
def test_q_cursor_with_extreme_rank_is_400(api, key):
    """A q page is keyed by relevance, a real between 0 and 1: 1e39 and 1e-50 do not fit a real."""
    cursor = make_cursor("q", key, ZERO_ID)
    r = api("GET", GUESTS + query(q="edge", cursor=cursor), key="frontdesk")
    h.assert_problem(r, 400, fields=["cursor"])


def test_cursors_the_server_made_still_work(api, make_guest):
    """The bounds refuse edited keys only: a walk over real pages still goes through."""
    stem = "Edgecursor" + h.tok(5)
    for i in range(3):
        make_guest(family_name=f"{stem}{i}")
    r = api("GET", GUESTS + query(q=stem, limit="1"), key="frontdesk")
    assert r.status == 200 and r.json()["next_cursor"], r
    cursor = r.json()["next_cursor"]
    r = api("GET", GUESTS + query(q=stem, limit="1", cursor=cursor), key="frontdesk")
    assert r.status == 200, r
    # the same list, with a key one past the largest relevance, is refused
    h.assert_problem(api("GET", GUESTS + query(q=stem, cursor=make_cursor("q", "1e39", ZERO_ID)),
                         key="frontdesk"), 400, fields=["cursor"])


# ---------------------------------------------------------------- body timestamps (422, nothing stored)

def consumption(occurred_at):
    return {"occurred_at": occurred_at, "category": "bar", "amount": "12.50", "currency": "EUR"}


def complaint(received_at):
    return {"received_at": received_at, "category": "noise", "severity": "low", "description": "Loud"}


def timestamps_refused():
    now = utc_now()
    return {
        "offset_plus_16": "2026-01-01T10:00:00+16:00",
        "offset_plus_23_59": "2026-01-01T10:00:00+23:59",
        "offset_minus_16": "2026-01-01T10:00:00-16:00",
        "offset_plus_14_01": "2026-01-01T10:00:00+14:01",
        "leap_second": "2016-12-31T23:59:60Z",
        "year_9999_leap_second": "9999-12-31T23:59:60Z",
        "year_1": "0001-01-01T00:00:00Z",
        "before_1900": "1899-12-31T23:59:59Z",
        "before_1900_by_offset": "1900-01-01T00:30:00+01:00",
        "two_days_ahead": rfc3339(now + datetime.timedelta(days=2)),
        "one_day_and_a_minute_ahead": rfc3339(now + datetime.timedelta(days=1, minutes=1)),
        "year_2100": "2100-01-01T00:00:00Z",
    }


@pytest.mark.parametrize("section,member,make", [("consumptions", "occurred_at", consumption),
                                                 ("complaints", "received_at", complaint)])
@pytest.mark.parametrize("name", sorted(timestamps_refused()))
def test_body_timestamp_refused_on_create(api, db, guest, section, member, make, name):
    value = timestamps_refused()[name]
    with db.unchanged():
        r = api("POST", d.path(guest["id"], section), key="frontdesk", body=make(value))
        h.assert_problem(r, 422, "invalid-field", fields=["/" + member])


@pytest.mark.parametrize("section,member,make", [("consumptions", "occurred_at", consumption),
                                                 ("complaints", "received_at", complaint)])
def test_body_timestamp_refused_on_patch(api, db, guest, section, member, make):
    item = d.create(api, guest["id"], section, body=make("2025-03-02T19:30:00Z"))
    for value in ("2026-01-01T10:00:00+16:00", "9999-12-31T23:59:60Z", "0001-01-01T00:00:00Z"):
        with db.unchanged():
            r = api("PATCH", d.path(guest["id"], section, item["id"]), key="frontdesk", body={member: value},
                    headers={"Content-Type": "application/merge-patch+json"})
            h.assert_problem(r, 422, "invalid-field", fields=["/" + member])


@pytest.mark.parametrize("section,member,make", [("consumptions", "occurred_at", consumption),
                                                 ("complaints", "received_at", complaint)])
def test_body_timestamp_bounds_inclusive(api, db, guest, section, member, make):
    """1900-01-01T00:00:00Z, offsets of ±14:00 and a day ahead (less the test's own minute) are taken;
    one second before 1900 is not."""
    ahead = rfc3339(utc_now() + datetime.timedelta(days=1) - datetime.timedelta(minutes=1))
    for value in ("1900-01-01T00:00:00Z", "2026-01-01T10:00:00+14:00", "2026-01-01T10:00:00-14:00",
                  "1900-01-01T14:00:00+14:00", ahead):
        r = api("POST", d.path(guest["id"], section), key="frontdesk", body=make(value))
        assert r.status == 201, (value, r)
    with db.unchanged():
        r = api("POST", d.path(guest["id"], section), key="frontdesk", body=make("1899-12-31T23:59:59Z"))
        h.assert_problem(r, 422, "invalid-field", fields=["/" + member])


def test_import_line_timestamp_refused(api, db):
    ext = {"system": "pms", "id": "EDGE-" + h.tok(10)}
    line = {"family_name": "Edgeimport", "external_refs": [ext],
            "consumptions": [consumption("2026-01-01T10:00:00+16:00")],
            "complaints": [complaint("9999-12-31T23:59:60Z")]}
    with db.unchanged():
        r = api("POST", "/v1/guests/import", key="frontdesk", body=json.dumps(line) + "\n",
                headers={"Content-Type": "application/x-ndjson"}, timeout=60)
        assert r.status == 200, r
        out = [json.loads(x) for x in r.body.decode().splitlines()]
        assert out[0]["status"] == "rejected", out
        assert out[0]["problem"]["status"] == 422, out
        fields = {e["field"] for e in out[0]["problem"]["errors"]}
        assert fields == {"/consumptions/0/occurred_at", "/complaints/0/received_at"}, out


# ---------------------------------------------------------------- null for a boolean or a list (422)

@pytest.mark.parametrize("member", ["marketing_consent", "legal_hold", "external_refs"])
def test_create_guest_null_boolean_or_list_is_422(api, db, member):
    with db.unchanged():
        r = api("POST", GUESTS, key="frontdesk", body={"family_name": "Edgenull", member: None})
        h.assert_problem(r, 422, "invalid-field", fields=["/" + member])


def test_patch_null_resets_boolean_and_list(api, db, make_guest):
    """In a merge patch null removes a member (RFC 7396, documented for PATCH): the booleans go back to
    false and the references to [], while the same null in a create body is refused."""
    with db.unchanged():
        h.assert_problem(api("POST", GUESTS, key="frontdesk", body={"family_name": "Edgenull", "legal_hold": None}),
                         422, "invalid-field", fields=["/legal_hold"])
    g = make_guest(legal_hold=True, marketing_consent=True,
                   external_refs=[{"system": "pms", "id": "EDGE-" + h.tok(10)}])
    r = api("PATCH", f"{GUESTS}/{g['id']}", key="frontdesk",
            body={"legal_hold": None, "marketing_consent": None, "external_refs": None},
            headers={"Content-Type": "application/merge-patch+json"})
    assert r.status == 200, r
    card = r.json()
    assert card["legal_hold"] is False and card["marketing_consent"] is False and card["external_refs"] == []


# ---------------------------------------------------------------- a class-22 error that still slips through

def test_data_error_from_the_database_is_logged_as_a_bug(api, db, server, guest):
    """Should a value still reach PostgreSQL and be refused as data (class 22), the client keeps its
    422, without SQL, and the request's log line says so at error level with the SQLSTATE. The
    refusal is staged with a trigger on one marker value."""
    marker = "edge-trap-" + h.tok(8)
    fn = "edge_trap_" + h.tok(8)
    db.rows(f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.description = '{marker}' THEN RAISE EXCEPTION 'trap' USING ERRCODE = '22023'; END IF; "
            f"RETURN NEW; END $$; "
            f"CREATE TRIGGER {fn} BEFORE INSERT ON consumption FOR EACH ROW EXECUTE FUNCTION {fn}()")
    try:
        with db.unchanged():
            body = dict(consumption("2025-03-02T19:30:00Z"), description=marker)
            r = api("POST", d.path(guest["id"], "consumptions"), key="frontdesk", body=body)
            p = h.assert_problem(r, 422, "invalid-field")
            assert "trap" not in json.dumps(p), p
    finally:
        db.rows(f"DROP TRIGGER {fn} ON consumption; DROP FUNCTION {fn}()")
    rid = r.headers.get("X-Request-Id")
    for _ in range(100):  # the request line is written when the connection is done with the request
        lines = [json.loads(x) for x in server.stderr_text().splitlines() if rid in x]
        request_lines = [x for x in lines if x.get("request_id") == rid and x.get("msg") == "request"]
        if request_lines:
            break
        time.sleep(0.02)
    assert len(request_lines) == 1, lines
    line = request_lines[0]
    assert line["level"] == "error" and line["status"] == 422, line
    assert line.get("sqlstate") == "22023", line
    assert line.get("error") == "unchecked_input", line
    assert marker not in json.dumps(line), line
