"""The API documentation pages work on a machine with no route to the internet.

Every service's /docs and /redoc load their scripts from the service itself (never a CDN),
the OpenAPI document declares the bearer token (so Swagger UI shows its Authorize button),
and headless Chromium, with every address but loopback unreachable, renders /journal/docs
with that button. The screenshot is kept in test-artifacts/api-docs/ for a person to look at.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import pytest
from required import missing

from processes import GENEROUS_S, free_port, get, wait_until_up
from project import ROOT

SERVICES = ["journal", "access", "conversion", "svarut-gateway"]
ARTIFACTS = ROOT / "test-artifacts" / "api-docs"


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp_path = tmp_path_factory.mktemp("docs-suite")
    port = free_port()
    log = open(tmp_path / "suite.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "arkiv5_suite.cli", "run", "--port", str(port), "--var-dir", str(tmp_path / "var")],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/journal/healthz/ready", process)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=GENEROUS_S)
        log.close()


@pytest.mark.parametrize("page", ["docs", "redoc"])
@pytest.mark.parametrize("service", SERVICES)
def test_docs_pages_load_every_asset_from_the_service_itself(suite: str, service: str, page: str) -> None:
    status, html = get(f"{suite}/{service}/{page}")
    assert status == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)
    scripts = [asset for asset in assets if asset.endswith(".js")]
    assert scripts, "the page loads no script at all"
    for asset in assets:
        assert asset.startswith(f"/{service}/"), f"{asset} is not served by the {service} service"
        with urllib.request.urlopen(suite + asset, timeout=60) as response:
            assert response.status == 200 and response.read(), asset


@pytest.mark.parametrize("service", ["journal", "conversion", "svarut-gateway"])
def test_openapi_declares_the_bearer_token_on_protected_operations(suite: str, service: str) -> None:
    document = json.loads(get(f"{suite}/{service}/openapi.json")[1])
    schemes = document["components"]["securitySchemes"]
    assert any(scheme == {**scheme, "type": "http", "scheme": "bearer"} for scheme in schemes.values())
    secured = [operation for path in document["paths"].values() for operation in path.values()
               if isinstance(operation, dict) and operation.get("security")]
    assert secured, "no operation declares the token"


def test_swagger_ui_renders_offline_with_the_authorize_button(suite: str) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        missing("Chromium (Debian package chromium)", state="not installed")
    assert chromium
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "journal-docs.png"
    screenshot.unlink(missing_ok=True)
    # Everything but loopback goes to a closed port: a page that needs a CDN stays blank.
    offline = ["--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=http://127.0.0.1:9",
               "--virtual-time-budget=10000", "--window-size=1280,1000"]
    dom = subprocess.run([chromium, *offline, "--dump-dom", f"{suite}/journal/docs"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert 'class="btn authorize' in dom, "Swagger UI did not render its Authorize button"
    assert "/saksmapper" in dom, "Swagger UI did not render the journal's operations"
    subprocess.run([chromium, *offline, f"--screenshot={screenshot}", f"{suite}/journal/docs"],
                   capture_output=True, timeout=120, check=True)
    assert screenshot.stat().st_size > 10_000
