"""The command line: --help and --version everywhere, one clear line and exit 2 on bad usage."""

import re
import subprocess

import pytest

# every command and subcommand (key's subcommands share the key page)
COMMANDS = [[], ["serve"], ["migrate"], ["key"], ["key", "create"], ["key", "list"], ["key", "revoke"],
            ["rescore"], ["purge"], ["seed"]]
DB_COMMANDS = [["migrate"], ["key", "list"], ["key", "create", "--role", "ops", "--name", "x"],
               ["key", "revoke", "3f0c9a4e-5d7b-4c21-9a51-0b6f2f5c8e11"], ["rescore"], ["purge", "--dry-run"],
               ["seed", "--guests", "10"]]


def run(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "guestd")
def test_help_exits_0_with_usage(guestd_bin, cmd):
    r = run(guestd_bin, *cmd, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Usage: guestd"), r.stdout
    assert "Exit codes" in r.stdout
    assert "Examples:" in r.stdout
    examples = r.stdout.split("Examples:", 1)[1]
    assert re.search(r"^  (?:[0-9* ]+ )?(?:\w+=\S+ )*guestd ", examples, re.M), examples
    assert r.stderr == ""


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "guestd")
def test_version_everywhere(guestd_bin, cmd):
    r = run(guestd_bin, *cmd, "--version")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 3, r.stdout
    assert re.fullmatch(r"guestd \d+\.\d+\.\d+", lines[0]), lines[0]
    # the versions loaded at run time, libpq's from PQlibVersion() (major.minor)
    assert re.fullmatch(r"libmicrohttpd \d+\.\d+\.\d+, jansson \d+\.\d+(\.\d+)?, libpq \d+\.\d+", lines[1]), lines[1]
    assert re.fullmatch(r"schema version \d+, API page /docs (built in|not built \(meson option docs\))",
                        lines[2]), lines[2]


@pytest.mark.parametrize("args", [["bogus"], ["serve", "--no-such-option"], ["serve", "--threads", "0"],
                                  ["serve", "--listen", "nowhere"], ["serve", "--listen", "127.0.0.1:70000"],
                                  ["serve", "--threads"], ["serve", "--log-level", "loud"],
                                  ["key", "create", "--role", "chef", "--name", "x"], ["key", "explode"], ["key"],
                                  ["key", "create", "--role", "ops"], ["key", "revoke"],
                                  ["migrate", "--bogus"], ["migrate", "extra"],
                                  ["rescore", "--jobs", "0"], ["rescore", "--batch-size", "x"],
                                  ["rescore", "--jobs", "--batch-size", "10"],
                                  ["purge", "--inactive-days", "3"], ["purge", "--dry-run=yes"],
                                  ["purge", "--grace-days", "-1"], ["seed", "--guests", "0"],
                                  ["seed", "--seed", "-1"], ["seed", "--guests"]],
                         ids=lambda a: " ".join(a))
def test_bad_usage_is_one_line_and_exit_2(guestd_bin, db_url, args):
    if args[0] == "key":
        args = args + ["--database-url", db_url]
    r = run(guestd_bin, *args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("guestd: "), r.stderr


@pytest.mark.parametrize("args", DB_COMMANDS, ids=lambda a: " ".join(a))
def test_unreachable_database_is_one_line_and_exit_1(guestd_bin, tmp_path, args):
    # a socket directory with no server: libpq's message has two lines and a trailing newline
    r = run(guestd_bin, *args, "--database-url", f"host={tmp_path} dbname=nothing connect_timeout=2")
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert r.stderr.count("\n") == 1 and r.stderr.endswith("\n"), repr(r.stderr)
    line = r.stderr.rstrip("\n")
    assert line.startswith("guestd: ") and "\t" not in line and not line.endswith(" "), repr(line)
    assert "No such file or directory" in line and "Is the server running locally" in line, line
    assert r.stdout == "", r.stdout

