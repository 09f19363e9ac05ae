// The deals list in a real browser: switch between the board and the list, filter with the
// quick filters and the filter builder, save the filter as a view; the deal form's
// search-as-you-type contact picker; the line editor's product picker with the keyboard.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, shot, signedIn, api } from "../harness.mjs";

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


const rowNames = (page) => page.locator("[data-testid=client-table] tbody tr[data-id] .name-cell a").allTextContents();

test("deals list: board/list switch, quick filters, the filter builder and a saved view", async () => {
  const { ctx, page, problems } = await signedIn(browser, server);
  for (const [title, amount, tags] of [["Fleet renewal", "12000", ["vip"]], ["Office chairs", "800", []], ["Servers", "4500", ["vip"]], ["Paper", "50", []]]) {
    const r = await api(page, "POST", "/deals", { title, amount, currency: "EUR", tags });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  await page.goto(`${server.url}/deals`);
  await page.waitForSelector("[data-testid=column]");
  await Promise.all([page.waitForURL(/\/deals\/list$/), page.click("[data-testid=layout-list]")]);
  assert.deepEqual((await rowNames(page)).sort(), ["Fleet renewal", "Office chairs", "Paper", "Servers"]);
  await shot(page, "deals-list-01-all");

  // Quick filter: an amount range typed in euros.
  await page.fill("[data-testid=qf-amount_min]", "500");
  await Promise.all([page.waitForURL(/amount_min=500/), page.press("[data-testid=qf-amount_min]", "Enter")]);
  assert.deepEqual((await rowNames(page)).sort(), ["Fleet renewal", "Office chairs", "Servers"]);

  // The filter builder: tag vip, title contains "serv".
  await page.click("#filter-builder > summary");
  const rows = page.locator("#fb-rows [data-row]");
  await rows.nth(0).locator("select[name=fb_field]").selectOption("tags");
  await rows.nth(0).locator("select[name=fb_op]").selectOption("has");
  await rows.nth(0).locator("input[name=fb_value]").fill("vip");
  await page.click("[data-add-row='#fb-rows']");
  await rows.nth(1).locator("select[name=fb_field]").selectOption("title");
  await rows.nth(1).locator("select[name=fb_op]").selectOption("contains");
  await rows.nth(1).locator("input[name=fb_value]").fill("serv");
  await Promise.all([page.waitForURL(/fb_field=/), page.click("[data-testid=fb-apply]")]);
  assert.deepEqual(await rowNames(page), ["Servers"]);
  await shot(page, "deals-list-02-filtered");

  // Saved as a private view, then found again from a clean list.
  await page.click("details.save-view > summary");
  await page.fill("#view-name", "Big vip servers");
  await Promise.all([page.waitForURL(/view=/), page.click("[data-testid=save-view] button[type=submit]")]);
  await page.goto(`${server.url}/deals/list`);
  assert.equal((await rowNames(page)).length, 4);
  await Promise.all([page.waitForURL(/view=/), page.selectOption("[data-testid=view-select]", { label: "Big vip servers" })]);
  assert.deepEqual(await rowNames(page), ["Servers"]);
  await shot(page, "deals-list-03-view");

  // And back to the board.
  await Promise.all([page.waitForURL(/\/deals$/), page.click("[data-testid=layout-board]")]);
  await page.waitForSelector("[data-testid=column]");
  assert.deepEqual(problems, []);
  await ctx.close();
});

test("deal form picks a contact by typing; the line editor picks a product with the keyboard", async () => {
  const { ctx, page, problems } = await signedIn(browser, server);
  const c = await api(page, "POST", "/contacts", { first_name: "Anna", last_name: "Karenina" });
  assert.equal(c.status, 201);
  await api(page, "POST", "/contacts", { first_name: "Boris", last_name: "Godunov" });
  const eur = await api(page, "POST", "/price-lists", { name: "Retail EUR", currency: "EUR" });
  const laptop = await api(page, "POST", "/products", {
    name: "Laptop Pro 14", sku: "LP-14", unit: "pcs", cost: "700", cost_currency: "EUR",
    prices: [{ price_list_id: eur.body.id, amount: "999.90" }],
  });
  assert.equal(laptop.status, 201, JSON.stringify(laptop.body));

  await page.goto(`${server.url}/deals/new`);
  await page.fill("[data-testid=f-title]", "Laptops for Anna");
  await page.click("[data-testid=f-contact]");
  await page.type("[data-testid=f-contact]", "karen", { delay: 30 });
  // On focus the picker offers the first contacts by name; typing narrows them to one.
  await page.waitForFunction(() => {
    const opts = document.querySelectorAll("#f-contact-list [data-testid=pick-option]");
    return opts.length === 1 && opts[0].textContent.includes("Anna Karenina");
  });
  await shot(page, "deals-pick-01-contact");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  assert.equal(await page.inputValue("[data-testid=f-contact]"), "Anna Karenina");
  await Promise.all([page.waitForURL(/\/deals\/[0-9a-f-]{36}$/), page.click("[data-testid=save]")]);
  assert.match(await page.textContent("[data-testid=deal-details]"), /Anna Karenina/);

  // The line editor: type a SKU, choose with the keyboard; the price comes from the price list.
  const name = page.locator("[data-testid=item-row-new] [data-testid=item-name]");
  await name.click();
  await name.type("lp-1", { delay: 30 });
  await page.waitForFunction(() => {
    const opts = document.querySelectorAll("[data-testid=item-row-new] [data-testid=pick-option]");
    return opts.length === 1 && opts[0].textContent.includes("LP-14");
  });
  await page.waitForLoadState("networkidle");
  await shot(page, "deals-pick-02-product");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  assert.equal(await name.inputValue(), "Laptop Pro 14");
  assert.equal(await page.inputValue("[data-testid=item-row-new] input[name=item_price]"), "999.90");
  await page.fill("[data-testid=item-row-new] input[name=item_quantity]", "2");
  await Promise.all([page.waitForURL(/\/deals\/[0-9a-f-]{36}$/), page.click("[data-testid=items-save]")]);
  assert.match(await page.textContent("[data-testid=deal-total]"), /1999\.80 EUR/);
  // A catalogue line: its cost and margin are known.
  assert.match(await page.textContent("[data-testid=deal-margin]"), /1400\.00 · 599\.80/);
  await shot(page, "deals-pick-03-lines");
  assert.deepEqual(problems, []);
  await ctx.close();
});

test("products: edit a product's prices per price list; manage price lists", async () => {
  const { ctx, page, problems } = await signedIn(browser, server);
  await page.goto(`${server.url}/products/price-lists`);
  await page.fill("[data-testid=new-price-list] input[name=name]", "Export USD");
  await page.fill("[data-testid=new-price-list] input[name=currency]", "usd");
  await page.click("[data-testid=new-price-list] button[type=submit]");
  await page.waitForSelector("[data-testid=price-lists] .badge >> text=USD");
  await shot(page, "products-price-lists");
  const prod = await api(page, "POST", "/products", { name: "Monitor 27", sku: "MON-27", unit: "pcs" });
  await page.goto(`${server.url}/products/${prod.body.id}`);
  await Promise.all([page.waitForURL(/\/edit$/), page.click("[data-testid=edit]")]);
  const usd = page.locator("[data-testid=product-prices] .field", { hasText: "Export USD" });
  await usd.locator("[data-testid=price-amount]").fill("249.00");
  await page.fill("[data-testid=pf-name]", "Monitor 27\" 4K");
  await shot(page, "products-edit");
  await Promise.all([page.waitForURL(/\/products\/[0-9a-f-]{36}$/), page.click("[data-testid=save]")]);
  assert.match(await page.textContent("[data-testid=record-name]"), /Monitor 27" 4K/);
  assert.match(await page.textContent(".facts"), /249\.00 USD/);
  assert.deepEqual(problems, []);
  await ctx.close();
});
