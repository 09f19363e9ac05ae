// The client base in a real browser: companies with contact persons, the top-bar search by
// phone, saved views from the filter builder, and merging duplicates.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, shot, watchConsole, PASSWORD } from "../harness.mjs";

let server;
let browser;

before(async () => {
  // Phones typed without a country code are read as Russian numbers.
  server = await startServer({ CLIENTELE_DEFAULT_REGION: "RU" });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signedIn(viewport = { width: 1280, height: 900 }) {
  const ctx = await browser.newContext({ viewport, locale: "en-US" });
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await page.goto(`${server.url}/login`);
  await page.fill("#email", "admin@example.com");
  await page.fill("#password", PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=welcome]");
  return { ctx, page, problems };
}

/** Fills and submits the contact form; returns the page after the redirect. */
async function newContact(page, { first, last = "", phone = "", tags = "" }) {
  await page.goto(`${server.url}/contacts/new`);
  await page.fill("#f-first_name", first);
  if (last) await page.fill("#f-last_name", last);
  if (phone) await page.fill("[data-testid=phone-0]", phone);
  if (tags) await page.fill("#f-tags", tags);
  await Promise.all([page.waitForURL(/\/contacts\/[0-9a-f-]{36}$/), page.click("[data-testid=save]")]);
}

test("create a company with two contact persons", async () => {
  const { ctx, page, problems } = await signedIn();
  await page.goto(`${server.url}/companies`);
  await page.click("[data-testid=new-record]");
  await page.waitForSelector("#f-name");
  await page.fill("#f-name", "ООО Ромашка");
  await page.fill("#f-tax_number", "7701 234567");
  await page.fill("#f-website", "romashka.ru");
  await page.fill("[data-testid=phone-0]", "8 (495) 765-43-21");
  await shot(page, "clients-01-company-form");
  await Promise.all([page.waitForURL(/\/companies\/[0-9a-f-]{36}$/), page.click("[data-testid=save]")]);
  const companyUrl = page.url();
  assert.equal((await page.textContent("[data-testid=record-name]")).trim(), "ООО Ромашка");

  // First person: "new contact in this company", the company prefilled.
  await page.click("[data-testid=new-person]");
  await page.waitForSelector("#f-first_name");
  const chosen = await page.$eval("#f-company_id", (s) => s.options[s.selectedIndex].textContent);
  assert.equal(chosen, "ООО Ромашка");
  await page.fill("#f-first_name", "Иван");
  await page.fill("#f-last_name", "Петров");
  await page.fill("#f-company_role", "director");
  await page.fill("[data-testid=phone-0]", "+7 916 111-22-33");
  await Promise.all([page.waitForURL(companyUrl), page.click("[data-testid=save]")]);

  // Second person: an existing contact, found by name and added as chief accountant.
  await newContact(page, { first: "Ольга", last: "Смирнова", phone: "+7 916 444-55-66" });
  await page.goto(companyUrl);
  await page.click(".add-person > summary");
  await page.type("[data-testid=person-search]", "Ольга");
  await page.waitForSelector("[data-testid=person-results] input[type=radio]");
  await page.selectOption("#person-role", "chief_accountant");
  await Promise.all([page.waitForURL(companyUrl), page.click("[data-testid=add-person]")]);
  await page.waitForSelector("text=Contact person added.");
  const rows = await page.$$eval("[data-testid=person-row]", (trs) => trs.map((t) => t.textContent.replace(/\s+/g, " ").trim()));
  assert.equal(rows.length, 2, rows.join(" | "));
  assert.ok(rows.some((r) => r.includes("Иван Петров") && r.includes("Director")), rows.join(" | "));
  assert.ok(rows.some((r) => r.includes("Ольга Смирнова") && r.includes("Chief accountant")), rows.join(" | "));
  await shot(page, "clients-02-company-card");

  // Inline edit on the card: the stage, saved in place.
  await page.click("[data-testid=edit-lifecycle]");
  await page.selectOption("#inline-lifecycle select", "customer");
  await page.click("#inline-lifecycle button[type=submit]");
  await page.waitForSelector("#inline-lifecycle .badge-customer");
  assert.deepEqual(problems, [], "no console errors or CSP violations");
  await ctx.close();
});

test("find a contact by phone typed as 8 (495) 123-45-67", async () => {
  const { ctx, page, problems } = await signedIn();
  await newContact(page, { first: "Анна", last: "Петрова", phone: "+7 495 123 45 67", tags: "VIP" });
  await page.waitForSelector("[data-testid=phones] >> text=+74951234567");
  await shot(page, "clients-03-contact-card");
  await page.goto(`${server.url}/`);
  await page.click("[data-testid=global-search]");
  await page.type("[data-testid=global-search]", "8 (495) 123-45-67");
  await page.waitForSelector("[data-testid=search-dropdown] >> text=Анна Петрова");
  await shot(page, "clients-04-search-dropdown");
  // Keyboard: down to the first result, Enter opens it.
  await page.keyboard.press("ArrowDown");
  assert.equal(await page.evaluate(() => document.activeElement.textContent.includes("Анна Петрова")), true);
  await Promise.all([page.waitForURL(/\/contacts\/[0-9a-f-]{36}$/), page.keyboard.press("Enter")]);
  assert.equal((await page.textContent("[data-testid=record-name]")).trim(), "Анна Петрова");
  // Enter in the search box goes to the full results page.
  await page.fill("[data-testid=global-search]", "Петрова");
  await Promise.all([page.waitForURL(/\/search\?q=/), page.press("[data-testid=global-search]", "Enter")]);
  assert.ok(await page.isVisible("[data-testid=search-results] >> text=Анна Петрова"));
  assert.deepEqual(problems, []);
  await ctx.close();
});

test("save a view from the filter builder", async () => {
  const { ctx, page, problems } = await signedIn();
  await newContact(page, { first: "Vera", last: "Viewtest", tags: "gold" });
  await newContact(page, { first: "Gleb", last: "Viewtest", tags: "gold, VIP" });
  await newContact(page, { first: "Petr", last: "Viewtest" });
  await page.goto(`${server.url}/contacts`);
  const all = await page.$$eval("[data-testid=client-table] tbody tr[data-id]", (r) => r.length);
  await page.click("#filter-builder > summary");
  const row = page.locator(".fb-row").first();
  await row.locator("select[name=fb_field]").selectOption("tags");
  await row.locator("select[name=fb_op]").selectOption("has");
  await row.locator("input[name=fb_value]").fill("gold");
  await Promise.all([page.waitForURL(/fb_field=tags/), page.click("[data-testid=fb-apply]")]);
  let names = await page.$$eval("[data-testid=client-table] tbody tr[data-id] .name-cell a", (a) => a.map((x) => x.textContent));
  assert.deepEqual(names.sort(), ["Gleb Viewtest", "Vera Viewtest"]);
  await page.click(".save-view > summary");
  await page.fill("#view-name", "Gold clients");
  await Promise.all([page.waitForURL(/\/contacts\?view=/), page.click("[data-testid=save-view] button[type=submit]")]);
  assert.ok(await page.isVisible("text=View saved."));
  const selected = await page.$eval("#view-select", (s) => s.options[s.selectedIndex].textContent);
  assert.equal(selected, "Gold clients");
  names = await page.$$eval("[data-testid=client-table] tbody tr[data-id] .name-cell a", (a) => a.map((x) => x.textContent));
  assert.deepEqual(names.sort(), ["Gleb Viewtest", "Vera Viewtest"]);
  await shot(page, "clients-05-saved-view");
  // Back to all records, then choose the view from the list: it applies at once.
  await page.goto(`${server.url}/contacts`);
  assert.equal(await page.$$eval("[data-testid=client-table] tbody tr[data-id]", (r) => r.length), all);
  await Promise.all([page.waitForURL(/view=/), page.selectOption("#view-select", { label: "Gold clients" })]);
  assert.equal(await page.$$eval("[data-testid=client-table] tbody tr[data-id]", (r) => r.length), 2);
  // Search as you type narrows the table in place.
  await page.type("[data-testid=list-search]", "gleb");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=client-table] tbody tr[data-id]").length === 1);
  assert.deepEqual(problems, []);
  await ctx.close();

  // The same list and a card at phone width: tables scroll inside, the page does not.
  const phone = await signedIn({ width: 390, height: 844 });
  {
  const { page, problems } = phone;
  await page.goto(`${server.url}/contacts`);
  await shot(page, "clients-09-mobile-list");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page is ${overflow}px wider than the screen`);
  await page.click("[data-testid=client-table] tbody tr[data-id] .name-cell a");
  await page.waitForSelector("[data-testid=record-name]");
  await shot(page, "clients-10-mobile-card");
  const overflow2 = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow2 <= 1, `card is ${overflow2}px wider than the screen`);
  assert.deepEqual(problems, []);
  await phone.ctx.close();
  }
});

test("merge two duplicates", async () => {
  const { ctx, page, problems } = await signedIn();
  await newContact(page, { first: "Ivan", last: "Dupont", phone: "8 (916) 777-88-99" });
  const survivorUrl = page.url();
  // The same number typed another way: the form warns and offers to save anyway.
  await page.goto(`${server.url}/contacts/new`);
  await page.fill("#f-first_name", "Ivan P.");
  await page.fill("#f-last_name", "Dupont");
  await page.fill("[data-testid=phone-0]", "+7 916 777 88 99");
  await page.fill("#f-notes", "Met at the fair");
  await page.click("[data-testid=save]");
  await page.waitForSelector("[data-testid=duplicate-warning]");
  await shot(page, "clients-06-duplicate-warning");
  assert.equal(await page.getAttribute("[data-testid=open-existing]", "href"), new URL(survivorUrl).pathname);
  await Promise.all([page.waitForURL(/\/contacts\/[0-9a-f-]{36}$/), page.click("[data-testid=save-anyway]")]);

  await page.goto(`${server.url}/contacts/duplicates`);
  await page.waitForSelector("[data-testid=dup-pair] >> text=+79167778899");
  await shot(page, "clients-07-duplicates");
  await Promise.all([page.waitForURL(/\/contacts\/merge\?/), page.click("[data-testid=merge-link]")]);
  await page.check("[data-testid=pick-b-first_name]");
  await shot(page, "clients-08-merge");
  await Promise.all([page.waitForURL(/\/contacts\/[0-9a-f-]{36}$/), page.click("[data-testid=merge-submit]")]);
  await page.waitForSelector("text=Records merged.");
  assert.equal(new URL(page.url()).pathname, new URL(survivorUrl).pathname, "the first record survives");
  assert.equal((await page.textContent("[data-testid=record-name]")).trim(), "Ivan P. Dupont");
  assert.ok(await page.isVisible("text=Met at the fair"));
  await page.goto(`${server.url}/contacts/duplicates`);
  assert.equal(await page.$$eval("[data-testid=dup-pair]", (d) => d.length), 0);
  assert.deepEqual(problems.filter((p) => !p.includes("409")), [], "only the expected 409 of the duplicate");
  await ctx.close();
});
