"""Shared helpers for the guestd integration suite (stdlib + jsonschema + yaml only).

- Spec: loads openapi.yaml and validates every JSON response against it.
- Api: a tiny http.client wrapper bound to one server (127.0.0.1 only, with timeouts).
- DB: direct SQL through `psql -XAt`.
- raw_http: exact bytes over a socket, for framing tests.
"""

import contextlib
import copy
import datetime
import http.client
import json
import os
import random
import re
import signal
import socket
import string
import subprocess
import time
import urllib.parse
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator, RefResolver

ROLES = ("frontdesk", "marketing", "ops", "admin")
ALL_ROLES = ("anonymous",) + ROLES
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
KEY_RE = re.compile(r"^gdk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$")

# Strings that must never show up in an error body (internals leaking).
LEAK_MARKERS = ("SQLSTATE", "PQerror", "libpq", "ERROR:  ", "relation \"", "syntax error at",
                "violates", "constraint \"", ".c:", "/src/", "Traceback")


def key_secret(key):
    """The 43-character random part of "gdk_<12 hex>_<43 base64url>" (which may itself contain "_")."""
    assert KEY_RE.match(key), key
    return key[17:]


def tok(n=10):
    """A random lower-case ASCII token (letters only, safe in names and trigram search)."""
    return "".join(random.choice(string.ascii_lowercase) for _ in range(n))


def digits(n):
    return "".join(random.choice(string.digits) for _ in range(n))


def utc_today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def parse_ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)


def fmt_ts(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def strict_json(data):
    """json.loads that refuses duplicate keys and NaN/Infinity (the server must emit strict JSON)."""

    def pairs(items):
        out = {}
        for k, v in items:
            if k in out:
                raise ValueError(f"duplicate key {k!r} in server JSON")
            out[k] = v
        return out

    def bad_const(name):
        raise ValueError(f"non-standard JSON constant {name} in server JSON")

    if isinstance(data, bytes):
        data = data.decode("utf-8")
    return json.loads(data, object_pairs_hook=pairs, parse_constant=bad_const)


def normalize_yaml(node):
    """YAML -> JSON data model: keys become strings, dates become ISO strings."""
    if isinstance(node, dict):
        return {str(k): normalize_yaml(v) for k, v in node.items()}
    if isinstance(node, list):
        return [normalize_yaml(v) for v in node]
    if isinstance(node, datetime.datetime):
        return node.isoformat()
    if isinstance(node, datetime.date):
        return node.isoformat()
    return node


def _oas30_to_schema(node):
    """Best effort conversion of OpenAPI 3.0 schema dialect (nullable) to JSON Schema."""
    if isinstance(node, list):
        return [_oas30_to_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _oas30_to_schema(v) for k, v in node.items()}
    if node.pop("nullable", False) is True:
        if "type" in node and "$ref" not in node:
            t = node["type"]
            node["type"] = (t if isinstance(t, list) else [t]) + ["null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = node["enum"] + [None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    for kw in ("exclusiveMinimum", "exclusiveMaximum"):
        if node.get(kw) is True:
            base = "minimum" if kw == "exclusiveMinimum" else "maximum"
            if base in node:
                node[kw] = node.pop(base)
        elif node.get(kw) is False:
            node.pop(kw)
    return node


def media_type(value):
    return (value or "").split(";")[0].strip().lower()


def is_json_media(mt):
    return mt == "application/json" or mt.endswith("+json")


def norm_template(path):
    """'/v1/guests/{guest_id}' -> '/v1/guests/{}' (parameter names do not matter)."""
    return re.sub(r"\{[^}/]+\}", "{}", path)


class Spec:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.raw = yaml.safe_load(f)
        self.doc = normalize_yaml(self.raw)
        version = str(self.doc.get("openapi", ""))
        self.version = version
        if version.startswith("3.0"):
            schema_doc = copy.deepcopy(self.doc)
            if "components" in schema_doc:
                schema_doc["components"] = _oas30_to_schema(schema_doc["components"])
            schema_doc["paths"] = _oas30_to_schema(schema_doc.get("paths", {}))
        else:
            schema_doc = self.doc
        self.schema_doc = schema_doc
        self.resolver = RefResolver.from_schema(schema_doc)
        self.format_checker = Draft202012Validator.FORMAT_CHECKER
        self.prefixes = [""]
        for srv in self.doc.get("servers") or []:
            p = urllib.parse.urlsplit(str(srv.get("url", ""))).path.rstrip("/")
            if p and p not in self.prefixes:
                self.prefixes.append(p)
        self.routes = []
        for tmpl, item in (schema_doc.get("paths") or {}).items():
            rx = "^" + re.sub(r"\\\{[^}/]+\\\}", "[^/]+", re.escape(tmpl)) + "$"
            self.routes.append((tmpl, re.compile(rx), item, tmpl.count("{")))
        # literal routes before templated ones
        self.routes.sort(key=lambda r: (r[3], -len(r[0])))

    def operations(self):
        """Set of (METHOD, full path template) in the spec."""
        ops = set()
        for tmpl, item in (self.doc.get("paths") or {}).items():
            for m in HTTP_METHODS:
                if m in (item or {}):
                    ops.add((m.upper(), tmpl))
        return ops

    def match(self, path):
        path = urllib.parse.urlsplit(path).path
        for prefix in self.prefixes:
            if prefix and not path.startswith(prefix + "/"):
                continue
            rest = path[len(prefix):] if prefix else path
            for tmpl, rx, item, _ in self.routes:
                if rx.match(rest):
                    return tmpl, item
        return None

    def problem_schema(self):
        schemas = (self.schema_doc.get("components") or {}).get("schemas") or {}
        for name in schemas:
            if name.lower() in ("problem", "problemdetails", "problem_details"):
                return {"$ref": "#/components/schemas/" + name}
        return None

    def _validate(self, schema, instance, what):
        v = Draft202012Validator(schema, resolver=self.resolver, format_checker=self.format_checker)
        errors = sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path))
        if errors:
            lines = []
            for e in errors[:8]:
                lines.append(f"  at {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}")
            raise AssertionError(f"response body does not match the OpenAPI schema for {what}:\n" + "\n".join(lines)
                                 + f"\nbody: {json.dumps(instance)[:1500]}")

    def check_response(self, method, path, resp, unknown_route=False):
        what = f"{method} {path} -> {resp.status}"
        mt = media_type(resp.headers.get("Content-Type"))
        if unknown_route:
            assert resp.status in (404, 405), f"{what}: expected 404/405 for a route outside the spec"
            assert mt == "application/problem+json", f"{what}: content type {mt!r}"
            schema = self.problem_schema()
            if schema is not None:
                self._validate(schema, resp.json(), what + " (Problem)")
            return
        m = self.match(path)
        assert m is not None, f"{what}: path is not in the OpenAPI document (use unknown_route=True only on purpose)"
        tmpl, item = m
        op = (item or {}).get(method.lower())
        assert op is not None, (f"{what}: method {method} is not documented for {tmpl} "
                                "(use unknown_route=True only on purpose)")
        responses = op.get("responses") or {}
        spec_resp = None
        for key in (str(resp.status), f"{resp.status // 100}XX", f"{resp.status // 100}xx", "default"):
            if key in responses:
                spec_resp = responses[key]
                break
        assert spec_resp is not None, (f"{what}: status {resp.status} is not documented for {method} {tmpl} "
                                       f"(documented: {sorted(responses)}); body: {resp.body[:500]!r}")
        while isinstance(spec_resp, dict) and "$ref" in spec_resp:
            spec_resp = self._deref(spec_resp["$ref"])
        self._check_headers(what, spec_resp.get("headers") or {}, resp)
        content = spec_resp.get("content") or {}
        if not content:
            assert resp.body == b"", f"{what}: the spec documents no body but the server sent {resp.body[:300]!r}"
            return
        if resp.status == 204 or (resp.body == b"" and method == "HEAD"):
            return
        entry = None
        for k, v in content.items():
            if media_type(k) == mt:
                entry = v
                break
        if entry is None:
            for k, v in content.items():
                k = media_type(k)
                if k == "*/*" or (k.endswith("/*") and mt.startswith(k[:-1])):
                    entry = v
                    break
        assert entry is not None, (f"{what}: media type {mt!r} not documented "
                                   f"(documented: {sorted(content)})")
        if is_json_media(mt):
            try:
                body = resp.json()
            except ValueError as e:
                raise AssertionError(f"{what}: body is not valid JSON: {e}: {resp.body[:300]!r}")
            schema = (entry or {}).get("schema")
            if schema is not None:
                self._validate(schema, body, f"{method} {tmpl} {resp.status} {mt}")

    def _check_headers(self, what, headers, resp):
        """Documented required response headers must be present and match their schema."""
        for name, hdr in headers.items():
            while isinstance(hdr, dict) and "$ref" in hdr:
                hdr = self._deref(hdr["$ref"])
            if name.lower() == "content-type":
                continue
            value = resp.headers.get(name)
            if value is None:
                assert not hdr.get("required"), f"{what}: required response header {name} is missing"
                continue
            schema = hdr.get("schema")
            if schema is None:
                continue
            instance = value
            types = schema.get("type")
            types = types if isinstance(types, list) else [types]
            if "integer" in types:
                assert re.fullmatch(r"-?[0-9]+", value), f"{what}: header {name}: {value!r} is not an integer"
                instance = int(value)
            self._validate(schema, instance, f"{what} header {name}")

    def _deref(self, ref):
        assert ref.startswith("#/"), f"only local $ref supported, got {ref}"
        node = self.schema_doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node


class Response:
    def __init__(self, method, path, status, reason, headers, body):
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        self.headers = headers  # http.client.HTTPMessage: case-insensitive get()/get_all()
        self.body = body
        self._json = None

    def json(self):
        if self._json is None:
            self._json = strict_json(self.body)
        return self._json

    @property
    def media_type(self):
        return media_type(self.headers.get("Content-Type"))

    def __repr__(self):
        return f"<{self.method} {self.path} -> {self.status} {self.body[:400]!r}>"


class Api:
    def __init__(self, host, port, keys, spec):
        self.host = host
        self.port = port
        self.keys = keys
        self.spec = spec
        self.log = []  # every Response, for log cross-checks

    def auth_header(self, key):
        if key is None or key == "anonymous":
            return None
        secret = self.keys[key] if key in ROLES else key
        return f"Bearer {secret}"

    def __call__(self, method, path, key=None, body=None, headers=None, unknown_route=False, timeout=10.0):
        hdrs = {}
        auth = self.auth_header(key)
        if auth is not None:
            hdrs["Authorization"] = auth
        data = None
        if body is not None:
            if isinstance(body, (bytes, bytearray)):
                data = bytes(body)
            elif isinstance(body, str):
                data = body.encode("utf-8")
            else:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        for k, v in (headers or {}).items():
            for existing in list(hdrs):
                if existing.lower() == k.lower():
                    del hdrs[existing]
            if v is not None:
                hdrs[k] = v
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            raw = r.read()
            resp = Response(method, path, r.status, r.reason, r.msg, raw)
        finally:
            conn.close()
        self.log.append(resp)
        assert resp.headers.get("X-Request-Id"), f"{method} {path} -> {resp.status}: no X-Request-Id header"
        assert resp.status < 500 or resp.status == 503, f"server error: {resp!r}"
        if resp.body and is_json_media(resp.media_type):
            try:
                resp.json()
            except ValueError as e:
                raise AssertionError(f"{method} {path}: invalid JSON from server: {e}: {resp.body[:300]!r}")
        if self.spec is not None:
            self.spec.check_response(method, path, resp, unknown_route=unknown_route)
        return resp

    def base_url(self):
        return f"http://{self.host}:{self.port}"


def assert_problem(resp, status, slug=None, fields=None, fields_subset=False):
    """Checks an RFC 9457 problem response; returns the parsed body."""
    assert resp.status == status, f"expected {status}, got {resp!r}"
    assert resp.media_type == "application/problem+json", \
        f"expected application/problem+json, got {resp.headers.get('Content-Type')!r}: {resp!r}"
    p = resp.json()
    assert isinstance(p, dict), f"problem body is not an object: {p!r}"
    assert p.get("status") == status, f"problem status {p.get('status')!r} != HTTP {status}: {p!r}"
    assert isinstance(p.get("type"), str) and p["type"].startswith("/problems/"), f"bad problem type: {p!r}"
    if slug is not None:
        assert p["type"] == "/problems/" + slug, f"expected type /problems/{slug}, got {p['type']!r}: {p!r}"
    assert isinstance(p.get("title"), str) and p["title"], f"problem without title: {p!r}"
    rid = resp.headers.get("X-Request-Id")
    assert p.get("request_id") == rid, f"problem request_id {p.get('request_id')!r} != X-Request-Id {rid!r}"
    plain_path = urllib.parse.urlsplit(resp.path).path
    if "%" not in plain_path and len(plain_path) < 200:
        assert p.get("instance") == plain_path, f"problem instance {p.get('instance')!r} != {plain_path!r}"
    text = json.dumps(p)
    for marker in LEAK_MARKERS:
        assert marker not in text, f"problem body leaks internals ({marker!r}): {text}"
    if fields is not None:
        errs = p.get("errors")
        assert isinstance(errs, list) and errs, f"expected errors[] for fields {fields}: {p!r}"
        for e in errs:
            assert isinstance(e.get("field"), str) and isinstance(e.get("message"), str) and e["message"], \
                f"bad errors[] entry {e!r}"
        got = {e["field"] for e in errs}
        if fields_subset:
            assert set(fields) <= got, f"expected fields {sorted(fields)} among {sorted(got)}: {p!r}"
        else:
            assert got == set(fields), f"expected fields {sorted(fields)}, got {sorted(got)}: {p!r}"
    return p


# ---------------------------------------------------------------- database


class DB:
    def __init__(self, url):
        self.url = url

    def rows(self, sql):
        args = ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-F", "\x1f", "-R", "\x1e"]
        if self.url:
            args += ["-d", self.url]
        args += ["-c", sql]
        p = subprocess.run(args, capture_output=True, timeout=30)
        assert p.returncode == 0, f"psql failed ({p.returncode}) for {sql!r}: {p.stderr.decode(errors='replace')}"
        out = p.stdout.decode("utf-8")
        if out.endswith("\n"):
            out = out[:-1]
        if out == "":
            return []
        return [tuple(rec.split("\x1f")) for rec in out.split("\x1e")]

    def scalar(self, sql):
        r = self.rows(sql)
        assert len(r) == 1 and len(r[0]) == 1, f"expected one value from {sql!r}, got {r!r}"
        return r[0][0]

    def table_exists(self, name):
        return self.scalar(f"SELECT to_regclass('{name}') IS NOT NULL") == "t"

    # Dossier tables (issue 3): counted by counts() and fingerprinted by unchanged() once they exist.
    SECTION_TABLES = ("stay", "consumption", "preference", "special_date", "complaint")
    OPTIONAL_TABLES = ("guest_external_ref",) + SECTION_TABLES + ("guest_stats", "idempotency_key")

    def existing_tables(self, names):
        """The subset of `names` that exist, in order (one query)."""
        arr = ",".join(f"'{n}'" for n in names)
        r = self.rows(f"SELECT coalesce(string_agg(t, ',' ORDER BY o), '') FROM unnest(ARRAY[{arr}]::text[]) "
                      "WITH ORDINALITY AS u(t, o) WHERE to_regclass(t) IS NOT NULL")
        text = r[0][0] if r and r[0] else ""
        return [t for t in text.split(",") if t]

    def _optional_tables(self):
        """Optional tables present; cached once the dossier tables exist (migrations never drop them)."""
        cached = getattr(self, "_optional_cache", None)
        if cached is not None:
            return cached
        found = self.existing_tables(self.OPTIONAL_TABLES)
        if all(t in found for t in self.SECTION_TABLES):
            self._optional_cache = found
        return found

    def _snapshot(self, fingerprints):
        tables = ["guest", "api_key"] + self._optional_tables()
        exprs = [f"(SELECT count(*) FROM {t})" for t in tables]
        printed = [t for t in tables if t in self.SECTION_TABLES] if fingerprints else []
        exprs += [f"(SELECT md5(coalesce(string_agg(row_to_json(x)::text, ',' ORDER BY row_to_json(x)::text), "
                  f"'')) FROM {t} x)" for t in printed]
        values = self.rows("SELECT " + ", ".join(exprs))[0]
        counts = dict(zip(tables, (int(x) for x in values[:len(tables)])))
        return counts, dict(zip(printed, values[len(tables):]))

    def counts(self):
        return self._snapshot(False)[0]

    def fingerprints(self):
        """md5 of every row of the dossier section tables (not guest_stats, which a server may refresh lazily)."""
        return self._snapshot(True)[1]

    def item_row(self, table, item_id):
        """One row of a dossier table as JSON text, or None when absent."""
        assert UUID_RE.match(item_id), item_id
        assert re.fullmatch(r"[a-z_]+", table), table
        r = self.rows(f"SELECT row_to_json(x)::text FROM {table} x WHERE x.id::text = '{item_id}'")
        assert len(r) <= 1, f"more than one {table} row for {item_id}"
        return r[0][0] if r else None

    def guest_row(self, guest_id):
        assert UUID_RE.match(guest_id), guest_id
        r = self.rows(f"SELECT row_to_json(g)::text FROM guest g WHERE g.id::text = '{guest_id}'")
        assert len(r) == 1, f"expected one guest row for {guest_id}, got {len(r)}"
        refs = ""
        if self.table_exists("guest_external_ref"):
            refs = self.rows("SELECT 'refs:' || coalesce(string_agg(row_to_json(r)::text, ',' "
                             "ORDER BY row_to_json(r)::text), '') "
                             f"FROM guest_external_ref r WHERE r.guest_id::text = '{guest_id}'")[0][0]
        return r[0][0] + "|" + refs

    @contextlib.contextmanager
    def unchanged(self):
        before, prints = self._snapshot(True)
        yield
        after, prints_after = self._snapshot(True)
        assert after == before, f"rows were stored: before {before}, after {after}"
        changed = [t for t, v in prints_after.items() if prints.get(t) != v]
        assert not changed, f"rows were changed in {changed}"


# ---------------------------------------------------------------- raw sockets


class RawResponse:
    def __init__(self, data):
        self.data = data
        self.status = None
        self.headers = {}
        self.body = b""
        if data.startswith(b"HTTP/"):
            head, _, self.body = data.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            parts = lines[0].split(b" ", 2)
            try:
                self.status = int(parts[1])
            except (IndexError, ValueError):
                self.status = None
            for line in lines[1:]:
                k, _, v = line.partition(b":")
                self.headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")

    @property
    def closed_without_response(self):
        return self.status is None

    def json(self):
        return strict_json(self.body)

    def __repr__(self):
        return f"<raw {self.status} {self.data[:400]!r}>"


def _response_complete(buf):
    if b"\r\n\r\n" not in buf:
        return False
    head, _, rest = buf.partition(b"\r\n\r\n")
    cl = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        k = k.strip().lower()
        if k == b"content-length":
            try:
                cl = int(v.strip())
            except ValueError:
                return False
        elif k == b"transfer-encoding" and b"chunked" in v.lower():
            chunked = True
    if chunked:
        return rest.endswith(b"0\r\n\r\n")
    if cl is not None:
        return len(rest) >= cl
    return False


def raw_http(port, data, timeout=5.0, pieces=None):
    """Sends exact bytes to 127.0.0.1:port and reads one response (or the close).

    Fails the test if the server neither answers nor closes within `timeout` seconds."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            for piece in (pieces if pieces is not None else [data]):
                s.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() > deadline:
                raise AssertionError(f"server hung: no complete response nor close in {timeout}s (got {buf[:200]!r})")
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                raise AssertionError(f"server hung: no complete response nor close in {timeout}s (got {buf[:200]!r})")
            if not chunk:
                break
            buf += chunk
            if _response_complete(buf):
                break
        return RawResponse(buf)
    finally:
        s.close()


# ---------------------------------------------------------------- processes


class ServerProcess:
    """One `guestd serve` on 127.0.0.1 with an ephemeral port."""

    def __init__(self, binary, db_url, workdir, extra_args=(), keys=None, spec=None):
        self.binary = binary
        self.db_url = db_url
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.extra_args = list(extra_args)
        self.keys = keys
        self.spec = spec
        self.proc = None
        self.port = None
        self.returncode = None
        self.stderr_path = self.workdir / "stderr.log"
        self.stdout_path = self.workdir / "stdout.log"
        self.port_file = self.workdir / "port"

    def start(self, wait=10.0):
        env = dict(os.environ)
        for var in ("GUESTD_LISTEN", "GUESTD_MAX_BODY_BYTES", "GUESTD_LOG_LEVEL", "GUESTD_THREADS",
                    "GUESTD_DATABASE_URL"):
            env.pop(var, None)
        if self.port_file.exists():
            self.port_file.unlink()
        args = [self.binary, "serve", "--listen", "127.0.0.1:0", "--port-file", str(self.port_file),
                "--database-url", self.db_url] + self.extra_args
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        deadline = time.monotonic() + wait
        last = None
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise AssertionError(f"guestd serve exited early with {rc}: {self.stderr_tail()}")
            try:
                text = self.port_file.read_text().strip()
            except FileNotFoundError:
                text = ""
            if text.isdigit() and int(text) > 0:
                if text == last:
                    self.port = int(text)
                    break
                last = text
            time.sleep(0.02)
        if self.port is None:
            self.stop()
            raise AssertionError(f"guestd serve wrote no port file within {wait}s: {self.stderr_tail()}")
        self.api = Api("127.0.0.1", self.port, self.keys, self.spec)
        return self

    def stderr_text(self):
        try:
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def stderr_tail(self, n=3000):
        return self.stderr_text()[-n:]

    def stop(self, grace=10.0):
        if self.proc is None or self.returncode is not None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.returncode = self.proc.returncode
        return self.returncode

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"


def with_dbname(conninfo, dbname):
    """Returns a libpq conninfo (key=value or URI) pointing at another database."""
    if re.match(r"^postgres(ql)?://", conninfo):
        u = urllib.parse.urlsplit(conninfo)
        return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + dbname, u.query, u.fragment))
    if re.search(r"(^|\s)dbname\s*=", conninfo):
        return re.sub(r"(^|\s)dbname\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", lambda m: f"{m.group(1)}dbname={dbname}",
                      conninfo)
    return (conninfo + f" dbname={dbname}").strip()


def run_cli(binary, *args, timeout=60):
    env = dict(os.environ)
    env.pop("GUESTD_DATABASE_URL", None)
    return subprocess.run([binary, *args], capture_output=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def create_key_cli(binary, db_url, role, name):
    p = run_cli(binary, "key", "create", "--role", role, "--name", name, "--database-url", db_url)
    assert p.returncode == 0, f"key create failed ({p.returncode}): {p.stderr.decode(errors='replace')}"
    lines = [l for l in p.stdout.decode().split("\n") if l.strip()]
    assert lines, f"key create printed nothing: stderr {p.stderr.decode(errors='replace')}"
    return lines[-1].strip()


def id_millis(guest_id):
    """The Unix milliseconds in the first 48 bits of a time-ordered (UUIDv7-layout) id."""
    return int(guest_id.replace("-", "")[:12], 16)


class HeldTransaction:
    """A psql session that writes in a transaction and commits only when told."""

    def __init__(self, db_url, sql):
        args = ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1"] + (["-d", db_url] if db_url else [])
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.p.stdin.write(f"BEGIN;\n{sql};\n\\echo written\n")
        self.p.stdin.flush()
        assert self.p.stdout.readline().strip() == "written"

    def send(self, sql):
        self.p.stdin.write(f"{sql};\n")
        self.p.stdin.flush()

    def commit(self):
        out, _ = self.p.communicate("COMMIT;\n", timeout=30)
        assert self.p.returncode == 0, out

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
