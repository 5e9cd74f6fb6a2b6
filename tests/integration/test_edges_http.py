"""The HTTP layer under a hostile client (issue "Edges", DESIGN §14): framing that a proxy and guestd
could read differently, the answers libmicrohttpd would write twice, unknown transfer codings, and
clients that trickle their headers (slowloris).

Every exchange here is raw bytes over a socket on 127.0.0.1, read until the server closes, so that a
second response or a missing close shows up."""

import re
import socket
import threading
import time

import pytest

import gd_helpers as h

STATUS_LINE = re.compile(rb"(?:^|\r\n)HTTP/1\.[01] \d{3} ")


def exchange(port, data, timeout=5.0, sock=None):
    """Sends data and reads until the server closes the connection. Returns (bytes, seconds)."""
    s = sock or socket.create_connection(("127.0.0.1", port), timeout=timeout)
    started = time.monotonic()
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        s.settimeout(timeout)
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                raise AssertionError(f"no close within {timeout}s; got {buf[:400]!r}")
            if not chunk:
                break
            buf += chunk
        return buf, time.monotonic() - started
    finally:
        s.close()


def one_problem(buf, status):
    """The bytes hold exactly one HTTP response, a problem+json with `status`, announcing the close."""
    starts = len(STATUS_LINE.findall(buf))
    assert starts == 1, f"expected one response, got {starts}: {buf[:600]!r}"
    r = h.RawResponse(buf)
    assert r.status == status, f"expected {status}: {buf[:600]!r}"
    assert r.headers.get("content-type") == "application/problem+json", r
    assert r.headers.get("connection", "").lower() == "close", r
    assert len(r.body) == int(r.headers["content-length"]), f"body and Content-Length differ: {buf!r}"
    p = r.json()
    assert p["status"] == status and p["type"].startswith("/problems/"), p
    return p


def kept_alive(port):
    """A connection that has been served one request and is kept open."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf or not buf.endswith(b"}"):
        chunk = s.recv(65536)
        assert chunk, f"closed after the first request: {buf!r}"
        buf += chunk
    assert buf.startswith(b"HTTP/1.1 200"), buf
    return s


def post_head(keys, framing):
    return (b"POST /v1/guests HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + keys["frontdesk"].encode()
            + b"\r\nContent-Type: application/json\r\n" + framing)


def healthy(port):
    r = h.raw_http(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert r.status == 200, f"server not healthy after the probe: {r!r}"


# ---------------------------------------------------------------- 1. white space before the colon

SMUGGLED = b"GET /healthz?smuggled=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.mark.parametrize("name", [b"Content-Length :", b"Content-Length\t:", b"Transfer-Encoding :"])
@pytest.mark.parametrize("connection", ["new", "kept_alive"])
def test_white_space_before_colon_400_once_then_close(server, keys, db, name, connection):
    if name.startswith(b"Transfer"):
        body = b"%x\r\n" % len(SMUGGLED) + SMUGGLED + b"\r\n0\r\n\r\n"
        framing = name + b" chunked\r\n\r\n" + body
    else:
        framing = name + b" %d\r\n\r\n" % len(SMUGGLED) + SMUGGLED
    sock = kept_alive(server.port) if connection == "kept_alive" else None
    with db.unchanged():
        buf, _ = exchange(server.port, post_head(keys, framing), sock=sock)
        p = one_problem(buf, 400)
    assert "colon" in p["detail"], p
    assert b"smuggled" not in server.stderr_text().encode()[-20000:], "the smuggled request was served"
    healthy(server.port)


def test_header_name_with_separator_400(server):
    buf, _ = exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX(y): 1\r\n\r\n")
    one_problem(buf, 400)


def test_folded_header_line_400(server):
    buf, _ = exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: 1\r\n  continued\r\n\r\n")
    one_problem(buf, 400)


# ---------------------------------------------------------------- 2. the library's own 400s, once

@pytest.mark.parametrize("value", [b"24, 24", b"-1", b"+24", b"24 ", b"0x18", b""])
def test_malformed_content_length_400_once_then_close(server, keys, db, value):
    body = b'{"family_name": "Dual"}\r\n'
    with db.unchanged():
        buf, seconds = exchange(server.port, post_head(keys, b"Content-Length: " + value + b"\r\n\r\n" + body))
        p = one_problem(buf, 400)
    assert "Content-Length" in p["detail"], p
    assert seconds < 2, f"answered after {seconds:.1f}s"
    healthy(server.port)


def test_content_length_beyond_uint64_413_once(server, keys, db):
    with db.unchanged():
        buf, _ = exchange(server.port, post_head(keys, b"Content-Length: 99999999999999999999\r\n\r\n{}"))
        one_problem(buf, 413)


@pytest.mark.parametrize("connection", ["new", "kept_alive"])
def test_http11_without_host_400_once_then_close(server, connection):
    sock = kept_alive(server.port) if connection == "kept_alive" else None
    buf, _ = exchange(server.port, b"GET /healthz HTTP/1.1\r\nAccept: */*\r\n\r\n", sock=sock)
    p = one_problem(buf, 400)
    assert "Host" in p["detail"], p


def test_two_host_headers_400(server):
    buf, _ = exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    one_problem(buf, 400)


def test_http10_without_host_served(server):
    buf, _ = exchange(server.port, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert buf.startswith(b"HTTP/1.") and h.RawResponse(buf).status == 200, buf[:300]


# ---------------------------------------------------------------- 3. unknown transfer codings

@pytest.mark.parametrize("coding", [b"xchunked", b"gzip", b"identity, chunked", b"chunked, gzip"])
@pytest.mark.parametrize("connection", ["new", "kept_alive"])
def test_unknown_transfer_coding_501_at_once_then_close(server, keys, db, coding, connection):
    sock = kept_alive(server.port) if connection == "kept_alive" else None
    with db.unchanged():
        buf, seconds = exchange(server.port, post_head(keys, b"Transfer-Encoding: " + coding + b"\r\n\r\n"
                                                        + b"5\r\n{}   \r\n0\r\n\r\n"), sock=sock)
        one_problem(buf, 501)
    assert seconds < 2, f"answered after {seconds:.1f}s"


@pytest.mark.parametrize("coding", [b"chunked;;", b"\"chunked\"", b"chunked\x01"])
def test_malformed_transfer_encoding_400(server, keys, coding):
    buf, _ = exchange(server.port, post_head(keys, b"Transfer-Encoding: " + coding + b"\r\n\r\n0\r\n\r\n"))
    one_problem(buf, 400)


def test_transfer_encoding_on_http10_400(server):
    buf, _ = exchange(server.port, b"POST /v1/guests HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    one_problem(buf, 400)


def test_chunked_body_still_served(server, keys, db):
    body = b'{"family_name": "Chunky"}'
    before = int(db.scalar("SELECT count(*) FROM guest"))
    buf, _ = exchange(server.port, post_head(keys, b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
                      + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
    assert h.RawResponse(buf).status == 201, buf[:400]
    assert int(db.scalar("SELECT count(*) FROM guest")) == before + 1


# ---------------------------------------------------------------- 4. slowloris

TRICKLE = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200


def _trickle(socks, stop_at):
    """Sends one byte a second on every open socket until each is closed or stop_at passes.
    Returns {index: seconds until closed}."""
    closed = {}
    started = time.monotonic()
    step = 0
    while len(closed) < len(socks) and time.monotonic() < stop_at:
        for i, s in enumerate(socks):
            if i in closed:
                continue
            try:
                s.send(TRICKLE[step % len(TRICKLE):step % len(TRICKLE) + 1])
                s.setblocking(False)
                try:
                    data = s.recv(4096)
                    if data == b"" or data.startswith(b"HTTP/1.1 408"):
                        closed[i] = time.monotonic() - started
                except BlockingIOError:
                    pass
                finally:
                    s.setblocking(True)
            except (BrokenPipeError, ConnectionResetError):
                closed[i] = time.monotonic() - started
        step += 1
        time.sleep(1.0)
    return closed


def test_slowloris_40_trickling_connections_dropped_while_others_are_served(server):
    """Default header timeout (10 s): 40 connections trickling a byte a second are all closed by
    about 11 s, and requests on other connections are answered meanwhile."""
    socks = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(40)]
    served, slow = [], []
    stop = threading.Event()

    def probe():
        while not stop.is_set():
            t = time.monotonic()
            r = h.raw_http(server.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            took = time.monotonic() - t
            (served if r.status == 200 else slow).append(took)
            time.sleep(0.25)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        closed = _trickle(socks, time.monotonic() + 16)
    finally:
        stop.set()
        prober.join()
        for s in socks:
            s.close()
    assert len(closed) == 40, f"only {len(closed)} of 40 trickling connections were closed"
    assert all(8.5 <= t <= 13 for t in closed.values()), sorted(closed.values())
    assert not slow, f"{len(slow)} probe requests failed"
    assert len(served) >= 20 and max(served) < 1.0, (len(served), max(served))


@pytest.fixture(scope="module")
def quick_header_server(start_server):
    return start_server("--header-timeout", "2")


def test_kept_alive_connection_trickling_its_next_head_dropped(quick_header_server):
    s = kept_alive(quick_header_server.port)
    closed = _trickle([s], time.monotonic() + 8)
    s.close()
    assert 0 in closed and 1.5 <= closed[0] <= 4, closed


def test_kept_alive_connection_left_idle_closed_after_header_timeout(quick_header_server):
    s = kept_alive(quick_header_server.port)
    started = time.monotonic()
    s.settimeout(8)
    assert s.recv(100) == b""
    took = time.monotonic() - started
    s.close()
    assert 1.5 <= took <= 4, took


def test_silent_connection_closed_without_answer(quick_header_server):
    s = socket.create_connection(("127.0.0.1", quick_header_server.port), timeout=8)
    started = time.monotonic()
    assert s.recv(100) == b"", "a connection that sent nothing gets no answer"
    took = time.monotonic() - started
    s.close()
    assert 1.5 <= took <= 4, took


def test_partial_head_answered_408(quick_header_server):
    buf, seconds = exchange(quick_header_server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", timeout=8)
    one_problem(buf, 408)
    assert 1.5 <= seconds <= 4, seconds


def test_header_timeout_option_validated(guestd_bin, db_url):
    out = h.run_cli(guestd_bin, "serve", "--header-timeout", "0", "--database-url", db_url)
    assert out.returncode == 2 and b"GUESTD_HEADER_TIMEOUT" in out.stderr, out


@pytest.mark.parametrize("framing", [b"", b"Content-Length: 0\r\n"])
def test_expect_continue_without_a_body_400(server, keys, db, framing):
    """libmicrohttpd 0.9.75 would send 100 Continue and call the handler again before the request's end,
    leaving the answer unsendable."""
    with db.unchanged():
        buf, _ = exchange(server.port, post_head(keys, b"Expect: 100-continue\r\n" + framing + b"\r\n{}"))
        p = one_problem(buf, 400)
    assert "Expect" in p["detail"], p
