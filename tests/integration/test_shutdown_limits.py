"""Graceful shutdown and the explicit limits of `guestd serve` (README "Limits").

SIGTERM and SIGINT stop accepting, let the requests in flight finish (up to --drain-timeout),
close the database connections and exit 0. The limits without a test elsewhere are tested here:
connections per client address and in all, the idle timeout, the statement timeout (503, never
500) and the bad values of each option. Body size, header size and page size are in
test_bad_input.py and the list tests."""

import signal
import socket
import subprocess
import threading
import time

import pytest

import gd_helpers as h


def app_conninfo(db_url, name):
    # a distinct application_name lets the test find this server's own backends
    return f"{db_url} application_name={name}"


def backends(db, name):
    return int(db.scalar(f"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{name}'"))


@pytest.fixture
def slow_guest_updates(db):
    """An UPDATE of a guest whose new family name starts with ZZSLOW<seconds>_ sleeps that long
    inside its statement; every other update is untouched."""
    db.rows("CREATE OR REPLACE FUNCTION test_slow_guest_update() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN IF NEW.family_name LIKE 'ZZSLOW%' THEN "
            "PERFORM pg_sleep(split_part(substr(NEW.family_name, 7), '_', 1)::float); END IF; RETURN NEW; END $$; "
            "DROP TRIGGER IF EXISTS test_slow_guest_update ON guest; "
            "CREATE TRIGGER test_slow_guest_update BEFORE UPDATE ON guest "
            "FOR EACH ROW EXECUTE FUNCTION test_slow_guest_update()")
    yield lambda seconds: f"ZZSLOW{seconds}_{h.tok()}"
    db.rows("DROP TRIGGER IF EXISTS test_slow_guest_update ON guest; DROP FUNCTION IF EXISTS test_slow_guest_update()")


def patch_in_background(srv, guest_id, body):
    """PATCHes in a thread; returns (thread, result) where result gets 'response' or 'error'."""
    result = {}

    def run():
        try:
            result["response"] = srv.api("PATCH", f"/v1/guests/{guest_id}", key="frontdesk", body=body, timeout=30)
        except Exception as e:  # the connection closed under it: reported to the test
            result["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, result


def served(port, source="127.0.0.1", timeout=5.0):
    """GET /healthz from `source`: its status, or None when the server closed or refused the connection."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    except (ConnectionRefusedError, ConnectionResetError):
        return None
    try:
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            return None
        buf = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                return "hung"
            if not chunk:
                break
            buf += chunk
        return h.RawResponse(buf).status
    finally:
        s.close()


def wait_exit(srv, seconds):
    started = time.monotonic()
    rc = srv.proc.wait(timeout=seconds)
    return rc, time.monotonic() - started


# ---------------------------------------------------------------- shutdown


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_finishes_in_flight_refuses_new_closes_pool_exits_0(start_server, db, db_url, make_guest,
                                                                    slow_guest_updates, sig):
    name = f"guestd-drain-{h.tok()}"
    srv = start_server("--threads", "2", database_url=app_conninfo(db_url, name))
    guest = make_guest()
    assert srv.api("GET", f"/v1/guests/{guest['id']}", key="frontdesk").status == 200
    assert backends(db, name) >= 1
    family = slow_guest_updates(2)
    t, result = patch_in_background(srv, guest["id"], {"family_name": family})
    time.sleep(0.7)  # the PATCH is inside its 2 s statement now
    srv.proc.send_signal(sig)
    time.sleep(0.3)
    # no new request is served once the signal arrived (the connection is refused, reset or closed)
    assert served(srv.port, timeout=10) is None
    t.join(timeout=15)
    assert "response" in result, f"the request in flight was cut: {result.get('error')!r}"
    assert result["response"].status == 200, result["response"]
    assert result["response"].json()["family_name"] == family
    rc, _ = wait_exit(srv, 15)
    assert rc == 0, srv.stderr_tail()
    assert db.scalar(f"SELECT family_name FROM guest WHERE id = '{guest['id']}'") == family
    # the pool is closed: none of this server's database sessions remain
    deadline = time.monotonic() + 5
    while backends(db, name) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert backends(db, name) == 0
    log = srv.stderr_text()
    assert '"msg":"stopping"' in log.replace(" ", "") and '"msg":"stopped"' in log.replace(" ", ""), log[-2000:]
    assert "drain deadline" not in log


def test_drain_deadline_bounds_the_shutdown(start_server, make_guest, db, slow_guest_updates):
    """A request still running at --drain-timeout does not keep guestd up: it exits 0 once that
    request's database round trip ends, which the statement timeout bounds."""
    srv = start_server("--threads", "2", "--drain-timeout", "1", "--statement-timeout", "3000")
    guest = make_guest()
    t, result = patch_in_background(srv, guest["id"], {"family_name": slow_guest_updates(20)})
    time.sleep(0.7)
    srv.proc.send_signal(signal.SIGTERM)
    rc, took = wait_exit(srv, 20)
    assert rc == 0, srv.stderr_tail()
    # 1 s of drain, then the statement is cancelled at 3 s (its deadline is 1 s later): never the 20 s
    assert took < 8, f"shutdown took {took:.1f}s"
    t.join(timeout=10)
    assert "drain deadline passed" in srv.stderr_text()
    if "response" in result:
        assert result["response"].status == 503, result["response"]
    assert not db.scalar(f"SELECT family_name FROM guest WHERE id = '{guest['id']}'").startswith("ZZSLOW")


# ---------------------------------------------------------------- statement timeout


def test_statement_timeout_is_503_with_retry_after_and_nothing_stored(start_server, make_guest, db,
                                                                      slow_guest_updates):
    srv = start_server("--threads", "1", "--statement-timeout", "500")
    guest = make_guest()
    before = db.guest_row(guest["id"])
    started = time.monotonic()
    r = srv.api("PATCH", f"/v1/guests/{guest['id']}", key="frontdesk",
                body={"family_name": slow_guest_updates(10)}, timeout=30)
    took = time.monotonic() - started
    p = h.assert_problem(r, 503, "unavailable")
    assert r.headers.get("Retry-After") == "1"
    assert "statement" not in p.get("detail", ""), p  # the cause is logged, not sent
    assert took < 4, f"the 503 took {took:.1f}s"
    assert db.guest_row(guest["id"]) == before
    # the connection was cancelled, not lost: the same (single) connection serves the next request
    assert srv.api("GET", f"/v1/guests/{guest['id']}", key="frontdesk").status == 200
    assert "statement timeout" in srv.stderr_text()


def test_lock_wait_past_lock_timeout_is_503(start_server, make_guest, db, db_url):
    """A row another session holds: lock_timeout (half the statement timeout) answers 503, not a hang."""
    srv = start_server("--threads", "1", "--statement-timeout", "1000")
    guest = make_guest()
    holder = subprocess.Popen(["psql", "-XAtq", "-d", db_url, "-c",
                               f"BEGIN; SELECT 1 FROM guest WHERE id = '{guest['id']}' FOR UPDATE; "
                               "SELECT pg_sleep(6); COMMIT;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and int(db.scalar(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'guest' AND l.mode = 'RowShareLock' AND l.granted")) == 0:
            time.sleep(0.05)
        started = time.monotonic()
        r = srv.api("PATCH", f"/v1/guests/{guest['id']}", key="frontdesk", body={"notes": "waits"}, timeout=30)
        took = time.monotonic() - started
        h.assert_problem(r, 503, "unavailable")
        assert r.headers.get("Retry-After") == "1"
        assert took < 3, f"the 503 took {took:.1f}s"
    finally:
        holder.kill()
        holder.wait(timeout=10)


# ---------------------------------------------------------------- database connections


def test_pool_holds_one_connection_per_thread(start_server, db, db_url, make_guest, slow_guest_updates):
    """--threads sizes the pool: four slow writes at once on two threads never open a third session,
    and each still succeeds (two wait for a thread rather than failing)."""
    name = f"guestd-pool-{h.tok()}"
    srv = start_server("--threads", "2", database_url=app_conninfo(db_url, name))
    guests = [make_guest() for _ in range(4)]
    started = time.monotonic()
    runs = [patch_in_background(srv, g["id"], {"family_name": slow_guest_updates(1)}) for g in guests]
    most = 0
    while any(t.is_alive() for t, _ in runs):
        most = max(most, backends(db, name))
        time.sleep(0.05)
    took = time.monotonic() - started
    assert all("response" in r and r["response"].status == 200 for _, r in runs), runs
    assert 1 <= most <= 2, f"{most} database sessions for 2 threads"
    assert took >= 1.9, f"4 one-second writes on 2 threads took {took:.1f}s"


# ---------------------------------------------------------------- connections


def idle_connection(port, source):
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never finished
    return s


def closed_by_server(s, wait):
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_per_ip_limit_refuses_the_excess_and_serves_other_addresses(start_server):
    srv = start_server("--threads", "2", "--max-connections", "16", "--max-connections-per-ip", "4")
    held = [idle_connection(srv.port, "127.0.0.2") for _ in range(4)]
    try:
        time.sleep(0.3)
        extra = idle_connection(srv.port, "127.0.0.2")
        assert closed_by_server(extra, 3), "the 5th connection from one address was kept"
        extra.close()
        assert served(srv.port, "127.0.0.3") == 200, "another address was not served"
        assert all(not closed_by_server(s, 0.2) for s in held), "a connection within the limit was closed"
        # the held ones still work
        held[0].sendall(b"Connection: close\r\n\r\n")
        held[0].settimeout(5)
        assert h.RawResponse(held[0].recv(65536)).status == 200
    finally:
        for s in held:
            s.close()
    # once they are gone, the address is served again
    deadline = time.monotonic() + 5
    status = None
    while time.monotonic() < deadline and status != 200:
        status = served(srv.port, "127.0.0.2")
        time.sleep(0.1)
    assert status == 200


def test_per_ip_default_leaves_headroom_for_a_load_test(start_server):
    """The default per-address limit (512) is well above a PMS's concurrency: 64 connections at once
    from one address are all served."""
    srv = start_server("--threads", "2")
    held = [idle_connection(srv.port, "127.0.0.4") for _ in range(64)]
    try:
        time.sleep(0.3)
        assert all(not closed_by_server(s, 0.05) for s in held)
        for s in held:
            s.sendall(b"Connection: close\r\n\r\n")
        for s in held:
            s.settimeout(5)
            assert h.RawResponse(s.recv(65536)).status == 200
    finally:
        for s in held:
            s.close()


def test_connection_limit_holds_the_excess_until_one_closes(start_server):
    srv = start_server("--threads", "1", "--max-connections", "6", "--max-connections-per-ip", "6")
    held = [idle_connection(srv.port, f"127.0.1.{i + 1}") for i in range(6)]
    try:
        time.sleep(0.3)
        # past the limit a connection is not served (it waits in the backlog or is closed)
        assert served(srv.port, "127.0.2.1", timeout=1.5) in (None, "hung")
        held.pop().close()
        deadline = time.monotonic() + 5
        status = None
        while time.monotonic() < deadline and status != 200:
            status = served(srv.port, "127.0.2.2", timeout=3)
        assert status == 200, "a freed slot was not reused"
    finally:
        for s in held:
            s.close()


def test_idle_connection_closed_at_the_timeout(start_server):
    srv = start_server("--connection-timeout", "1")
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    try:
        started = time.monotonic()
        assert closed_by_server(s, 8)
        took = time.monotonic() - started
        assert 0.5 <= took < 4, f"closed after {took:.1f}s"
    finally:
        s.close()


@pytest.mark.parametrize("args", [
    ("--max-connections", "0"), ("--max-connections-per-ip", "0"),
    ("--max-connections", "8", "--max-connections-per-ip", "9"),
    ("--statement-timeout", "99"), ("--statement-timeout", "x"), ("--drain-timeout", "-1"),
    ("--connection-timeout", "0"), ("--max-body-bytes", "63"),
])
def test_bad_limit_is_usage_error(guestd_bin, db_url, args):
    p = subprocess.run([guestd_bin, "serve", "--listen", "127.0.0.1:0", "--database-url", db_url, *args],
                       capture_output=True, timeout=30)
    assert p.returncode == 2, p
    assert len(p.stderr.decode().strip().splitlines()) == 1, p.stderr


def test_help_lists_every_limit(guestd_bin):
    out = subprocess.run([guestd_bin, "serve", "--help"], capture_output=True, timeout=30).stdout.decode()
    for needle in ("--max-connections", "--max-connections-per-ip", "--connection-timeout", "--max-body-bytes",
                   "--statement-timeout", "--drain-timeout", "--threads", "16 KiB", "500 items", "SIGTERM"):
        assert needle in out, f"serve --help does not mention {needle}"
