"""API keys: shown once, stored as a digest, revocable; every authentication failure looks the same."""

import time
import urllib.parse
import uuid

import pytest

import gd_helpers as h

KEYS = "/v1/api-keys"


def list_all_keys(api):
    items, cursor, raw = [], None, b""
    for _ in range(50):
        r = api("GET", KEYS + ("?cursor=" + urllib.parse.quote(cursor, safe="") if cursor else ""), key="admin")
        assert r.status == 200, r
        raw += r.body
        body = r.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items, raw
    raise AssertionError("api-key listing did not terminate")


def test_create_key_shown_once_and_digest_only(api, db):
    name = f"k-{h.tok()}"
    before = db.counts()["api_key"]
    r = api("POST", KEYS, key="admin", body={"name": name, "role": "marketing"})
    assert r.status == 201, r
    k = r.json()
    secret = k["key"]
    assert h.KEY_RE.match(secret), secret
    assert k["name"] == name and k["role"] == "marketing" and k["revoked_at"] is None
    assert h.UUID_RE.match(k["id"])
    assert h.TS_RE.match(k["created_at"])
    assert isinstance(k["prefix"], str) and k["prefix"]
    assert secret.startswith(k["prefix"]) or secret.startswith("gdk_" + k["prefix"]), (k["prefix"], secret)
    assert db.counts()["api_key"] == before + 1

    # never listed again
    items, raw = list_all_keys(api)
    mine = [i for i in items if i["id"] == k["id"]]
    assert len(mine) == 1
    assert "key" not in mine[0]
    assert mine[0]["name"] == name and mine[0]["role"] == "marketing" and mine[0]["prefix"] == k["prefix"]
    tail = h.key_secret(secret)
    assert tail.encode() not in raw and secret.encode() not in raw
    for role_key in api.keys.values():
        assert h.key_secret(role_key).encode() not in raw

    # only a digest in the database: no column of any row holds the secret or its random part
    dump = "\n".join(r[0] for r in db.rows("SELECT row_to_json(k)::text FROM api_key k"))
    assert tail not in dump and secret not in dump
    for role_key in api.keys.values():
        assert h.key_secret(role_key) not in dump


def test_new_key_works_then_revoked_401(api, make_guest, db):
    g = make_guest()
    created = api("POST", KEYS, key="admin", body={"name": f"k-{h.tok()}", "role": "ops"}).json()
    secret = created["key"]
    assert api("GET", f"/v1/guests/{g['id']}", key=secret).status == 200
    assert api("GET", "/v1/guests?limit=1", key=secret).status == 200
    h.assert_problem(api("POST", "/v1/guests", key=secret, body={"family_name": "x"}), 403, "forbidden")

    r = api("DELETE", f"{KEYS}/{created['id']}", key="admin")
    assert r.status == 204 and r.body == b""
    r = api("GET", f"/v1/guests/{g['id']}", key=secret)
    h.assert_problem(r, 401, "unauthorized")
    assert (r.headers.get("WWW-Authenticate") or "").startswith("Bearer")

    items, _ = list_all_keys(api)
    mine = [i for i in items if i["id"] == created["id"]]
    assert len(mine) == 1 and mine[0]["revoked_at"] is not None and h.TS_RE.match(mine[0]["revoked_at"])

    h.assert_problem(api("DELETE", f"{KEYS}/{created['id']}", key="admin"), 404, "not-found")


def test_key_revoked_elsewhere_stops_working_within_the_cache_lifetime(api, make_guest, make_key, db):
    """Verified keys are cached 5 s per process (src/http/auth.c): a key revoked by another
    process (here straight in the database, as `guestd key revoke` or another server does) must
    be refused within that time, and from then on."""
    g = make_guest()
    k = make_key("frontdesk")
    secret = k["key"]
    assert api("GET", f"/v1/guests/{g['id']}?fields=basic", key=secret).status == 200  # cached now
    db.rows(f"UPDATE api_key SET revoked_at = now() WHERE id = '{k['id']}'")
    revoked_at = time.monotonic()
    while True:
        r = api("GET", f"/v1/guests/{g['id']}?fields=basic", key=secret)
        waited = time.monotonic() - revoked_at
        if r.status == 401:
            break
        assert r.status == 200, r
        assert waited < 6.5, f"a revoked key still worked {waited:.1f} s later"
        time.sleep(0.2)
    for _ in range(5):
        h.assert_problem(api("GET", f"/v1/guests/{g['id']}", key=secret), 401, "unauthorized")


def test_identical_401_bodies(api, make_key):
    revoked = make_key("frontdesk")
    assert api("DELETE", f"{KEYS}/{revoked['id']}", key="admin").status == 204
    valid = api.keys["frontdesk"]
    prefix_part = valid[:16]  # "gdk_" + 12 hex
    wrong_secret = prefix_part + "_" + ("A" if valid[-1] != "A" else "B") * 43
    variants = {
        "missing": {},
        "empty_bearer": {"Authorization": "Bearer "},
        "bearer_only": {"Authorization": "Bearer"},
        "malformed": {"Authorization": "Bearer not-a-key"},
        "unknown_wellformed": {"Authorization": "Bearer gdk_000000000000_" + "A" * 43},
        "known_prefix_wrong_secret": {"Authorization": "Bearer " + wrong_secret},
        "truncated": {"Authorization": "Bearer " + valid[:-1]},
        "extended": {"Authorization": "Bearer " + valid + "A"},
        "revoked": {"Authorization": "Bearer " + revoked["key"]},
        "basic_scheme": {"Authorization": "Basic ZnJvbnRkZXNrOnNlY3JldA=="},
        "key_without_scheme": {"Authorization": valid},
    }
    bodies = {}
    for name, hdrs in variants.items():
        r = api("GET", "/v1/guests", headers=hdrs)
        p = h.assert_problem(r, 401, "unauthorized")
        assert (r.headers.get("WWW-Authenticate") or "").startswith("Bearer"), (name, dict(r.headers))
        p = {k: v for k, v in p.items() if k not in ("request_id", "instance")}
        bodies[name] = p
    distinct = {repr(sorted(b.items())) for b in bodies.values()}
    assert len(distinct) == 1, f"401 bodies differ: {bodies}"


@pytest.mark.parametrize("param", ["api_key", "key", "access_token", "token"])
def test_key_in_query_string_ignored(api, param):
    r = api("GET", f"/v1/guests?{param}={api.keys['admin']}")
    h.assert_problem(r, 401, "unauthorized")


@pytest.mark.parametrize("body,field", [
    ({"name": "x", "role": "root"}, "/role"),
    ({"name": "x", "role": "Admin"}, "/role"),
    ({"name": "x", "role": 1}, "/role"),
    ({"name": "x"}, "/role"),
    ({"role": "ops"}, "/name"),
    ({"name": "", "role": "ops"}, "/name"),
    ({"name": "x", "role": "ops", "foo": 1}, "/foo"),
    ({"name": "x", "role": "ops", "key": "gdk_000000000000_" + "A" * 43}, "/key"),
    ({"name": "x", "role": "ops", "id": str(uuid.uuid4())}, "/id"),
    ({"name": "x", "role": "ops", "revoked_at": None}, "/revoked_at"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_create_key_invalid_422(api, db, body, field):
    with db.unchanged():
        r = api("POST", KEYS, key="admin", body=body)
        h.assert_problem(r, 422, "invalid-field", fields=[field])


def test_create_key_malformed_and_media_type(api, db):
    with db.unchanged():
        h.assert_problem(api("POST", KEYS, key="admin", body=b'{"name": "x", "role": "ops"'), 400, "malformed-json")
        h.assert_problem(api("POST", KEYS, key="admin", body={"name": "x", "role": "ops"},
                             headers={"Content-Type": "text/plain"}), 415, "unsupported-media-type")
        h.assert_problem(api("POST", KEYS, key="admin", body=b"[]"), 422, "invalid-field")


@pytest.mark.parametrize("kid", [str(uuid.uuid4()), "garbage", "1", "00000000-0000-0000-0000-000000000000"])
def test_delete_unknown_key_404(api, db, kid):
    with db.unchanged():
        h.assert_problem(api("DELETE", f"{KEYS}/{kid}", key="admin"), 404, "not-found")


def test_non_admin_cannot_manage_keys(api, db):
    with db.unchanged():
        for role in ("frontdesk", "marketing", "ops"):
            h.assert_problem(api("POST", KEYS, key=role, body={"name": "x", "role": "admin"}), 403, "forbidden")


def test_cli_key_create_prints_key_alone_on_last_line(guestd_bin, db_url, api, make_guest):
    name = f"cli-{h.tok()}"
    p = h.run_cli(guestd_bin, "key", "create", "--role", "ops", "--name", name, "--database-url", db_url)
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    assert out.endswith("\n"), repr(out)
    last = out.rstrip("\n").split("\n")[-1]
    assert h.KEY_RE.match(last), f"last stdout line is not the key alone: {last!r}"
    assert last not in p.stderr.decode(), "the key must not be printed to stderr"
    g = make_guest()
    assert api("GET", f"/v1/guests/{g['id']}", key=last).status == 200
    items, _ = list_all_keys(api)
    assert [i["role"] for i in items if i["name"] == name] == ["ops"]


def test_cli_key_create_if_none(guestd_bin, db_url, db):
    before = db.counts()["api_key"]
    p = h.run_cli(guestd_bin, "key", "create", "--role", "ops", "--name", f"cli-{h.tok()}", "--if-none",
                  "--database-url", db_url)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().strip() == "", f"--if-none with an active ops key must print nothing: {p.stdout!r}"
    assert db.counts()["api_key"] == before


def test_cli_key_create_bad_role(guestd_bin, db_url, db):
    before = db.counts()["api_key"]
    p = h.run_cli(guestd_bin, "key", "create", "--role", "root", "--name", "x", "--database-url", db_url)
    assert p.returncode != 0
    assert not any(h.KEY_RE.match(l) for l in p.stdout.decode().split("\n"))
    assert db.counts()["api_key"] == before


@pytest.mark.parametrize("method,path", [("GET", "/v1/guests/{rand}"), ("DELETE", "/v1/guests/{rand}"),
                                         ("PATCH", "/v1/guests/garbage"), ("POST", "/v1/guests/{rand}/restore"),
                                         ("DELETE", "/v1/api-keys/{rand}"), ("GET", "/v1/guests?foo=bar")])
def test_authentication_comes_before_lookup_and_validation(api, method, path):
    """Without a key nothing about the resource leaks: 401, never 404/400/422."""
    path = path.replace("{rand}", str(uuid.uuid4()))
    body = {"notes": "x"} if method == "PATCH" else None
    r = api(method, path, body=body)
    h.assert_problem(r, 401, "unauthorized")
