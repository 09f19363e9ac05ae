import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, shot, watchConsole, PASSWORD, api } from "../harness.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ CLIENTELE_DEFAULT_REGION: "RU" });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signIn(page) {
  await page.goto(`${server.url}/login`);
  await page.fill("#email", "admin@example.com");
  await page.fill("#password", PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=welcome]");
}

test("leads: list, card, conversion screen; products: catalogue, card, receipt", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: "en-US" });
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await signIn(page);

  // A contact that the lead will match by phone, typed another way.
  const created = await api(page, "POST", "/contacts", { first_name: "Ivan", last_name: "Petrov", phones: ["+74951234567"] });
  assert.equal(created.status, 201);

  await page.goto(`${server.url}/leads`);
  await page.click("[data-testid=new-lead] summary");
  await page.fill("#ln-name", "Ivan P.");
  await page.fill("#ln-company", "Romashka LLC");
  await page.fill("#ln-phone", "8 (495) 123-45-67");
  await page.fill("#ln-source", "website");
  await page.fill("#ln-utm", "google");
  await page.selectOption("#ln-temp", "hot");
  await page.click("[data-testid=new-lead-form] button[type=submit]");
  await page.waitForSelector("[data-testid=record-name]");
  assert.equal((await page.textContent("[data-testid=record-name]")).trim(), "Ivan P.");
  await shot(page, "leads-card");
  await page.goto(`${server.url}/leads`);
  assert.ok(await page.isVisible("[data-testid=client-table] >> text=Ivan P."));
  await shot(page, "leads-list");
  await page.click("[data-testid=client-table] >> text=Ivan P.");
  await page.click("[data-testid=convert]");
  await page.waitForSelector("[data-testid=convert-form]");
  await shot(page, "leads-convert");
  await page.fill("#cv-amount", "1500");
  await page.fill("#cv-currency", "EUR");
  await page.click("[data-testid=convert-submit]");
  await page.waitForSelector("[data-testid=converted]");
  await shot(page, "leads-converted");

  // Products: a category, a product with a price, a receipt, the card with movements.
  await page.goto(`${server.url}/products/categories`);
  await page.fill("#cn", "Hardware");
  await page.click("form[action='/products/categories'] button[type=submit]");
  await page.waitForSelector("[data-testid=category-tree] >> text=Hardware");
  await page.goto(`${server.url}/products`);
  await page.click("[data-testid=new-product] summary");
  await page.fill("#pn-name", "Laptop Pro 14");
  await page.fill("#pn-sku", "lp-14");
  await page.fill("#pn-unit", "pcs");
  await page.selectOption("#pn-cat", { label: "Hardware" });
  await page.fill("#pn-cost", "800");
  await page.fill("input[name=cost_currency]", "EUR");
  await page.click("[data-testid=new-product-form] button[type=submit]");
  await page.waitForSelector("[data-testid=stock-form]");
  await page.fill("#sq", "12.5");
  await page.fill("#sn", "PO-1");
  await page.click("[data-testid=stock-form] button[type=submit]");
  await page.waitForSelector("[data-testid=movements] >> text=PO-1");
  assert.match(await page.textContent("[data-testid=on-hand]"), /12\.5 pcs/);
  await shot(page, "products-card");
  await page.goto(`${server.url}/products`);
  assert.ok(await page.isVisible("[data-testid=product-table] >> text=LP-14"));
  await shot(page, "products-list");
  assert.deepEqual(problems, []);
  await ctx.close();
});
