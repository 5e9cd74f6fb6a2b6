"""Edges of DESIGN §14 around roles and methods: marketing never sees a birth year (special dates of kind
birthday included), HEAD answers every GET route with GET's status and headers and no body, and the run
script keeps the admin key out of the log stream."""

import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

import gd_dossier as d
import gd_helpers as h

pytestmark = pytest.mark.usefixtures("server_warm")

ROOT = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------ marketing and birth years

BIRTH = "1980-12-20"
CHILD = "2015-09-02"
WEDDING = "2012-06-23"
# a year with its month: too specific to turn up in an id or a timestamp by chance
YEARS = ("1980-12", "2015-09")


@pytest.fixture(scope="module")
def birthday_guest(api, make_guest):
    # a nationality few guests of the shared database have keeps the VIP lists short
    g = make_guest(birth_date=BIRTH, marketing_consent=True, nationality="TV")
    gid = g["id"]
    d.create(api, gid, "special-dates", kind="birthday", date=BIRTH, label="Self")
    d.create(api, gid, "special-dates", kind="birthday", date=CHILD, label="Daughter")
    d.create(api, gid, "special-dates", kind="anniversary", date=WEDDING, label="Wedding")
    return gid


def test_marketing_sees_no_birth_year(api, birthday_guest):
    """The card masks the birthdays among the special dates as it masks birth_date; anniversaries keep their
    year; the full view is untouched; the feed and the VIP list (JSON and CSV) show no birth year either."""
    gid = birthday_guest
    full = d.card(api, gid)
    by_label = {s["label"]: s for s in full["special_dates"]}
    assert by_label["Self"]["date"] == BIRTH and by_label["Daughter"]["date"] == CHILD, full["special_dates"]

    r = api("GET", f"/v1/guests/{gid}", key="marketing")
    assert r.status == 200, r
    m = r.json()
    assert "birth_date" not in m and m["birthday"] == "12-20", m
    expected = []
    for s in full["special_dates"]:
        if s["kind"] == "birthday":
            s = {**{k: v for k, v in s.items() if k != "date"}, "birthday": s["date"][5:]}
        expected.append(s)
    assert m["special_dates"] == expected, m["special_dates"]
    assert {s["label"]: s.get("birthday") for s in m["special_dates"]} == \
        {"Self": "12-20", "Daughter": "09-02", "Wedding": None}
    assert [s["date"] for s in m["special_dates"] if s["kind"] == "anniversary"] == [WEDDING]
    for year in YEARS:
        assert year not in r.body.decode(), f"the marketing card shows {year}: {r.body!r}"

    # the greeting feed: recurrences and MM-DD only
    items, cursor = [], None
    for _ in range(100):
        q = {"from": "2033-09-01", "to": "2033-12-31", "limit": 500}
        if cursor:
            q["cursor"] = cursor
        r = api("GET", "/v1/special-dates?" + urllib.parse.urlencode(q), key="marketing")
        assert r.status == 200, r
        items += [i for i in r.json()["items"] if i["guest_id"] == gid]
        for year in YEARS:
            assert year not in r.body.decode(), f"the greeting feed shows {year}"
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert sorted((i["kind"], i["date"], i["original_date"]) for i in items) == \
        [("birthday", "2033-09-02", "09-02"), ("birthday", "2033-12-20", "12-20"),
         ("birthday", "2033-12-20", "12-20")], items

    # the VIP list, JSON and CSV, with the occasions
    vip = "/v1/vip?nationality=TV&upcoming_days=366"
    r = api("GET", vip + "&limit=500", key="marketing")
    assert r.status == 200, r
    assert [e["birthday"] for e in r.json()["items"] if e["id"] == gid] == ["12-20"]
    r = api("GET", vip, key="marketing", headers={"Accept": "text/csv"})
    assert r.status == 200 and r.media_type == "text/csv", r
    assert gid in r.body.decode()
    for year in YEARS:
        assert year not in r.body.decode(), f"the VIP CSV shows {year}"


# ------------------------------------------------------------------ HEAD

# headers that differ between any two answers
VOLATILE = {"date", "x-request-id"}


def raw(port, method, path, key=None, headers=()):
    """One request on its own connection, read to the close: the exact bytes of the answer."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if key:
        lines.append(f"Authorization: Bearer {key}")
    lines += [f"{k}: {v}" for k, v in headers]
    return h.raw_http(port, ("\r\n".join(lines) + "\r\n\r\n").encode(), timeout=10)


def head_like_get(server, keys, path, role=None, headers=()):
    """GET and HEAD of path: the same status and headers, and no byte of body after HEAD's headers. A streamed
    GET (chunked: its length is known only once written) has a HEAD without Transfer-Encoding or length."""
    key = keys[role] if role else None
    get = raw(server.port, "GET", path, key, headers)
    head = raw(server.port, "HEAD", path, key, headers)
    assert head.status == get.status, (get, head)
    assert head.body == b"", f"HEAD {path} sent a body: {head!r}"
    volatile = VOLATILE
    if get.headers.get("transfer-encoding") == "chunked":
        volatile = VOLATILE | {"transfer-encoding"}
        assert "transfer-encoding" not in head.headers and "content-length" not in head.headers, head
    same = {k: v for k, v in get.headers.items() if k not in volatile}
    assert {k: v for k, v in head.headers.items() if k not in volatile} == same, (get.headers, head.headers)
    assert get.body, get
    return get, head


def test_head_answers_like_get(server, keys, make_guest):
    g = make_guest(nationality="TV")
    cases = [("/healthz", None, ()), ("/openapi.json", None, ()), (f"/v1/guests/{g['id']}", "frontdesk", ()),
             (f"/v1/guests/{g['id']}", "marketing", ()), ("/v1/guests?limit=3", "ops", ()),
             (f"/v1/guests/{g['id']}/loyalty", "marketing", ()),
             ("/v1/vip?nationality=TV&limit=5", "marketing", ()),
             ("/v1/vip?nationality=TV", "marketing", (("Accept", "text/csv"),))]
    for path, role, headers in cases:
        get, head = head_like_get(server, keys, path, role, headers)
        assert head.status == 200, head
        if "transfer-encoding" in get.headers:
            assert path.startswith("/v1/vip") and head.headers["content-type"].startswith("text/csv"), head
        else:
            assert head.headers["content-length"] == str(len(get.body)), (path, head.headers)
    # the guest's ETag, and the document's
    assert head_like_get(server, keys, f"/v1/guests/{g['id']}", "frontdesk")[1].headers["etag"] == '"1"'
    assert re.fullmatch(r'"[0-9a-f]{16}"', head_like_get(server, keys, "/openapi.json")[1].headers["etag"])


def test_head_leaves_the_connection_usable(server, keys, make_guest):
    """After the headers of a HEAD nothing follows on a kept-alive connection: the next request's answer
    comes next."""
    gid = make_guest()["id"]
    auth = f"Authorization: Bearer {keys['frontdesk']}\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        for path in ("/healthz", "/openapi.json", f"/v1/guests/{gid}"):
            s.sendall(f"HEAD {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode())
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                assert chunk, f"closed after HEAD {path}: {data!r}"
                data += chunk
            # anything more would arrive with the headers, or soon after
            while select.select([s], [], [], 0.3)[0]:
                chunk = s.recv(65536)
                assert chunk, f"closed after HEAD {path}: {data!r}"
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 "), data
            assert rest == b"", f"HEAD {path} sent {rest[:200]!r} after its headers"
        s.sendall(f"GET /v1/guests/{gid} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 ") and gid.encode() in data, data[:300]


def test_head_refusals_like_get(server, keys, api, make_guest):
    """The roles and the refusals of GET: 401, 403, 404, 400 with GET's headers and no body."""
    gid = make_guest()["id"]
    for path, role, status in [("/v1/guests?limit=1", None, 401), ("/v1/guests?limit=1", "marketing", 403),
                               ("/v1/api-keys", "ops", 403), ("/v1/guests/" + "0" * 8, "frontdesk", 404),
                               (f"/v1/guests/{gid}?fields=all", "frontdesk", 400)]:
        get, head = head_like_get(server, keys, path, role)
        assert head.status == status, (path, role, head)
    # through the OpenAPI document: every HEAD here is a documented operation and status
    for role in ("frontdesk", "marketing"):
        r = api("HEAD", f"/v1/guests/{gid}", key=role)
        assert r.status == 200 and r.body == b"" and r.headers["ETag"] == '"1"', r


def test_head_if_none_match(api, make_guest):
    gid = make_guest()["id"]
    etag = api("HEAD", f"/v1/guests/{gid}", key="frontdesk").headers["ETag"]
    r = api("HEAD", f"/v1/guests/{gid}", key="frontdesk", headers={"If-None-Match": etag})
    assert r.status == 304 and r.headers["ETag"] == etag, r
    r = api("HEAD", f"/v1/guests/{gid}", key="frontdesk", headers={"If-None-Match": '"999"'})
    assert r.status == 200, r


def test_405_allow_lists_head_with_get(server, keys, api, make_guest):
    """Allow names HEAD wherever it names GET, and only there: a HEAD of a path without GET is a 405."""
    gid = make_guest()["id"]
    for method, path, expected in [("PUT", f"/v1/guests/{gid}", ["GET", "HEAD", "PATCH", "DELETE"]),
                                   ("POST", "/healthz", ["GET", "HEAD"]),
                                   ("DELETE", "/v1/api-keys", ["POST", "GET", "HEAD"]),
                                   ("POST", "/v1/loyalty/config", ["GET", "HEAD", "PUT"]),
                                   ("GET", "/v1/loyalty/rescore", ["POST"])]:
        r = api(method, path, key="admin", unknown_route=True)
        h.assert_problem(r, 405, "method-not-allowed")
        allow = [m.strip() for m in (r.headers.get("Allow") or "").split(",")]
        assert allow == expected, (method, path, r.headers.get("Allow"))
    for path in ("/v1/loyalty/rescore", f"/v1/guests/{gid}/restore", f"/v1/merges/{gid}/undo"):
        r = raw(server.port, "HEAD", path, keys["admin"])
        assert r.status == 405 and r.body == b"", r
        assert r.headers["content-type"] == "application/problem+json", r.headers
        assert r.headers["allow"] == "POST", (path, r.headers)


def test_head_of_the_csv_export_runs_no_export(server, keys, api, db_url):
    """A HEAD of the CSV export answers while the VIP table is locked (the export's query, or a session of
    its own preparing its statements, would wait for the lock), and holds no export slot afterwards."""
    path = "/v1/vip?nationality=TV"
    csv = (("Accept", "text/csv"),)
    assert api("GET", "/v1/vip?limit=1", key="marketing").status == 200  # a pooled session is ready
    lock = h.HeldTransaction(db_url, "LOCK TABLE guest_loyalty IN ACCESS EXCLUSIVE MODE")
    try:
        started = time.monotonic()
        r = raw(server.port, "HEAD", path, keys["marketing"], csv)
        assert r.status == 200 and r.body == b"", r
        assert r.headers["content-type"].startswith("text/csv"), r.headers
        # a GET of the export waits there, until the round-trip deadline of its session (seconds)
        assert time.monotonic() - started < 2
    finally:
        lock.close()
    # more HEADs than exports may run at once (4): each gives its slot back
    for _ in range(10):
        r = raw(server.port, "HEAD", path, keys["marketing"], csv)
        assert r.status == 200 and r.body == b"", r
    r = raw(server.port, "GET", path, keys["marketing"], csv)
    assert r.status == 200 and b"id,family_name" in r.body, r


# ------------------------------------------------------------------ scripts/run and the admin key

KEY_ANYWHERE = re.compile(r"gdk_[0-9a-f]{12}_")


@pytest.fixture
def run_tree(tmp_path, guestd_bin, db_url):
    """A copy of scripts/run whose build/ is the guestd under test (nothing to build), on a fresh database."""
    tree = tmp_path / "tree"
    (tree / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "run", tree / "scripts" / "run")
    shutil.copytree(ROOT / "scripts" / "lib", tree / "scripts" / "lib")
    (tree / "build").mkdir()
    (tree / "build" / "build.ninja").write_text("")  # ninja: no work to do
    (tree / "build" / "guestd").symlink_to(guestd_bin)
    name = f"guestd_run_{os.getpid()}_{h.tok(8)}"
    p = subprocess.run(["createdb", f"--maintenance-db={db_url}", name], capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    yield tree, h.with_dbname(db_url, name)
    subprocess.run(["dropdb", "--if-exists", "--force", f"--maintenance-db={db_url}", name], capture_output=True,
                   timeout=60)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_script(tree, database_url, stdout):
    """Runs scripts/run until it serves, checks the key of var/admin.key works, stops it; returns
    (stderr text, key)."""
    port = free_port()
    env = dict(os.environ, GUESTD_DATABASE_URL=database_url, GUESTD_LISTEN=f"127.0.0.1:{port}")
    err_path = tree / "stderr.log"
    with open(err_path, "wb") as err:
        # a session of its own: no controlling terminal, and one signal stops the script and its server
        proc = subprocess.Popen(["bash", str(tree / "scripts" / "run")], stdin=subprocess.DEVNULL, stdout=stdout,
                                stderr=err, env=env, start_new_session=True)
    try:
        api = h.Api("127.0.0.1", port, {}, None)
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"scripts/run exited {proc.returncode}: {err_path.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"scripts/run does not serve: {err_path.read_text()[-3000:]}"
            try:
                if api("GET", "/healthz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        key = (tree / "var" / "admin.key").read_text().strip()
        assert h.KEY_RE.match(key), key
        assert (tree / "var" / "admin.key").stat().st_mode & 0o777 == 0o600
        assert api("GET", "/v1/api-keys", key=key).status == 200
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    return err_path.read_text(errors="replace"), key


def assert_no_key(text, key, what):
    assert key not in text and h.key_secret(key) not in text, f"the admin key is in {what}: {text[-2000:]}"
    assert not KEY_ANYWHERE.search(text), f"a key is in {what}: {text[-2000:]}"


def test_run_script_keeps_the_key_out_of_the_log(run_tree):
    """Not on a terminal (a service manager, `>log 2>&1`): the key is in var/admin.key only."""
    tree, database_url = run_tree
    out_path = tree / "stdout.log"
    with open(out_path, "wb") as out:
        stderr, key = run_script(tree, database_url, out)
    assert_no_key(stderr, key, "stderr")
    assert_no_key(out_path.read_text(errors="replace"), key, "stdout, which is not a terminal")
    assert "var/admin.key" in stderr, stderr


def test_run_script_shows_the_key_on_a_terminal(run_tree):
    """On a terminal the key is shown there, on stdout, and still not on stderr."""
    tree, database_url = run_tree
    master, slave = pty.openpty()
    shown = b""
    try:
        stderr, key = run_script(tree, database_url, slave)
        os.close(slave)
        slave = None
        while select.select([master], [], [], 1)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's last writer is gone
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert key in shown.decode(errors="replace"), shown
    assert_no_key(stderr, key, "stderr")
