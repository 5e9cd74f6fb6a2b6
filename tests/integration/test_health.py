"""Operational endpoints, protocol-level conventions and logging."""

import collections
import json
import urllib.parse
import uuid

import pytest
import yaml

import gd_helpers as h


def test_healthz(api):
    r = api("GET", "/healthz")
    assert r.status == 200
    assert r.media_type == "application/json"
    assert r.json() == {"status": "ok"}


def test_readyz(api):
    r = api("GET", "/readyz")
    assert r.status == 200
    assert r.media_type == "application/json"
    assert r.json() == {"status": "ready"}


def test_openapi_json_equals_yaml(api, openapi_path):
    r = api("GET", "/openapi.json")
    assert r.status == 200
    assert h.is_json_media(r.media_type), r.media_type
    with open(openapi_path, encoding="utf-8") as f:
        expected = h.normalize_yaml(yaml.safe_load(f))
    assert r.json() == expected, "GET /openapi.json differs from openapi/openapi.yaml"
    assert str(expected.get("openapi", "")).startswith("3."), expected.get("openapi")


@pytest.mark.parametrize("path", ["/v1/nope", "/nope", "/", "/v1", "/v1/", "/v2/guests", "/v1/guests/a/b/c",
                                  f"/v1/guests/{uuid.uuid4()}/unknown", "/V1/GUESTS", "/healthz/x",
                                  "/%2e%2e/etc/passwd"])
def test_unknown_route_404_problem(api, path):
    r = api("GET", path, key="admin", unknown_route=True)
    h.assert_problem(r, 404, "not-found")


@pytest.mark.parametrize("method,path,allowed,forbidden", [
    ("PUT", "/v1/guests", {"GET", "POST"}, {"PUT", "DELETE", "PATCH"}),
    ("DELETE", "/v1/guests", {"GET", "POST"}, {"DELETE"}),
    ("PUT", "/v1/guests/{gid}", {"GET", "PATCH", "DELETE"}, {"PUT", "POST"}),
    ("POST", "/v1/guests/{gid}", {"GET", "PATCH", "DELETE"}, {"POST"}),
    ("GET", "/v1/guests/{gid}/restore", {"POST"}, {"GET"}),
    ("DELETE", "/healthz", {"GET"}, {"DELETE"}),
    ("POST", "/readyz", {"GET"}, {"POST"}),
    ("PATCH", "/v1/api-keys", {"GET", "POST"}, {"PATCH"}),
])
def test_method_not_allowed_405_with_allow(api, make_guest, method, path, allowed, forbidden):
    if "{gid}" in path:
        path = path.replace("{gid}", make_guest()["id"])
    body = {"family_name": "x"} if method in ("PUT", "POST", "PATCH") else None
    r = api(method, path, key="admin", body=body, unknown_route=True)
    h.assert_problem(r, 405, "method-not-allowed")
    allow = {m.strip().upper() for m in (r.headers.get("Allow") or "").split(",") if m.strip()}
    assert allowed <= allow, f"Allow {allow} lacks {allowed - allow}"
    assert not (forbidden & allow), f"Allow {allow} lists {forbidden & allow}"


def test_every_response_has_unique_request_id(api, make_guest):
    # exercise a spread of statuses, then check every response the suite has seen so far
    g = make_guest()
    statuses = {
        api("GET", "/healthz").status,
        api("GET", f"/v1/guests/{g['id']}", key="frontdesk").status,
        api("GET", "/v1/guests").status,  # 401
        api("GET", "/v1/api-keys", key="ops").status,  # 403
        api("GET", "/nope", key="admin", unknown_route=True).status,
        api("POST", "/v1/guests", key="frontdesk", body=b"{").status,
        api("POST", "/v1/guests", key="frontdesk", body={"family_name": ""}).status,
    }
    assert statuses == {200, 401, 403, 404, 400, 422}
    ids = [r.headers.get("X-Request-Id") for r in api.log]
    assert all(ids), "a response without X-Request-Id"
    assert all(len(i) <= 128 and i.isprintable() for i in ids)
    dupes = {i for i, n in collections.Counter(ids).items() if n > 1}
    assert not dupes, f"request ids are reused: {sorted(dupes)[:5]}"


def test_logs_are_json_lines_without_secrets(start_server, keys):
    srv = start_server()
    api = srv.api
    t = h.tok()
    passport = "ZZSENT-PASSPORT-123"
    email = f"zz.sent.{t}@example.invalid"
    notes = f"ZZSENT-NOTES-{t}"
    body = {"family_name": "Sentinel", "given_name": f"Zzsent{t}", "email": email, "notes": notes,
            "ethnicity": f"ZZSENT-ETHNIC-{t}", "phone": "+4930" + h.digits(8),
            "id_document": {"type": "passport", "number": passport, "country": "FR"}}
    r = api("POST", "/v1/guests", key="frontdesk", body=body)
    assert r.status == 201, r
    gid = r.json()["id"]
    assert api("GET", f"/v1/guests/{gid}", key="frontdesk").status == 200
    assert api("PATCH", f"/v1/guests/{gid}", key="frontdesk",
               body={"notes": f"ZZSENT-PATCHED-{t}"}).status == 200
    assert api("GET", "/v1/guests?" + urllib.parse.urlencode({"email": email}), key="ops").status == 200
    assert api("POST", "/v1/guests", key="frontdesk",
               body=b'{"family_name": "ZZSENT-MALFORMED-' + t.encode() + b'"').status == 400
    assert api("POST", "/v1/guests", key="frontdesk",
               body={"family_name": f"ZZSENT-INVALID-{t}", "gender": "robot"}).status == 422
    bad_key = "gdk_abcdefabcdef_ZZSENTbadkey" + "A" * 31
    assert api("GET", "/v1/guests", key=bad_key).status == 401
    created = api("POST", "/v1/api-keys", key="admin", body={"name": f"log-{t}", "role": "ops"})
    assert created.status == 201
    new_secret = created.json()["key"]
    assert api("GET", "/v1/guests?limit=1", key=new_secret).status == 200
    assert api("DELETE", f"/v1/guests/{gid}", key="frontdesk").status == 204
    assert api("POST", f"/v1/guests/{gid}/restore", key="ops").status == 200
    assert api("GET", "/nope", key="admin", unknown_route=True).status == 404

    rc = srv.stop()
    assert rc == 0, srv.stderr_tail()
    text = srv.stderr_text()
    entries = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            e = json.loads(line)
        except ValueError:
            raise AssertionError(f"log line {n} is not JSON: {line[:300]!r}")
        assert isinstance(e, dict), f"log line {n} is not a JSON object: {line[:300]!r}"
        entries.append(e)
    by_rid = {}
    for e in entries:
        if "status" in e and "request_id" in e:
            by_rid.setdefault(e["request_id"], []).append(e)
    for resp in api.log:
        rid = resp.headers.get("X-Request-Id")
        assert rid in by_rid, f"no access log line for {resp.method} {resp.path} (request_id {rid})"
        e = by_rid[rid][-1]
        assert e.get("method") == resp.method, e
        assert e.get("status") == resp.status, e
        if resp.path != "/nope":  # an unknown route has no template
            assert isinstance(e.get("route"), str) and e["route"].startswith("/"), e
        assert isinstance(e.get("duration_ms"), (int, float)) and e["duration_ms"] >= 0, e
    secrets = [passport, email, notes, f"ZZSENT-PATCHED-{t}", f"ZZSENT-ETHNIC-{t}", f"ZZSENT-MALFORMED-{t}",
               f"ZZSENT-INVALID-{t}", "ZZSENTbadkey", body["phone"], h.key_secret(new_secret)]
    secrets += [h.key_secret(k) for k in keys.values()]
    for s in secrets:
        assert s not in text, f"the server log contains {s!r}"
    assert '"family_name"' not in text, "the server log contains a request body"


def test_database_unreachable_503_with_retry_after(start_server):
    srv = start_server(database_url="host=127.0.0.1 port=1 dbname=nowhere connect_timeout=2")
    assert srv.api("GET", "/healthz").status == 200
    r = srv.api("GET", "/readyz")
    h.assert_problem(r, 503, "unavailable")
    assert r.headers.get("Retry-After") == "1"
    r = srv.api("GET", "/v1/guests", key="frontdesk")
    p = h.assert_problem(r, 503, "unavailable")
    assert r.headers.get("Retry-After") == "1"
    assert "detail" not in p or "port" not in p["detail"], p
    r = srv.api("POST", "/v1/guests", key="frontdesk", body={"family_name": "Nowhere"})
    h.assert_problem(r, 503, "unavailable")
    assert srv.stop() == 0
