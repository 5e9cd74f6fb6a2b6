"""Session fixtures: a real guestd against a real (migrated, empty) PostgreSQL database.

Environment (set by tests/integration/with-postgres.sh):
  GUESTD_BIN                 path to the guestd binary
  GUESTD_TEST_DATABASE_URL   libpq conninfo of a migrated, empty database
  GUESTD_OPENAPI             path to openapi/openapi.yaml
  PGHOST/PGPORT/PGUSER/PGDATABASE and psql on PATH
"""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gd_helpers as h  # noqa: E402

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "ThreadSanitizer")


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the suite through tests/integration/with-postgres.sh", pytrace=False)
    return value


@pytest.fixture(scope="session")
def guestd_bin():
    path = _env("GUESTD_BIN")
    if not os.access(path, os.X_OK):
        pytest.fail(f"GUESTD_BIN={path} is not an executable", pytrace=False)
    return os.path.abspath(path)


@pytest.fixture(scope="session")
def db_url():
    return _env("GUESTD_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def openapi_path():
    path = _env("GUESTD_OPENAPI")
    if not os.path.isfile(path):
        pytest.fail(f"GUESTD_OPENAPI={path} does not exist", pytrace=False)
    return path


@pytest.fixture(scope="session")
def spec(openapi_path):
    return h.Spec(openapi_path)


@pytest.fixture(scope="session")
def db(db_url):
    return h.DB(db_url)


@pytest.fixture(scope="session")
def keys(guestd_bin, db_url):
    """One key per role, created with `guestd key create`."""
    out = {}
    for role in h.ROLES:
        key = h.create_key_cli(guestd_bin, db_url, role, f"test-{role}")
        assert h.KEY_RE.match(key), f"`guestd key create` last line is not a key: {key!r}"
        out[role] = key
    return out


@pytest.fixture(scope="session")
def start_server(guestd_bin, db_url, keys, spec, tmp_path_factory):
    """Factory: start_server('--max-body-bytes', '1024', database_url=None) -> started ServerProcess
    (stopped at session end)."""
    started = []

    def start(*extra_args, database_url=None):
        workdir = tmp_path_factory.mktemp("guestd")
        srv = h.ServerProcess(guestd_bin, database_url or db_url, workdir, extra_args, keys=keys, spec=spec)
        started.append(srv)
        return srv.start()

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture(scope="session")
def server(start_server):
    srv = start_server()
    yield srv
    rc = srv.stop()
    log = srv.stderr_text()
    bad = [m for m in SANITIZER_MARKERS if m in log]
    assert not bad, f"sanitizer report in the server log: {bad}: {log[-4000:]}"
    assert rc == 0, f"guestd exited with {rc} after SIGTERM: {log[-2000:]}"


@pytest.fixture(scope="session")
def base_url(server):
    return server.base_url


@pytest.fixture(scope="session")
def api(server):
    return server.api


@pytest.fixture(scope="session")
def make_guest(api):
    """make_guest(**fields) -> created guest body (POST as frontdesk, asserts 201)."""

    def make(**fields):
        body = {"family_name": "Guest" + h.tok(8).capitalize()}
        body.update(fields)
        r = api("POST", "/v1/guests", key="frontdesk", body=body)
        assert r.status == 201, f"setup: create guest failed: {r!r}"
        return r.json()

    return make


@pytest.fixture(scope="session")
def make_key(api):
    """make_key(role) -> 201 body of POST /v1/api-keys (as admin)."""

    def make(role="marketing", name=None):
        r = api("POST", "/v1/api-keys", key="admin", body={"name": name or f"k-{h.tok(8)}", "role": role})
        assert r.status == 201, f"setup: create api key failed: {r!r}"
        return r.json()

    return make


@pytest.fixture(scope="module")
def server_warm(api):
    """Waits until the session server answers database-backed requests again.

    A module that runs after the outage tests (test_reconnect.py) may otherwise meet the one 503 each
    killed pooled connection is allowed to give. Sends GET /v1/guests?limit=1 until 5 answers in a row
    are 200 (at most ~5 s)."""
    import time

    ok = 0
    for _ in range(100):
        r = api("GET", "/v1/guests?limit=1", key="ops")
        if r.status == 200:
            ok += 1
            if ok >= 5:
                return
        else:
            assert r.status == 503, f"warm-up: unexpected {r!r}"
            ok = 0
            time.sleep(0.05)
    pytest.fail("the server did not answer 200 five times in a row within 100 requests")
