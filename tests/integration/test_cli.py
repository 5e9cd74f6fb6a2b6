"""The command line: --help and --version everywhere, one clear line and exit 2 on bad usage."""

import subprocess

import pytest

COMMANDS = [[], ["serve"], ["migrate"], ["key"]]


def run(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "guestd")
def test_help_exits_0_with_usage(guestd_bin, cmd):
    r = run(guestd_bin, *cmd, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Usage: guestd"), r.stdout
    assert "Exit codes" in r.stdout


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "guestd")
def test_version_everywhere(guestd_bin, cmd):
    r = run(guestd_bin, *cmd, "--version")
    assert r.returncode == 0, r.stderr
    first, libs = r.stdout.splitlines()[:2]
    assert first.startswith("guestd 0.")
    for lib in ("libmicrohttpd", "jansson", "libpq"):
        assert lib in libs


@pytest.mark.parametrize("args", [["bogus"], ["serve", "--no-such-option"], ["serve", "--threads", "0"],
                                  ["serve", "--listen", "nowhere"], ["key", "create", "--role", "chef",
                                                                     "--name", "x"], ["key", "explode"]],
                         ids=lambda a: " ".join(a))
def test_bad_usage_is_one_line_and_exit_2(guestd_bin, db_url, args):
    if args[0] == "key":
        args = args + ["--database-url", db_url]
    r = run(guestd_bin, *args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("guestd: "), r.stderr


def test_unreachable_database_is_exit_1(guestd_bin, tmp_path):
    r = run(guestd_bin, "migrate", "--database-url", f"host={tmp_path} dbname=nothing connect_timeout=2")
    assert r.returncode == 1
    assert r.stderr.startswith("guestd: ")
