"""GET /v1/special-dates: the greeting feed of birthdays and special dates of consenting guests, between two days.

The database is shared: each test makes its own guests and looks at the items of those guests only (by guest_id),
mostly in ranges of far years that other modules' data rarely reach."""

import base64
import calendar
import datetime
import urllib.parse

import pytest

import gd_dossier as d
import gd_helpers as h

pytestmark = pytest.mark.usefixtures("server_warm")

ITEM_KEYS = {"guest_id", "family_name", "given_name", "language", "email", "phone", "marketing_consent", "kind",
             "date", "original_date", "label"}


# ------------------------------------------------------------------ helpers


def url(**params):
    params = {k: v for k, v in params.items() if v is not None}
    return "/v1/special-dates" + ("?" + urllib.parse.urlencode(params) if params else "")


def page(api, key="marketing", **params):
    r = api("GET", url(**params), key=key)
    assert r.status == 200, r
    return r.json()


def walk(api, key="marketing", limit=None, start=None, **params):
    """Every item for these parameters, page by page from cursor `start` (asserts sorted dates, advancing cursors)."""
    items, cursor, seen = [], start, set()
    for _ in range(2000):
        body = page(api, key=key, limit=limit, cursor=cursor, **params)
        if limit is not None:
            assert len(body["items"]) <= int(limit), body
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert body["items"], "a page with a next_cursor must not be empty"
        assert cursor not in seen, f"cursor repeated: {cursor}"
        seen.add(cursor)
    dates = [i["date"] for i in items]
    assert dates == sorted(dates), "the feed is not ordered by date"
    for i in items:
        assert set(i) == ITEM_KEYS, sorted(i)
        assert i["marketing_consent"] is True, i
    return items


def mine(items, *guests):
    ids = {g["id"] if isinstance(g, dict) else g for g in guests}
    return [i for i in items if i["guest_id"] in ids]


def brief(items):
    """(guest_id, kind, date, original_date, label) of each item, in order."""
    return [(i["guest_id"], i["kind"], i["date"], i["original_date"], i["label"]) for i in items]


def consenting(make_guest, **fields):
    body = {"family_name": "Feed" + h.tok(8).capitalize(), "given_name": "G" + h.tok(5), "marketing_consent": True,
            "language": "fr", "email": f"{h.tok(10)}@example.org", "phone": "+4179" + h.digits(7)}
    body.update(fields)
    return make_guest(**body)


def special(api, gid, kind, date, label=None):
    body = {"kind": kind, "date": date}
    if label is not None:
        body["label"] = label
    return d.create(api, gid, "special-dates", body=body)


def recurrence_in(day, year):
    return datetime.date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def born(md_of, year=1980):
    return datetime.date(year, md_of.month, md_of.day)


def soft_delete(api, gid):
    r = api("DELETE", f"/v1/guests/{gid}", key="frontdesk")
    assert r.status == 204, r


def set_consent(api, gid, value):
    r = api("PATCH", f"/v1/guests/{gid}", key="frontdesk", body={"marketing_consent": value},
            headers={"If-Match": "*", "Content-Type": "application/merge-patch+json"})
    assert r.status == 200, r


def cursor_of(*fields):
    return base64.urlsafe_b64encode("\x1f".join(fields).encode()).decode().rstrip("=")


@pytest.fixture(scope="module")
def today():
    return h.utc_today()


# ------------------------------------------------------------------ the window, the order, who appears


@pytest.fixture(scope="module")
def april(api, make_guest):
    """Guests with occasions in April (the feed is asked for April 2033)."""
    g = {}
    g["a"] = consenting(make_guest, birth_date="1980-04-10")
    g["c"] = consenting(make_guest, birth_date="1985-04-10")
    g["b"] = consenting(make_guest)
    g["b_anniv"] = special(api, g["b"]["id"], "anniversary", "2001-04-10", "Wedding")
    g["b_other"] = special(api, g["b"]["id"], "other", "1999-04-20")
    g["b_bday"] = special(api, g["b"]["id"], "birthday", "1950-04-25", "Mother")
    g["no"] = make_guest(family_name="Feed" + h.tok(8), birth_date="1980-04-12", marketing_consent=False)
    special(api, g["no"]["id"], "anniversary", "2000-04-12")
    g["gone"] = consenting(make_guest, birth_date="1980-04-15")
    special(api, g["gone"]["id"], "other", "2000-04-16")
    soft_delete(api, g["gone"]["id"])
    g["out"] = consenting(make_guest, birth_date="1980-03-31")
    special(api, g["out"]["id"], "anniversary", "2000-05-01")
    g["edges"] = consenting(make_guest, birth_date="1980-04-01")
    special(api, g["edges"]["id"], "other", "2000-04-30", "last day")
    return g


APRIL = {"from": "2033-04-01", "to": "2033-04-30"}


def test_window_and_order(api, april):
    g = april
    items = mine(walk(api, **APRIL), *(g[k] for k in ("a", "b", "c", "no", "gone", "out", "edges")))
    # on one day, by the internal row id: the guest's id for a birthday, the special date's id otherwise
    same_day = sorted([(g["a"]["id"], (g["a"]["id"], "birthday", "2033-04-10", "04-10", None)),
                       (g["c"]["id"], (g["c"]["id"], "birthday", "2033-04-10", "04-10", None)),
                       (g["b_anniv"]["id"], (g["b"]["id"], "anniversary", "2033-04-10", "04-10", "Wedding"))])
    expected = ([(g["edges"]["id"], "birthday", "2033-04-01", "04-01", None)]
                + [x[1] for x in same_day]
                + [(g["b"]["id"], "other", "2033-04-20", "04-20", None),
                   (g["b"]["id"], "birthday", "2033-04-25", "04-25", "Mother"),
                   (g["edges"]["id"], "other", "2033-04-30", "04-30", "last day")])
    assert brief(items) == expected


def test_item_content(api, april):
    a = april["a"]
    item = mine(walk(api, **APRIL), a)[0]
    assert item == {"guest_id": a["id"], "family_name": a["family_name"], "given_name": a["given_name"],
                    "language": "fr", "email": a["email"], "phone": a["phone"], "marketing_consent": True,
                    "kind": "birthday", "date": "2033-04-10", "original_date": "04-10", "label": None}
    assert "1980" not in str(item), "the year of birth is not the feed's business"


def test_non_consenting_and_deleted_are_left_out(api, april):
    items = walk(api, **APRIL)
    assert not mine(items, april["no"]), "a guest without marketing consent is in the feed"
    assert not mine(items, april["gone"]), "a soft-deleted guest is in the feed"
    for kind in ("birthday", "anniversary", "other"):
        items = walk(api, kind=kind, **APRIL)
        assert not mine(items, april["no"], april["gone"]), kind


def test_consent_change_takes_effect(api, make_guest):
    g = make_guest(family_name="Feed" + h.tok(8), birth_date="1980-09-09", marketing_consent=False)
    rng = {"from": "2033-09-09", "to": "2033-09-09"}
    assert not mine(walk(api, **rng), g)
    set_consent(api, g["id"], True)
    assert brief(mine(walk(api, **rng), g)) == [(g["id"], "birthday", "2033-09-09", "09-09", None)]
    set_consent(api, g["id"], False)
    assert not mine(walk(api, **rng), g)


def test_restored_guest_comes_back(api, make_guest):
    g = consenting(make_guest, birth_date="1980-09-10")
    rng = {"from": "2033-09-10", "to": "2033-09-10"}
    assert mine(walk(api, **rng), g)
    soft_delete(api, g["id"])
    assert not mine(walk(api, **rng), g)
    r = api("POST", f"/v1/guests/{g['id']}/restore", key="ops")
    assert r.status == 200, r
    assert mine(walk(api, **rng), g)


@pytest.mark.parametrize("kind, expected", [
    ("birthday", [("a", "2033-04-10", None), ("c", "2033-04-10", None), ("b", "2033-04-25", "Mother")]),
    ("anniversary", [("b", "2033-04-10", "Wedding")]),
    ("other", [("b", "2033-04-20", None)]),
])
def test_kind_filter(api, april, kind, expected):
    items = walk(api, kind=kind, **APRIL)
    assert all(i["kind"] == kind for i in items), {i["kind"] for i in items}
    got = sorted((i["guest_id"], i["date"], i["label"]) for i in mine(items, april["a"], april["b"], april["c"]))
    assert got == sorted((april[k]["id"], day, label) for k, day, label in expected)


# ------------------------------------------------------------------ recurrence


def test_year_wrap(api, make_guest):
    g = consenting(make_guest, birth_date="1985-12-25")
    special(api, g["id"], "anniversary", "2010-01-05", "Wrap")
    special(api, g["id"], "other", "2010-06-01")  # outside the range in both years
    items = mine(walk(api, **{"from": "2026-12-20", "to": "2027-01-10"}), g)
    assert brief(items) == [(g["id"], "birthday", "2026-12-25", "12-25", None),
                            (g["id"], "anniversary", "2027-01-05", "01-05", "Wrap")]


def test_twice_in_a_366_day_range(api, make_guest):
    g = consenting(make_guest, birth_date="1980-03-10")
    items = mine(walk(api, **{"from": "2030-03-10", "to": "2031-03-10"}), g)
    assert [i["date"] for i in items] == ["2030-03-10", "2031-03-10"]


@pytest.mark.parametrize("frm, to, expected", [
    ("2027-02-20", "2027-03-05", ["2027-02-28"]),
    ("2027-02-28", "2027-02-28", ["2027-02-28"]),
    ("2027-03-01", "2027-03-01", []),
    ("2028-02-20", "2028-03-05", ["2028-02-29"]),
    ("2028-02-28", "2028-02-28", []),
    ("2100-02-01", "2100-03-01", ["2100-02-28"]),
    ("2027-01-01", "2027-12-31", ["2027-02-28"]),
    ("2027-03-01", "2028-02-29", ["2028-02-29"]),
])
def test_feb_29(api, make_guest, frm, to, expected):
    g = consenting(make_guest, birth_date="1992-02-29")
    other = special(api, g["id"], "other", "2004-02-29", "leap")
    items = mine(walk(api, **{"from": frm, "to": to}), g)
    assert [(i["kind"], i["date"]) for i in items if i["kind"] == "birthday"] == [("birthday", x) for x in expected]
    assert [i["date"] for i in items if i["kind"] == "other"] == expected
    for i in items:
        assert i["original_date"] == "02-29", i
    assert other["date"] == "2004-02-29"


# ------------------------------------------------------------------ defaults


@pytest.fixture(scope="module")
def near(make_guest, today):
    day = datetime.timedelta(days=1)
    out = {}
    for n in (-1, 0, 5, 30, 31):
        out[n] = consenting(make_guest, birth_date=born(today + n * day).isoformat())
    return out


def expected_date(today, n):
    target = today + datetime.timedelta(days=n)
    return recurrence_in(born(target), target.year).isoformat()


def test_defaults_today_to_today_plus_30(api, near, today):
    items = walk(api)  # the first page without any parameter
    got = {i["guest_id"]: i["date"] for i in mine(items, *near.values())}
    want = {near[n]["id"]: expected_date(today, n) for n in (0, 5, 30)}
    assert got == want, f"defaults: today {today}: got {got}, want {want}"
    assert all(today.isoformat() <= i["date"] <= (today + datetime.timedelta(days=30)).isoformat() for i in items)


def test_default_to_is_from_plus_30(api, near, today):
    frm = today + datetime.timedelta(days=1)
    got = {i["guest_id"] for i in mine(walk(api, **{"from": frm.isoformat()}), *near.values())}
    assert got == {near[5]["id"], near[30]["id"], near[31]["id"]}


def test_default_from_is_today(api, near, today):
    to = today + datetime.timedelta(days=5)
    got = {i["guest_id"] for i in mine(walk(api, to=to.isoformat()), *near.values())}
    assert got == {near[0]["id"], near[5]["id"]}


def test_default_from_after_to(api, today):
    r = api("GET", url(to=(today - datetime.timedelta(days=1)).isoformat()), key="marketing")
    h.assert_problem(r, 400, "bad-request", fields={"from"})


# ------------------------------------------------------------------ bad parameters


@pytest.mark.parametrize("query, fields", [
    ("from=2026-05-02&to=2026-05-01", {"from"}),
    ("from=2026-01-01&to=2027-01-02", {"to"}),
    ("from=2028-01-01&to=2029-01-01", {"to"}),
    ("from=2026-01-01&to=2030-01-01", {"to"}),
    ("kind=holiday", {"kind"}),
    ("kind=Birthday", {"kind"}),
    ("kind=", {"kind"}),
    ("from=2026-02-30", {"from"}),
    ("from=2026-13-01", {"from"}),
    ("from=2026-1-01", {"from"}),
    ("from=tomorrow", {"from"}),
    ("from=", {"from"}),
    ("to=2026-04-31", {"to"}),
    ("to=20260401", {"to"}),
    ("from=2026-04-01T00:00:00Z", {"from"}),
    ("from=bad&kind=bad", {"from", "kind"}),
    ("from=bad&to=bad", {"from", "to"}),
    ("bogus=1", {""}),
    ("from=2026-01-01&from=2026-01-02", {"from"}),
    ("limit=0", {"limit"}),
    ("limit=501", {"limit"}),
    ("limit=abc", {"limit"}),
])
def test_bad_parameters(api, query, fields):
    h.assert_problem(api("GET", "/v1/special-dates?" + query, key="marketing"), 400, "bad-request", fields=fields)


@pytest.mark.parametrize("frm, to", [("2026-01-01", "2027-01-01"), ("2028-01-01", "2028-12-31"),
                                     ("2027-03-01", "2028-02-29"), ("2026-06-01", "2026-06-01")])
def test_longest_ranges_are_accepted(api, frm, to):
    r = api("GET", url(**{"from": frm, "to": to}), key="marketing")
    assert r.status == 200, r


@pytest.mark.parametrize("query", ["from=9999-12-31", "from=9999-12-01&to=9999-12-31", "from=0001-01-01",
                                   "from=1900-02-28&to=1900-03-01"])
def test_extreme_dates(api, query):
    """Dates at the ends of the calendar: an answer (200 or 400), never a failure."""
    r = api("GET", "/v1/special-dates?" + query, key="marketing")
    if r.status != 200:
        h.assert_problem(r, 400, "bad-request")


@pytest.mark.parametrize("cursor", ["garbage", "", cursor_of("vip", "20.0", "00000000-0000-0000-0000-000000000000"),
                                    cursor_of("occasions", "1.5", "00000000-0000-0000-0000-000000000000"),
                                    cursor_of("occasions", "5", "not-a-uuid")])
def test_bad_cursor(api, cursor):
    h.assert_problem(api("GET", url(cursor=cursor), key="marketing"), 400, "bad-request", fields={"cursor"})


# -9223372036854775808 slipped through labs(strtol()) (labs(LONG_MIN) is undefined and negative in
# glibc); keys past 64 bits were clamped by strtol without a word.
@pytest.mark.parametrize("key", ["3000000000", "-3000000000", "99999999999999999", "-9223372036854775808",
                                 "-99999999999999999999", "99999999999999999999"])
def test_out_of_range_cursor_key(api, key):
    """A cursor whose day number is far out of range is a bad cursor (400), not a database error."""
    cursor = cursor_of("occasions", key, "00000000-0000-0000-0000-000000000000")
    r = api("GET", url(cursor=cursor), key="marketing")
    h.assert_problem(r, 400, "bad-request", fields={"cursor"})


# ------------------------------------------------------------------ roles


@pytest.mark.parametrize("role, status", [("marketing", 200), ("admin", 200), ("frontdesk", 403), ("ops", 403),
                                          ("anonymous", 401)])
def test_roles(api, role, status):
    r = api("GET", url(**{"from": "2033-01-01", "to": "2033-01-02"}), key=role)
    if status == 200:
        assert r.status == 200, r
    else:
        h.assert_problem(r, status, "forbidden" if status == 403 else "unauthorized")


# ------------------------------------------------------------------ pages


def test_pages(api, make_guest):
    rng = {"from": "2034-07-01", "to": "2034-07-03"}
    guests = []
    for n in range(4):
        g = consenting(make_guest, birth_date=f"1980-07-0{1 + n % 3}")
        special(api, g["id"], "anniversary", f"2000-07-0{1 + (n + 1) % 3}", f"a{n}")
        guests.append(g)
    one = walk(api, limit="500", **rng)
    assert len(mine(one, *guests)) == 8
    for limit in ("1", "2", "3"):
        paged = walk(api, limit=limit, **rng)
        assert paged == one, f"limit={limit}: the walk differs from one page"
    assert walk(api, limit="2", **rng) == walk(api, limit="2", **rng), "two walks differ"
    first = page(api, limit="2", **rng)
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = walk(api, limit="500", start=first["next_cursor"], **rng)
    assert first["items"] + rest == one
    assert page(api, limit=str(len(one)), **rng)["next_cursor"] is None


def test_page_across_a_year_end(api, make_guest):
    """The cursor's day number holds across years (keys before and after 1970 and across New Year)."""
    guests = [consenting(make_guest, birth_date=bd) for bd in ("1930-12-31", "1930-01-01", "1931-12-31",
                                                               "1931-01-01")]
    rng = {"from": "1969-12-31", "to": "1970-01-01"}
    one = walk(api, limit="500", **rng)
    assert walk(api, limit="1", **rng) == one
    assert [i["date"] for i in mine(one, *guests)] == ["1969-12-31", "1969-12-31", "1970-01-01", "1970-01-01"]


def test_vip_cursor_is_refused(api, make_guest):
    for _ in range(2):
        make_guest(nationality="SB")
    r = api("GET", "/v1/vip?nationality=SB&limit=1", key="marketing")
    assert r.status == 200 and r.json()["next_cursor"], r
    h.assert_problem(api("GET", url(cursor=r.json()["next_cursor"]), key="marketing"), 400, "bad-request",
                     fields={"cursor"})
