// The sales funnel in a real browser: the kanban board (quick add, drag and drop between
// stages that persists, a refused move that slides back), and the deal card's line items.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, shot, signedIn } from "../harness.mjs";

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


const column = (page, i) => page.locator("[data-testid=column]").nth(i);

async function titlesIn(page, i) {
  return column(page, i).locator("[data-testid=deal-card] .deal-card-title").allTextContents();
}

/** Quick-adds a deal to the i-th column of the board. */
async function quickAdd(page, i, title, amount) {
  const col = column(page, i);
  await col.locator(".quick-add > summary").click();
  await col.locator("[data-testid=quick-title]").fill(title);
  await col.locator("[data-testid=quick-amount]").fill(amount);
  await Promise.all([page.waitForURL(/\/deals\?/), col.locator("[data-testid=quick-save]").click()]);
  await page.waitForSelector(`text=${title}`);
}

/** Drags a card onto a column with real mouse moves (SortableJS listens to pointer events). */
async function drag(page, card, target) {
  const from = await card.boundingBox();
  const to = await target.boundingBox();
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2 + 10, from.y + from.height / 2 + 10, { steps: 5 });
  await page.mouse.move(to.x + to.width / 2, to.y + 80, { steps: 20 });
  await page.mouse.move(to.x + to.width / 2, to.y + 90, { steps: 5 });
  await page.mouse.up();
}

test("drag a deal to another stage: the move is saved, counted and still there after a reload", async () => {
  const { ctx, page, problems } = await signedIn(browser, server);
  await page.goto(`${server.url}/deals`);
  await page.waitForSelector("[data-testid=column]");
  const names = await page.locator("[data-testid=column] h2").allTextContents();
  assert.deepEqual(names, ["Qualification", "Needs analysis", "Proposal", "Negotiation"]);

  await quickAdd(page, 0, "Серверы для ООО Ромашка", "1200.50");
  await quickAdd(page, 0, "Second deal", "300");
  assert.deepEqual((await titlesIn(page, 0)).sort(), ["Second deal", "Серверы для ООО Ромашка"].sort());
  assert.equal((await column(page, 0).locator("[data-testid=column-count]").textContent()).trim(), "2");
  await shot(page, "deals-01-board");

  const card = column(page, 0).locator("[data-testid=deal-card]", { hasText: "Серверы для ООО Ромашка" });
  await drag(page, card, column(page, 2).locator("[data-cards]"));
  // The counts and sums come back from the server once the move is saved.
  await page.waitForFunction(() => {
    const cols = document.querySelectorAll("[data-testid=column]");
    return cols[2].querySelector("[data-count]").textContent.trim() === "1";
  });
  assert.equal((await column(page, 0).locator("[data-testid=column-count]").textContent()).trim(), "1");
  assert.match(await column(page, 2).locator("[data-testid=column-sum]").textContent(), /1200\.50 EUR/);
  await shot(page, "deals-02-after-drag");

  await page.reload();
  await page.waitForSelector("[data-testid=column]");
  assert.deepEqual(await titlesIn(page, 2), ["Серверы для ООО Ромашка"]);
  assert.deepEqual(await titlesIn(page, 0), ["Second deal"]);

  // The card shows the stage and its history: created in Qualification, moved to Proposal.
  await Promise.all([page.waitForURL(/\/deals\/[0-9a-f-]{36}$/), page.click("text=Серверы для ООО Ромашка")]);
  assert.equal((await page.textContent("[data-testid=deal-stage]")).trim(), "Proposal");
  const history = await page.locator("[data-testid=history-row]").allTextContents();
  assert.equal(history.length, 2, history.join(" | "));
  assert.match(history[0], /Proposal\s*Qualification/);
  assert.deepEqual(problems, []);
  await ctx.close();
});

test("a move the server refuses slides back and says why; losing a deal asks for the reason", async () => {
  const { ctx, page, problems } = await signedIn(browser, server);
  // Reached through the sidebar (a boosted navigation): the board's script starts all the same.
  await page.click(".sidebar >> text=Deals");
  await page.waitForSelector("[data-kanban][data-ready]");
  await quickAdd(page, 1, "Gone meanwhile", "50");
  await quickAdd(page, 1, "Lost cause", "70");
  const gone = column(page, 1).locator("[data-testid=deal-card]", { hasText: "Gone meanwhile" });
  const href = await gone.locator("a").getAttribute("href");

  // Someone deletes the deal in another tab while the board is open.
  const other = await ctx.newPage();
  await other.goto(`${server.url}${href}`);
  other.on("dialog", (d) => d.accept());
  await Promise.all([other.waitForURL(/\/deals$/), other.click("button.button-danger >> text=Delete")]);
  await other.close();

  await drag(page, gone, column(page, 3).locator("[data-cards]"));
  await page.waitForSelector(".toast-error");
  assert.match(await page.textContent(".toast-error"), /not found/i);
  // Back where it was, in the second column.
  await page.waitForFunction(() => {
    const cols = document.querySelectorAll("[data-testid=column]");
    return [...cols[1].querySelectorAll(".deal-card-title")].some((a) => a.textContent.includes("Gone meanwhile"));
  });
  assert.deepEqual(await titlesIn(page, 3), []);
  await shot(page, "deals-03-refused");

  // Dropping on "lost" asks for a loss reason; the deal leaves the board once saved.
  const lost = column(page, 1).locator("[data-testid=deal-card]", { hasText: "Lost cause" });
  await drag(page, lost, page.locator("[data-testid=drop-lost] [data-cards]"));
  await page.waitForSelector("[data-testid=loss-dialog][open]");
  await page.selectOption("[data-testid=loss-reason]", { index: 1 });
  await shot(page, "deals-04-loss-reason");
  await page.click("[data-testid=loss-confirm]");
  await page.waitForFunction(() => ![...document.querySelectorAll(".deal-card-title")].some((a) => a.textContent.includes("Lost cause")));
  await page.reload();
  assert.ok(!(await titlesIn(page, 1)).includes("Lost cause"));
  assert.deepEqual(problems.filter((p) => !p.includes("404")), []);
  await ctx.close();
});

test("a deal with two line items: exact totals on the card", async () => {
  const { ctx, page, problems } = await signedIn(browser, server);
  await page.goto(`${server.url}/deals/new`);
  await page.fill("[data-testid=f-title]", "Equipment for Séoul office");
  await Promise.all([page.waitForURL(/\/deals\/[0-9a-f-]{36}$/), page.click("[data-testid=save]")]);

  const row = (i) => page.locator("#item-rows [data-row]").nth(i);
  await row(0).locator("[name=item_name]").fill("Сервер Dell R760");
  await row(0).locator("[name=item_quantity]").fill("2");
  await row(0).locator("[name=item_price]").fill("4990.00");
  await row(0).locator("[name=item_discount]").fill("5");
  await row(0).locator("[name=item_tax]").fill("20");
  await page.click("[data-add-row='#item-rows']");
  await row(1).locator("[name=item_name]").fill("설치 서비스");
  await row(1).locator("[name=item_quantity]").fill("3");
  await row(1).locator("[name=item_price]").fill("120.10");
  await Promise.all([page.waitForURL(/\/deals\/[0-9a-f-]{36}$/), page.click("[data-testid=items-save]")]);
  await page.waitForSelector("text=Line items saved.");
  // 2 × 4990.00 − 5 % = 9481.00, + 20 % tax = 11377.20; 3 × 120.10 = 360.30; total 11737.50.
  assert.equal((await page.textContent("[data-testid=deal-total]")).trim(), "11737.50 EUR");
  assert.equal((await page.textContent("[data-testid=deal-amount]")).trim(), "11737.50 EUR");
  assert.equal(await page.locator("[data-testid=item-row]").count(), 2);
  await shot(page, "deals-05-line-items");

  // A bad quantity is refused with the line's field named, nothing saved.
  await row(0).locator("[name=item_quantity]").fill("two");
  await page.click("[data-testid=items-save]");
  await page.waitForSelector(".field-error");
  assert.equal((await page.textContent("[data-testid=deal-total]")).trim(), "11737.50 EUR");
  assert.deepEqual(problems.filter((p) => !p.includes("422")), []);
  await ctx.close();
});

test("pipeline settings: add, rename and reorder stages; a stage with deals cannot be removed", async () => {
  const { ctx, page, problems } = await signedIn(browser, server);
  await page.goto(`${server.url}/settings/pipelines`);
  const pipeline = page.locator("[data-testid=pipeline]").first();
  const names = async () => pipeline.locator("[data-testid=stage-name]").evaluateAll((els) => els.map((e) => e.value));
  // Each change reloads the page (a boosted form): wait for what it changed to show.
  const until = (expected) =>
    page.waitForFunction((want) => {
      const got = [...document.querySelectorAll("[data-testid=pipeline]")[0].querySelectorAll("[data-testid=stage-name]")].map((e) => e.value);
      return JSON.stringify(got) === JSON.stringify(want);
    }, expected);
  await pipeline.locator("[data-testid=stage-new]").fill("Contract signing");
  await pipeline.locator("[data-testid=stage-new] ~ button").click();
  await until(["Qualification", "Needs analysis", "Proposal", "Negotiation", "Contract signing", "Won", "Lost"]);

  // Move "Contract signing" one place up, rename "Proposal".
  await pipeline.locator("[data-testid=stage-row]").nth(4).locator("button[title='Move up']").click();
  await until(["Qualification", "Needs analysis", "Proposal", "Contract signing", "Negotiation", "Won", "Lost"]);
  const proposal = pipeline.locator("[data-testid=stage-row]").nth(2);
  await proposal.locator("[data-testid=stage-name]").fill("Коммерческое предложение");
  await proposal.locator("button:has-text('Save')").click();
  await until(["Qualification", "Needs analysis", "Коммерческое предложение", "Contract signing", "Negotiation", "Won", "Lost"]);
  assert.equal((await names()).length, 7);

  // The first test left a deal in that stage: removing it is refused with the count.
  page.on("dialog", (d) => d.accept());
  await pipeline.locator("[data-testid=stage-row]").nth(2).locator("[data-testid=stage-remove]").click();
  await page.waitForSelector("[data-testid=settings-error]");
  assert.match(await page.textContent("[data-testid=settings-error]"), /1 deal/);
  await shot(page, "deals-06-pipeline-settings");

  // The board follows the new order.
  await page.goto(`${server.url}/deals`);
  const cols = await page.locator("[data-testid=column] h2").allTextContents();
  assert.deepEqual(cols, ["Qualification", "Needs analysis", "Коммерческое предложение", "Contract signing", "Negotiation"]);
  assert.deepEqual(problems.filter((p) => !p.includes("409")), []);
  await ctx.close();
});
