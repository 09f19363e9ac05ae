// Quotes and invoices in a real browser: the document settings page, a deal with two line
// items, its invoice created on the deal card, the PDF downloaded and read back with
// poppler's pdftotext (both items' names must be in it), then sent and paid.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { startServer, launchBrowser, shot, shotsDir, watchConsole, PASSWORD } from "../harness.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signedIn(viewport = { width: 1400, height: 900 }) {
  const ctx = await browser.newContext({ viewport, locale: "en-US", acceptDownloads: true });
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await page.goto(`${server.url}/login`);
  await page.fill("#email", "admin@example.com");
  await page.fill("#password", PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=welcome]");
  return { ctx, page, problems };
}

/** The text of a PDF file, as poppler's pdftotext reads it. */
function pdfText(path) {
  const r = spawnSync("pdftotext", ["-enc", "UTF-8", path, "-"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`pdftotext failed (install poppler-utils): ${r.stderr}`);
  return r.stdout;
}

const year = new Date().getUTCFullYear();

test("document settings: seller details and numbering saved; a broken template is refused with its line", async () => {
  const { ctx, page, problems } = await signedIn();
  await page.goto(`${server.url}/settings/documents`);
  await page.fill("[data-testid=seller-name]", "Northwind Trading SARL");
  await page.fill("#sa", "12 rue de la Paix\n75002 Paris");
  await page.fill("#st", "FR40123456789");
  await page.fill("#sb", "IBAN: FR76 3000 6000 0112 3456 7890 189\nBIC: AGRIFRPP");
  await page.fill("#se", "billing@northwind.example");
  await page.fill("#pt", "Bank transfer within 14 days");
  await page.fill("[data-testid=invoice-template]", "accent = \"#1f4e79\"\nfont_size = \"big\"\n");
  await page.click("[data-testid=document-settings-save]");
  await page.waitForSelector("[data-testid=invoice-template-error]");
  const err = await page.textContent("[data-testid=invoice-template-error]");
  assert.match(err, /line 2/);
  assert.match(err, /font_size/);
  // What was typed stays on the form.
  assert.equal(await page.inputValue("[data-testid=seller-name]"), "Northwind Trading SARL");
  await shot(page, "documents-01-settings-error");

  await page.fill("[data-testid=invoice-template]", "");
  await Promise.all([page.waitForURL(/\/settings\/documents$/), page.click("[data-testid=document-settings-save]")]);
  await page.waitForSelector("text=Document settings saved.");
  assert.equal(await page.inputValue("[data-testid=seller-name]"), "Northwind Trading SARL");
  assert.equal(await page.inputValue("[data-testid=invoice-pattern]"), "INV-{YYYY}-{SEQ:4}");
  await shot(page, "documents-02-settings");
  assert.deepEqual(problems.filter((p) => !p.includes("422")), []);
  await ctx.close();
});

test("a deal with two line items: its invoice is created on the card, and the downloaded PDF has both items", async () => {
  const { ctx, page, problems } = await signedIn();
  await page.goto(`${server.url}/deals/new`);
  await page.fill("[data-testid=f-title]", "Equipment for the Seoul office");
  await Promise.all([page.waitForURL(/\/deals\/[0-9a-f-]{36}$/), page.click("[data-testid=save]")]);
  const dealUrl = page.url();
  // Without line items there is nothing to invoice yet.
  assert.equal(await page.isDisabled("[data-testid=create-invoice]"), true);

  const row = (i) => page.locator("#item-rows [data-row]").nth(i);
  await row(0).locator("[name=item_name]").fill("Сервер Dell R760");
  await row(0).locator("[name=item_quantity]").fill("2");
  await row(0).locator("[name=item_price]").fill("4990.00");
  await row(0).locator("[name=item_tax]").fill("20");
  await page.click("[data-add-row='#item-rows']");
  await row(1).locator("[name=item_name]").fill("설치 서비스 Installation");
  await row(1).locator("[name=item_quantity]").fill("3");
  await row(1).locator("[name=item_price]").fill("120.10");
  await Promise.all([page.waitForURL(/\/deals\/[0-9a-f-]{36}$/), page.click("[data-testid=items-save]")]);
  await page.waitForSelector("text=Line items saved.");
  assert.equal(await page.locator("[data-testid=item-row]").count(), 2);

  // Create the invoice: its page opens with the next number.
  await Promise.all([page.waitForURL(/\/documents\/[0-9a-f-]{36}$/), page.click("[data-testid=create-invoice]")]);
  await page.waitForSelector("text=Invoice created.");
  assert.equal((await page.textContent("[data-testid=document-number]")).trim(), `INV-${year}-0001`);
  assert.equal((await page.textContent("[data-testid=document-status]")).trim(), "Draft");
  assert.equal(await page.locator("[data-testid=document-item]").count(), 2);
  // 2 × 4990.00 + 20 % = 11976.00; 3 × 120.10 = 360.30; total 12336.30.
  assert.equal((await page.textContent("[data-testid=document-total]")).trim(), "12336.30 EUR");
  await shot(page, "documents-03-invoice-page");

  // Download the PDF and read it back.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=document-download]")]);
  assert.equal(download.suggestedFilename(), `INV-${year}-0001.pdf`);
  const text = pdfText(await download.path());
  // Kept beside the screenshots, to look at (pdftoppm turns it into a picture).
  await download.saveAs(join(shotsDir, "documents-invoice.pdf"));
  for (const words of ["Сервер Dell R760", "설치 서비스 Installation", `INV-${year}-0001`, "Northwind Trading SARL", "12,336.30"]) {
    assert.ok(text.includes(words), `${words} in the PDF:\n${text}`);
  }

  // Back on the deal card: the Documents section lists it; mark it sent from there.
  await page.goto(dealUrl);
  const doc = page.locator("[data-testid=document-row]").first();
  assert.equal((await doc.locator("[data-testid=document-number]").textContent()).trim(), `INV-${year}-0001`);
  assert.equal((await doc.locator("[data-testid=document-status]").textContent()).trim(), "Draft");
  await Promise.all([page.waitForURL(dealUrl), doc.locator("[data-testid=document-send]").click()]);
  await page.waitForSelector("text=Marked sent.");
  assert.equal((await page.locator("[data-testid=document-row] [data-testid=document-status]").first().textContent()).trim(), "Sent");
  // A quote too, listed beside it.
  await Promise.all([page.waitForURL(/\/documents\//), page.click("[data-testid=create-quote]")]);
  assert.equal((await page.textContent("[data-testid=document-number]")).trim(), `Q-${year}-0001`);
  await page.goto(dealUrl);
  assert.equal(await page.locator("[data-testid=document-row]").count(), 2);
  await shot(page, "documents-04-deal-card");

  // Record the payment on the invoice's page: paid.
  await page.locator("[data-testid=document-row][data-kind=invoice] [data-testid=document-number]").click();
  await page.waitForSelector("[data-testid=document-payment]");
  await Promise.all([page.waitForURL(/\/documents\/[0-9a-f-]{36}$/), page.click("[data-testid=document-pay]")]);
  await page.waitForSelector("text=Payment recorded.");
  assert.equal((await page.textContent("[data-testid=document-status]")).trim(), "Paid");
  assert.equal((await page.textContent("[data-testid=document-outstanding]")).trim(), "0.00 EUR");
  await shot(page, "documents-05-paid");
  assert.deepEqual(problems, []);
  await ctx.close();
});
