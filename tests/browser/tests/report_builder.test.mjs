// The report builder in a real browser: deals of two companies entered through the API, a
// custom report built on the page (deals grouped by the company's industry, count and sum of
// the amount, a bar chart drawn on the server), exported to CSV and XLSX, the downloads read
// back, then saved as a shared report and opened again from the saved list.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startServer, launchBrowser, shot, shotsDir, watchConsole, api, PASSWORD } from "../harness.mjs";

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

test("build a grouped deal report with a chart, export it as CSV and XLSX, save and reopen it", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: "en-US", acceptDownloads: true });
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await page.goto(`${server.url}/login`);
  await page.fill("#email", "admin@example.com");
  await page.fill("#password", PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=welcome]");

  const acme = await api(page, "POST", "/companies", { name: "Acme", industry: "Retail" });
  const globex = await api(page, "POST", "/companies", { name: "Globex", industry: "Energy" });
  assert.equal(acme.status, 201);
  for (const [title, amount, company] of [
    ["Shop fit-out", "1000.00", acme],
    ["Tills", "250.50", acme],
    ["Turbine", "5000.00", globex],
  ]) {
    const r = await api(page, "POST", "/deals", { title, amount, currency: "EUR", company_id: company.body.id });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }

  // The page is in the navigation.
  await page.click("nav >> text=Report builder");
  await page.waitForSelector("[data-testid=rb-form]");
  assert.equal(await page.inputValue("[data-testid=rb-entity]"), "deal");
  await page.selectOption("[data-testid=rb-g1]", "company.industry");
  await page.selectOption("[data-testid=rb-a0-fn]", "count");
  await page.selectOption("[data-testid=rb-a1-fn]", "sum");
  await page.selectOption("[data-testid=rb-a1-field]", "amount");
  await page.fill("[data-testid=rb-sort]", "sum(amount)");
  await page.check("input[name=desc]");
  await page.selectOption("[data-testid=rb-chart]", "bar");
  await Promise.all([page.waitForURL(/run=1/), page.click("[data-testid=rb-run]")]);
  await page.waitForSelector("[data-testid=rb-table]");
  const rows = await page.$$eval("[data-testid=rb-table] tbody tr", (trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent.trim())),
  );
  assert.deepEqual(rows, [
    ["Energy", "1", "5000"],
    ["Retail", "2", "1250.5"],
  ]);
  // The chart is an SVG drawn on the server, with the groups as labels.
  const svg = await page.innerHTML("[data-testid=rb-chart-svg]");
  assert.match(svg, /<svg/);
  assert.match(svg, /Energy/);
  assert.match(svg, /Retail/);
  await shot(page, "report-builder-01-grouped");

  // CSV download: a header of labels and the same figures.
  const [csv] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=rb-export-csv]")]);
  assert.equal(csv.suggestedFilename(), "report.csv");
  const csvPath = join(shotsDir, "report-builder.csv");
  await csv.saveAs(csvPath);
  const lines = readFileSync(csvPath, "utf8").replace(/^\uFEFF/, "").trim().split(/\r?\n/);
  assert.deepEqual(lines, ["Company → Industry,Count,Sum of Amount", "Energy,1,5000", "Retail,2,1250.5"]);
  // XLSX download: a zip package with the sheet.
  const [xlsx] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=rb-export-xlsx]")]);
  assert.equal(xlsx.suggestedFilename(), "report.xlsx");
  const xlsxPath = join(shotsDir, "report-builder.xlsx");
  await xlsx.saveAs(xlsxPath);
  const bytes = readFileSync(xlsxPath);
  assert.equal(bytes.subarray(0, 2).toString(), "PK");
  assert.ok(bytes.includes(Buffer.from("xl/worksheets/sheet1.xml")));

  // Saved, shared, and opened again from the list.
  await page.fill("[data-testid=rb-name]", "Deals by industry");
  await page.check("[data-testid=rb-shared]");
  await Promise.all([page.waitForURL(/report=/), page.click("[data-testid=rb-save]")]);
  await page.waitForSelector("text=Report saved.");
  await page.waitForSelector("[data-testid=rb-table]");
  assert.equal(await page.inputValue("[data-testid=rb-g1]"), "company.industry");
  await page.goto(`${server.url}/report-builder`);
  await page.click("[data-testid=rb-saved] >> text=Deals by industry");
  await page.waitForSelector("[data-testid=rb-table]");
  assert.equal(await page.textContent("[data-testid=rb-table] tbody tr:first-child td:first-child"), "Energy");
  // The saved report's file is named after it.
  const [named] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=rb-export-csv]")]);
  assert.equal(named.suggestedFilename(), "Deals_by_industry.csv");

  // Records with a lookup column, and a field error shown on the page.
  await page.goto(`${server.url}/report-builder?entity=deal&run=1&col=title&col=company.name&col=amount&sort=amount&desc=1`);
  const recs = await page.$$eval("[data-testid=rb-table] tbody tr td:first-child", (tds) => tds.map((t) => t.textContent));
  assert.deepEqual(recs, ["Turbine", "Shop fit-out", "Tills"]);
  await page.goto(`${server.url}/report-builder?entity=deal&run=1&g1=title&b1=month`);
  assert.match(await page.textContent("[data-testid=rb-error]"), /group_by\[0\]\.bucket/);
  await shot(page, "report-builder-02-error");
  assert.deepEqual(problems, []);
  await ctx.close();
});
