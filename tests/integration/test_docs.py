"""GET /docs: the API page made from openapi.yaml at build time, served by guestd, working offline."""

import html.parser
import re
import shutil
import subprocess

import pytest

CHROMIUM_SECONDS = 90


class _Text(html.parser.HTMLParser):
    """The text a reader sees: everything outside <script> and <style>."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.depth = max(0, self.depth - 1)

    def handle_data(self, data):
        if self.depth == 0:
            self.parts.append(data)


def visible_text(page):
    p = _Text()
    p.feed(page)
    return " ".join(" ".join(p.parts).split())


def operations_by_tag(spec_doc):
    tags = {}
    for path, item in spec_doc["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "summary" in op:
                for tag in op.get("tags", []):
                    tags.setdefault(tag, []).append((method.upper(), path, op["summary"]))
    return tags


@pytest.fixture(scope="module")
def page(api):
    r = api("GET", "/docs")
    assert r.status == 200, f"/docs answered {r.status}: was guestd built with -Ddocs=disabled? {r.body[:300]!r}"
    return r


def test_docs_is_public_html(page):
    assert page.headers.get("Content-Type") == "text/html; charset=utf-8"
    assert page.body.startswith(b"<!DOCTYPE html>")
    assert re.fullmatch(r'"[0-9a-f]{16}"', page.headers.get("ETag") or "")
    assert page.headers.get("Cache-Control") == "public, no-cache"
    assert page.headers.get("X-Content-Type-Options") == "nosniff"
    assert page.headers.get("Referrer-Policy") == "no-referrer"


def test_docs_csp_allows_only_the_page_itself(page):
    csp = page.headers.get("Content-Security-Policy") or ""
    directives = dict((d.split(" ", 1) + [""])[:2] for d in (x.strip() for x in csp.split(";")) if d)
    assert directives.get("default-src") == "'none'"
    # scripts: only the inline ones of this page, named by hash; no eval, no inline handlers
    scripts = directives.get("script-src", "").split()
    assert scripts and all(re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", s) for s in scripts), scripts
    for name, value in directives.items():
        assert "http" not in value and "*" not in value, f"{name} allows another origin: {value}"
    assert directives.get("frame-ancestors") == "'none'"
    assert directives.get("base-uri") == "'none'"


def test_docs_references_no_external_url(page):
    text = page.body.decode("utf-8")
    tags = re.findall(r"<(?:script|link|img|iframe|source|object|embed)\b[^>]*>", text, flags=re.I)
    assert tags, "no script or link element found at all"
    for tag in tags:
        assert not re.search(r"\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", tag, flags=re.I), tag
        if tag.lower().startswith("<script"):
            assert not re.search(r"\bsrc\s*=", tag, flags=re.I), f"a script loaded by URL: {tag}"
    styles = " ".join(re.findall(r"<style\b[^>]*>(.*?)</style>", text, flags=re.S | re.I))
    assert not re.search(r"@import|url\(\s*[\"']?(?:https?:)?//", styles), "a stylesheet loads from another origin"


def test_docs_not_modified(api, page):
    r = api("GET", "/docs", headers={"If-None-Match": page.headers["ETag"]})
    assert r.status == 304
    assert r.body == b""
    r = api("GET", "/docs", headers={"If-None-Match": '"0000000000000000"'})
    assert r.status == 200 and r.body == page.body


def test_openapi_json_has_a_build_etag(api):
    r = api("GET", "/openapi.json")
    assert r.status == 200
    etag = r.headers.get("ETag")
    assert re.fullmatch(r'"[0-9a-f]{16}"', etag or "")
    assert r.headers.get("Cache-Control") == "public, no-cache"
    assert api("GET", "/openapi.json", headers={"If-None-Match": etag}).status == 304


def render(url, profile):
    """The DOM of `url` after Chromium ran its scripts, as HTML."""
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is not installed (scripts/test installs it: GD_TEST_PACKAGES)"
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
           "--disable-background-networking", "--disable-sync", f"--user-data-dir={profile}",
           "--virtual-time-budget=15000", "--dump-dom", url]
    p = subprocess.run(cmd, capture_output=True, timeout=CHROMIUM_SECONDS, text=True)
    assert p.returncode == 0, f"chromium exited {p.returncode}: {p.stderr[-2000:]}"
    return p.stdout


@pytest.mark.parametrize("tag", ["guests", "service"])
def test_docs_renders_the_operations_in_chromium(api, page, spec, tag, tmp_path):
    """The page renders the operations of a tag in a real browser, from its scripts alone."""
    ops = operations_by_tag(spec.doc)[tag]
    assert len(ops) >= 3, ops
    # as served, nothing of the reference is in the markup: only the scripts can show it
    served = visible_text(page.body.decode("utf-8"))
    assert not [s for _, _, s in ops if s in served], "the operations are in the served markup already"

    dom = render(f"{api.base_url()}/docs#/{tag}", tmp_path / "chromium-profile")
    shown = visible_text(dom)
    missing = [f"{m} {p}: {s}" for m, p, s in ops if s not in shown]
    assert not missing, f"the rendered page lacks these operations of tag {tag}: {missing}\n{shown[:2000]}"
    # the paths too (the operation headers show the method and the path)
    assert any(p in shown for _, p, _ in ops), shown[:2000]
