"""Authorization matrix (OWASP BFLA): every route in authz.csv x every role point of view."""

import csv
import json
from pathlib import Path

import pytest

import gd_dossier
import gd_helpers as h

CSV_PATH = Path(__file__).with_name("authz.csv")
COLUMNS = ["method", "route_template", "anonymous", "frontdesk", "marketing", "ops", "admin"]


def load_matrix():
    with open(CSV_PATH, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == COLUMNS, f"authz.csv header must be {COLUMNS}, got {reader.fieldnames}"
        return list(reader)


MATRIX = load_matrix()


# Each builder prepares fresh fixtures and returns (path, body) for a well-formed request
# to an existing resource.
def _guest(ctx):
    return ctx["make_guest"]()


def b_post_guests(ctx):
    return "/v1/guests", {"family_name": "Authz" + h.tok(6).capitalize()}


def b_get_guests(ctx):
    return "/v1/guests?limit=1", None


def b_get_guest(ctx):
    return f"/v1/guests/{_guest(ctx)['id']}", None


def b_patch_guest(ctx):
    return f"/v1/guests/{_guest(ctx)['id']}", {"notes": "authz patch"}


def b_delete_guest(ctx):
    return f"/v1/guests/{_guest(ctx)['id']}", None


def b_restore_guest(ctx):
    gid = _guest(ctx)["id"]
    r = ctx["api"]("DELETE", f"/v1/guests/{gid}", key="frontdesk")
    assert r.status == 204, f"setup: delete failed: {r!r}"
    return f"/v1/guests/{gid}/restore", None


def b_history(ctx):
    return f"/v1/guests/{_guest(ctx)['id']}/history", None


def b_post_keys(ctx):
    return "/v1/api-keys", {"name": f"authz-{h.tok(8)}", "role": "marketing"}


def b_get_keys(ctx):
    return "/v1/api-keys", None


def b_delete_key(ctx):
    return f"/v1/api-keys/{ctx['make_key']('marketing')['id']}", None


def b_static(path):
    return lambda ctx: (path, None)


# dossier sections (issue 3): a fresh guest, and a fresh item of that guest for the item routes
def b_section_collection(section, with_body):
    def build(ctx):
        gid = _guest(ctx)["id"]
        return f"/v1/guests/{gid}/{section}", (gd_dossier.minimal(section) if with_body else None)
    return build


def b_section_item(section, body=None):
    def build(ctx):
        gid = _guest(ctx)["id"]
        item = gd_dossier.create(ctx["api"], gid, section)
        return f"/v1/guests/{gid}/{section}/{item['id']}", body
    return build


# loyalty (issue 4): the PUT sends back the current configuration (a PUT that changes nothing but the version)
def b_loyalty(ctx):
    return f"/v1/guests/{_guest(ctx)['id']}/loyalty", None


def b_put_loyalty_config(ctx):
    r = ctx["api"]("GET", "/v1/loyalty/config", key="admin")
    assert r.status == 200, f"setup: GET /v1/loyalty/config failed: {r!r}"
    return "/v1/loyalty/config", r.json()


# purge (issue 5): dry runs only, since this database is shared with every other test
def b_post_purge_run(ctx):
    return "/v1/purge-runs", {"dry_run": True}


def b_get_purge_run(ctx):
    r = ctx["api"]("POST", "/v1/purge-runs", key="ops", body={"dry_run": True})
    assert r.status == 201, f"setup: dry purge run failed: {r!r}"
    return f"/v1/purge-runs/{r.json()['run_id']}", None


SECTION_PATCHES = {"stays": {"room_number": "12"}, "consumptions": {"covers": 2}, "preferences": {"value": "v2"},
                   "special-dates": {"label": "authz"}, "complaints": {"status": "in_progress"}}


def b_duplicates(ctx):
    return f"/v1/guests/{_guest(ctx)['id']}/duplicates", None


def b_merge(ctx):
    return f"/v1/guests/{_guest(ctx)['id']}/merge", {"source_id": _guest(ctx)["id"]}


def b_merge_undo(ctx):
    survivor, source = _guest(ctx)["id"], _guest(ctx)["id"]
    r = ctx["api"]("POST", f"/v1/guests/{survivor}/merge", key="frontdesk", body={"source_id": source})
    assert r.status == 200, f"setup: merge failed: {r!r}"
    return f"/v1/merges/{r.json()['merge_id']}/undo", None


def b_export(ctx):
    return f"/v1/guests/{_guest(ctx)['id']}/export", None


def b_import_guests(ctx):
    line = {"family_name": "Import", "external_refs": [{"system": "authz", "id": h.tok(12)}]}
    return "/v1/guests/import", json.dumps(line) + "\n", {"Content-Type": "application/x-ndjson"}


BUILDERS = {
    ("POST", "/v1/guests/import"): b_import_guests,
    ("POST", "/v1/guests"): b_post_guests,
    ("GET", "/v1/guests"): b_get_guests,
    ("GET", "/v1/guests/{}"): b_get_guest,
    ("PATCH", "/v1/guests/{}"): b_patch_guest,
    ("DELETE", "/v1/guests/{}"): b_delete_guest,
    ("POST", "/v1/guests/{}/restore"): b_restore_guest,
    ("GET", "/v1/guests/{}/duplicates"): b_duplicates,
    ("POST", "/v1/guests/{}/merge"): b_merge,
    ("POST", "/v1/merges/{}/undo"): b_merge_undo,
    ("GET", "/v1/guests/{}/export"): b_export,
    ("POST", "/v1/api-keys"): b_post_keys,
    ("GET", "/v1/api-keys"): b_get_keys,
    ("DELETE", "/v1/api-keys/{}"): b_delete_key,
    ("GET", "/healthz"): b_static("/healthz"),
    ("GET", "/readyz"): b_static("/readyz"),
    ("GET", "/openapi.json"): b_static("/openapi.json"),
    ("GET", "/docs"): b_static("/docs"),
    ("GET", "/v1/reports/complaints"): b_static("/v1/reports/complaints?from=2001-01-01&to=2001-03-31"),
    ("GET", "/v1/guests/{}/loyalty"): b_loyalty,
    ("GET", "/v1/loyalty/config"): b_static("/v1/loyalty/config"),
    ("PUT", "/v1/loyalty/config"): b_put_loyalty_config,
    ("POST", "/v1/loyalty/rescore"): b_static("/v1/loyalty/rescore"),
    ("GET", "/v1/vip"): b_static("/v1/vip?limit=5"),
    ("GET", "/v1/special-dates"): b_static("/v1/special-dates?limit=5"),
    ("POST", "/v1/purge-runs"): b_post_purge_run,
    ("GET", "/v1/purge-runs"): b_static("/v1/purge-runs?limit=5"),
    ("GET", "/v1/purge-runs/{}"): b_get_purge_run,
    ("GET", "/v1/guests/{}/history"): b_history,
    ("GET", "/v1/changes"): b_static("/v1/changes?limit=5"),
    # metrics (issue 8)
    ("GET", "/metrics"): b_static("/metrics"),
}
for _section in gd_dossier.SECTIONS:
    BUILDERS[("POST", f"/v1/guests/{{}}/{_section}")] = b_section_collection(_section, True)
    BUILDERS[("GET", f"/v1/guests/{{}}/{_section}")] = b_section_collection(_section, False)
    BUILDERS[("GET", f"/v1/guests/{{}}/{_section}/{{}}")] = b_section_item(_section)
    BUILDERS[("PATCH", f"/v1/guests/{{}}/{_section}/{{}}")] = b_section_item(_section, SECTION_PATCHES[_section])
    BUILDERS[("DELETE", f"/v1/guests/{{}}/{_section}/{{}}")] = b_section_item(_section)

# HEAD is the GET of the same route without the body (DESIGN §14): the same request, the same roles
for (_method, _route), _builder in list(BUILDERS.items()):
    if _method == "GET":
        BUILDERS[("HEAD", _route)] = _builder

CASES = [(row, role) for row in MATRIX for role in h.ALL_ROLES]


@pytest.mark.parametrize("row,role", CASES,
                         ids=[f"{r['method']} {r['route_template']} as {role}" for r, role in CASES])
def test_authz_matrix(row, role, api, make_guest, make_key):
    key = (row["method"], h.norm_template(row["route_template"]))
    builder = BUILDERS.get(key)
    assert builder is not None, f"no fixture builder for {key}: add one to test_authz.py"
    expected = int(row[role])
    built = builder({"api": api, "make_guest": make_guest, "make_key": make_key})
    # a builder may add request headers (the import's NDJSON content type)
    path, body, headers = built if len(built) == 3 else (*built, None)
    r = api(row["method"], path, key=None if role == "anonymous" else role, body=body, headers=headers)
    assert r.status == expected, f"{row['method']} {path} as {role}: expected {expected}, got {r!r}"
    if expected == 401:
        assert (r.headers.get("WWW-Authenticate") or "").startswith("Bearer"), \
            f"401 without WWW-Authenticate: Bearer: {dict(r.headers)}"
    if row["method"] == "HEAD":
        # a refusal too: the problem's headers, not its body
        assert r.body == b"", f"HEAD {path} as {role} sent a body: {r!r}"
        if expected in (401, 403):
            assert r.media_type == "application/problem+json", r.headers
    elif expected == 401:
        h.assert_problem(r, 401, "unauthorized")
    elif expected == 403:
        h.assert_problem(r, 403, "forbidden")


def test_matrix_cells_are_statuses():
    seen = set()
    for row in MATRIX:
        key = (row["method"], h.norm_template(row["route_template"]))
        assert key not in seen, f"duplicate row {key}"
        seen.add(key)
        assert row["method"] in {m.upper() for m in h.HTTP_METHODS}, row
        for role in h.ALL_ROLES:
            assert row[role].isdigit() and 100 <= int(row[role]) <= 599, f"bad cell {role}={row[role]!r} in {row}"


def test_matrix_covers_every_spec_operation(spec):
    in_spec = {(m, h.norm_template(p)) for m, p in spec.operations()}
    in_csv = {(r["method"], h.norm_template(r["route_template"])) for r in MATRIX}
    missing = sorted(in_spec - in_csv)
    assert not missing, f"operations in openapi.yaml missing from authz.csv: {missing}"


def test_every_matrix_row_is_in_spec(spec):
    in_spec = {(m, h.norm_template(p)) for m, p in spec.operations()}
    in_csv = {(r["method"], h.norm_template(r["route_template"])) for r in MATRIX}
    extra = sorted(in_csv - in_spec)
    assert not extra, f"authz.csv rows not documented in openapi.yaml: {extra}"


def test_matrix_agrees_with_spec_roles(spec):
    """The roles the spec grants (x-roles, or `security: []` for public operations) get a 2xx in the matrix,
    every other role does not."""
    rows = {(r["method"], h.norm_template(r["route_template"])): r for r in MATRIX}
    problems = []
    for tmpl, item in (spec.doc.get("paths") or {}).items():
        for m in h.HTTP_METHODS:
            op = (item or {}).get(m)
            if op is None:
                continue
            row = rows.get((m.upper(), h.norm_template(tmpl)))
            if row is None:
                continue  # reported by test_matrix_covers_every_spec_operation
            if op.get("security") == []:
                granted = set(h.ALL_ROLES)
            elif "x-roles" in op:
                granted = set(op["x-roles"])
            else:
                continue
            ok = {role for role in h.ALL_ROLES if 200 <= int(row[role]) < 300}
            if ok != granted:
                problems.append(f"{m.upper()} {tmpl}: spec grants {sorted(granted)}, matrix 2xx for {sorted(ok)}")
    assert not problems, "\n".join(problems)


def test_every_matrix_row_has_a_builder():
    missing = [(r["method"], r["route_template"]) for r in MATRIX
               if (r["method"], h.norm_template(r["route_template"])) not in BUILDERS]
    assert not missing, f"rows without a fixture builder in test_authz.py: {missing}"
