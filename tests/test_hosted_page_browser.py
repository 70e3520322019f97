"""The hosted invoice page in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright against ``billfold serve``. The page loads without an API key, shows the invoice number and
the amount due, and its PDF link downloads the PDF.

Without ``/usr/bin/chromium`` the test is skipped with a message, except under ``CI=true``, where that is
a failure (Debian: ``apt-get install chromium``)."""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import httpx
import pytest
from playwright.async_api import async_playwright
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import new_api_key
from server_support import serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _require_chromium() -> None:
    if CHROMIUM.is_file():
        return
    message = f"{CHROMIUM} not found (Debian: apt-get install chromium): browser test skipped"
    if os.environ.get("CI") == "true":
        pytest.fail(message.replace("skipped", "cannot be skipped in CI"))
    pytest.skip(message)


async def _issued_invoice(base: str, key: str) -> dict[str, str]:
    headers = {"X-API-KEY": key}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:

        async def post(path: str, body: dict[str, object]) -> dict[str, str]:
            response = await client.post(path, json=body)
            assert response.status_code in (200, 201), response.text
            data: dict[str, str] = response.json()
            return data

        customer = await post("/v1/customers", {"name": "Acme SARL", "currency": "EUR", "locale": "fr"})
        invoice = await post("/v1/invoices", {"customerId": customer["id"], "invoiceDate": "2026-11-20"})
        await post(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Plan", "amount": "1234.50"})
        return await post(f"/v1/invoices/{invoice['id']}/issue", {})


async def test_hosted_page_shows_the_invoice_and_downloads_its_pdf(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    _require_chromium()
    key = await new_api_key(engine, "Browser")
    env = {**os.environ, "BILLFOLD_DATABASE_URL": database_url, "BILLFOLD_EMBEDDED_WORKER": "false"}
    with serving(env, tmp_path, workers=1) as server:
        issued = await _issued_invoice(server.base, key)
        url = issued["hostedInvoiceUrl"]
        assert url.startswith(server.base + "/i/")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(accept_downloads=True)
                response = await page.goto(url)
                assert response is not None
                assert response.status == 200
                text = (await page.inner_text("body")).replace("\u202f", " ").replace("\xa0", " ")
                assert issued["invoiceNumber"] in text
                assert "1 234,50 €" in text  # the amount due, in the customer's French
                async with page.expect_download() as waiting:
                    await page.click(f"a[href='{issued['pdfUrl']}']")
                download = await waiting.value
                saved = tmp_path / "downloaded.pdf"
                await download.save_as(saved)
                content = await anyio.Path(saved).read_bytes()
                assert content.startswith(b"%PDF")
                assert download.suggested_filename == f"{issued['invoiceNumber']}.pdf"
            finally:
                await browser.close()
