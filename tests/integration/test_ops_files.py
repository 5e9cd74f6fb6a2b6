"""The deployment files that cannot run here (no Docker, no systemd as PID 1): their structure.

docker/compose.yaml and docker/Dockerfile are parsed and checked for the facts the README promises;
the systemd units of contrib/systemd are parsed and checked for their hardening (scripts/lint-systemd
also runs systemd-analyze verify and security on them, in the lint suite).
"""

import configparser
import os
import re
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNITS = os.path.join(ROOT, "contrib", "systemd")
SERVICES = ["guestd.service", "guestd-rescore.service", "guestd-purge.service"]
TIMERS = ["guestd-rescore.timer", "guestd-purge.timer"]

HARDENING = {
    "DynamicUser": "yes",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "CapabilityBoundingSet": "",
    "EnvironmentFile": "/etc/guestd/guestd.env",
}


def unit(name):
    """A unit file as {section: {key: [values]}} (systemd keys may repeat)."""
    sections, current = {}, None
    with open(os.path.join(UNITS, name), encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            m = re.fullmatch(r"\[(\w+)\]", line)
            if m:
                current = sections.setdefault(m.group(1), {})
                continue
            assert current is not None, f"{name}: a setting before any section: {line}"
            key, sep, value = line.partition("=")
            assert sep, f"{name}: not KEY=VALUE: {line}"
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


@pytest.mark.parametrize("name", SERVICES)
def test_service_is_hardened(name):
    svc = unit(name)["Service"]
    for key, want in HARDENING.items():
        assert key in svc, f"{name} lacks {key}="
        assert svc[key][-1] == want, f"{name}: {key}={svc[key][-1]!r}, expected {want!r}"
    assert "@system-service" in svc["SystemCallFilter"], svc["SystemCallFilter"]
    assert svc["ExecStart"][0].startswith("/usr/local/bin/guestd "), svc["ExecStart"]
    assert "AmbientCapabilities" not in svc or svc["AmbientCapabilities"] == [""]


def test_guestd_service_migrates_then_serves_and_restarts():
    svc = unit("guestd.service")["Service"]
    assert svc["ExecStartPre"] == ["/usr/local/bin/guestd migrate"]
    assert svc["ExecStart"] == ["/usr/local/bin/guestd serve"]
    assert svc["Restart"] == ["on-failure"]
    assert unit("guestd.service")["Install"]["WantedBy"] == ["multi-user.target"]


@pytest.mark.parametrize("timer,job,at", [("guestd-rescore.timer", "rescore", "03:30:00"),
                                          ("guestd-purge.timer", "purge", "04:15:00")])
def test_nightly_timers(timer, job, at):
    t = unit(timer)
    assert t["Timer"]["OnCalendar"] == [f"*-*-* {at}"]
    assert t["Timer"]["Persistent"][0] in ("yes", "true")
    assert t["Install"]["WantedBy"] == ["timers.target"]
    svc = unit(timer.replace(".timer", ".service"))["Service"]
    assert svc["Type"] == ["oneshot"]
    assert svc["ExecStart"][0].split()[:2] == ["/usr/local/bin/guestd", job]


def test_every_unit_file_is_checked():
    assert sorted(os.listdir(UNITS)) == sorted(SERVICES + TIMERS)


# ---- docker/ ----

@pytest.fixture(scope="module")
def compose():
    with open(os.path.join(ROOT, "docker", "compose.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def dockerfile():
    with open(os.path.join(ROOT, "docker", "Dockerfile"), encoding="utf-8") as f:
        return f.read()


GUESTD_SERVICES = ["migrate", "guestd", "rescore", "purge"]


def test_compose_services(compose):
    services = compose["services"]
    assert set(services) == {"db", *GUESTD_SERVICES}
    assert services["db"]["image"] == "postgres:15"
    assert "pg_isready" in services["db"]["healthcheck"]["test"]
    for name in GUESTD_SERVICES:
        s = services[name]
        assert s["image"] == "guestd:local"
        # every service of the image can build it: none depends on pulling a local tag
        assert s["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}
        assert "user" not in s, f"{name} overrides the image's unprivileged user"
        assert s["read_only"] is True and s["cap_drop"] == ["ALL"], name
        assert s["environment"]["GUESTD_DATABASE_URL"].endswith("@db/guestd")


def test_compose_migrate_is_a_one_shot_before_everything(compose):
    services = compose["services"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("guestd", "rescore", "purge"):
        assert services[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert services[name]["restart"] == "unless-stopped"


def test_compose_guestd_listens_on_all_interfaces_published_on_loopback(compose):
    g = compose["services"]["guestd"]
    assert g["command"] == ["serve"]
    assert g["environment"]["GUESTD_LISTEN"] == "0.0.0.0:8080"
    assert g["ports"] == ["127.0.0.1:8080:8080"]
    # longer than guestd's drain timeout (10 s), so that a stop lets requests finish
    assert int(g["stop_grace_period"].rstrip("s")) > 10


@pytest.mark.parametrize("job,at,ok_codes", [("rescore", "03:30", {0}), ("purge", "04:15", {0, 3})])
def test_compose_nightly_jobs(compose, job, at, ok_codes, tmp_path):
    s = compose["services"][job]
    assert s["entrypoint"] == ["/bin/sh", "-c"]
    (script,) = s["command"]
    # compose substitutes $VAR itself: every $ meant for the shell must be written $$
    assert not re.search(r"(?<!\$)\$(?!\$)", script.replace("$$", "")), "a single $ in the job's script"
    shell = script.replace("$$", "$")
    assert f"today {at}" in shell and f"tomorrow {at}" in shell
    assert f"guestd {job}" in shell
    # run one turn of the loop under dash (the image's /bin/sh) with the sleep and guestd stubbed
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sleep").write_text("#!/bin/sh\necho \"slept $1\"\n")
    (bin_dir / "guestd").write_text("#!/bin/sh\necho \"ran $*\"\nexit ${GUESTD_STUB_EXIT:-0}\n")
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    one_turn = shell.replace("while :; do", "for turn in 1; do", 1)
    for code in (0, 1, 3):
        env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", GUESTD_STUB_EXIT=str(code))
        p = subprocess.run(["dash", "-c", one_turn], capture_output=True, text=True, timeout=10, env=env)
        assert p.returncode == 0, p.stderr
        slept, ran = p.stdout.splitlines()
        seconds = int(slept.split()[1])
        assert 0 < seconds <= 86400, slept
        assert ran.startswith(f"ran {job}"), ran
        assert (p.stderr == "") == (code in ok_codes), (code, p.stderr)


def test_dockerfile(dockerfile):
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", dockerfile, re.M)
    assert stages[0] == ("debian:12", "build") and stages[-1][0] == "debian:12-slim", stages
    runtime = dockerfile[dockerfile.rindex("\nFROM "):]
    users = re.findall(r"^USER\s+(\S+)", runtime, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0"), users
    assert re.search(r"^USER\s+10001:10001$", runtime, re.M)
    assert re.search(r"useradd --system --uid 10001 ", runtime)
    health = re.search(r"^HEALTHCHECK\b.*?\n(?:.*\\\n)*.*CMD (.*)$", runtime, re.M)
    assert health and "http://127.0.0.1:8080/readyz" in health.group(1), health
    assert re.search(r"^ENTRYPOINT \[\"guestd\"\]$", runtime, re.M)
    # the build stage has no node: the API page is off by construction, not by a failed lookup
    assert "-Ddocs=disabled" in dockerfile[:dockerfile.rindex("\nFROM ")]
    assert "COPY --from=build /build/guestd /usr/local/bin/guestd" in runtime


def test_configparser_reads_every_unit():
    """The units are also plain INI (what most tooling assumes): no stray lines."""
    for name in SERVICES + TIMERS:
        cp = configparser.ConfigParser(strict=False, interpolation=None)
        cp.optionxform = str
        with open(os.path.join(UNITS, name), encoding="utf-8") as f:
            cp.read_file(f)
        assert "Unit" in cp, name
