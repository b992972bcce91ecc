"""Another web site against the control API, in a real browser: headless Chromium loads a page from a
different origin (served by Playwright's router, so no second server is needed) that tries what an attacker's
page can do without asking the emulator first: a cross-site form POST to reset, `no-cors` fetches that add a
rule or reset, and a CORS read of the journal. The REAL server runs in its default no-token mode. Skipped
when Chromium is absent, unless NOVA_REQUIRE_ALL_CLIENTS=1.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.client import EmulatorControl
from tests.support.clients import CHROMIUM_ARGS, chromium_path, missing_tool
from tests.support.server import EmulatorProcess

try:
    from playwright import sync_api
except ImportError:  # pragma: no cover - the test extra installs it
    sync_api = None  # type: ignore[assignment]  # the fixtures skip (or fail in CI) without it

EVIL = "http://evil.example"
# Chromium's private-network checks block some of these requests on their own; other browsers (and older
# Chromium) send them, so the test turns those checks off and relies on the emulator alone.
NO_PRIVATE_NETWORK_CHECKS = (
    "--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,"
    "PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks"
)
NOVA = "amazon.nova-canvas-v1:0"
TEXT_IMAGE = {
    "taskType": "TEXT_IMAGE",
    "textToImageParams": {"text": "a cat"},
    "imageGenerationConfig": {"width": 320, "height": 320},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    if sync_api is None:
        missing_tool("the playwright Python package (pip install -e '.[test]')")
    chromium_path()
    srv = EmulatorProcess.start(tmp_path_factory.mktemp("cross") / "server.log")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def attacker_page(server: EmulatorProcess) -> Iterator[Any]:
    """A page on http://evil.example whose script targets the emulator on 127.0.0.1."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=[*CHROMIUM_ARGS, NO_PRIVATE_NETWORK_CHECKS]
        )
        page = browser.new_page()
        page.route(
            f"{EVIL}/**",
            lambda route: route.fulfill(status=200, content_type="text/html", body="<!doctype html><p>hello"),
        )
        page.goto(f"{EVIL}/")
        yield page
        browser.close()


def _state(control: EmulatorControl) -> tuple[int, list[Any]]:
    return len(control.journal()), control.rules()


def test_another_site_cannot_reset_or_add_rules_or_read(server: EmulatorProcess, attacker_page: Any) -> None:
    control = EmulatorControl(server.url)
    control.reset()
    request = urllib.request.Request(
        f"{server.url}/model/{NOVA}/invoke",
        data=json.dumps(TEXT_IMAGE).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.status == 200
    before = _state(control)
    assert before[0] == 1
    target = server.url
    outcome = attacker_page.evaluate(
        """async (target) => {
          const results = {};
          const rule = JSON.stringify({action: "ThrottlingException"});
          for (const [name, init] of Object.entries({
            reset: {method: "POST", mode: "no-cors"},
            rule_text: {method: "POST", mode: "no-cors", body: rule},
            rule_form: {method: "POST", mode: "no-cors", body: new URLSearchParams({a: "b"})},
          })) {
            const path = name === "reset" ? "/_emulator/reset" : "/_emulator/rules";
            try { await fetch(target + path, init); results[name] = "sent"; }
            catch (e) { results[name] = "blocked"; }
          }
          try {
            const json = {"Content-Type": "application/json"};
            await fetch(target + "/_emulator/rules", {method: "POST", headers: json, body: rule});
            results.rule_json = "allowed";
          } catch (e) { results.rule_json = "blocked"; }
          try {
            const r = await fetch(target + "/_emulator/journal");
            results.read = "read " + (await r.text()).length;
          } catch (e) { results.read = "blocked"; }
          // A classic form POST, which navigates a frame: the browser sends it without asking.
          const frame = document.createElement("iframe");
          frame.name = "sink";
          document.body.append(frame);
          const form = document.createElement("form");
          form.method = "POST"; form.action = target + "/_emulator/reset"; form.target = "sink";
          document.body.append(form);
          const loaded = new Promise((resolve) => frame.addEventListener("load", resolve, {once: true}));
          form.submit();
          await loaded;
          return results;
        }""",
        target,
    )
    # The simple requests left the browser (it does not ask first for them) ...
    assert (outcome["reset"], outcome["rule_text"], outcome["rule_form"]) == ("sent", "sent", "sent")
    # ... a JSON write needs a preflight the emulator never grants; the journal is unreadable cross-origin.
    assert (outcome["rule_json"], outcome["read"]) == ("blocked", "blocked")
    assert _state(control) == before  # nothing was reset, no rule added
