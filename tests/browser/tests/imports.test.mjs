// Imports and exports in a real browser: a CSV with Russian headers uploaded, mapped,
// previewed and imported (the progress bar runs to the end), the contact found in the list;
// then the contact list exported as CSV and downloaded.
//
// The harness's server runs without the background worker; this one needs it, so it starts
// its own server the same way, with the worker.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bin, launchBrowser, shot, watchConsole, PASSWORD } from "../harness.mjs";

let server;
let browser;

function cli(dir, args, input) {
  const r = spawnSync(bin, args, {
    cwd: dir,
    input,
    encoding: "utf8",
    env: { ...process.env, CLIENTELE_DATABASE_URL: `sqlite://${join(dir, "clientele.db")}` },
  });
  if (r.status !== 0) throw new Error(`clientele ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

async function startServerWithWorker(env = {}) {
  const dir = mkdtempSync(join(tmpdir(), "clientele-browser-"));
  cli(dir, ["migrate"]);
  cli(dir, ["user", "add", "--email", "admin@example.com", "--name", "Ada Admin", "--role", "admin", "--password-stdin"], PASSWORD + "\n");
  const child = spawn(bin, ["serve", "--listen", "127.0.0.1:0"], {
    cwd: dir,
    env: { ...process.env, ...env, CLIENTELE_DATABASE_URL: `sqlite://${join(dir, "clientele.db")}`, CLIENTELE_LOG: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = await new Promise((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`server did not start in 30 s: ${out} ${stderr}`)), 30000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/running at (http:\/\/[0-9.:]+)/);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.on("exit", (code) => fail(new Error(`server exited (${code}): ${stderr}`)));
  });
  return {
    url,
    dir,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

before(async () => {
  server = await startServerWithWorker({ CLIENTELE_DEFAULT_REGION: "RU" });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signedIn(viewport = { width: 1280, height: 900 }) {
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

const CSV = [
  "Имя;Фамилия;Мобильный телефон;Эл. почта;Компания;Должность",
  "Мария;Кузнецова;8 (495) 123-45-67;maria@romashka.ru;ООО Ромашка;Директор",
  "Пётр;Волков;+7 916 555-12-34;это-не-почта;;Менеджер",
  "Светлана;Орлова;8 916 777 88 99;s.orlova@example.com;ООО Ромашка;Бухгалтер",
].join("\n") + "\n";

test("upload, map, preview and import a CSV with Russian headers; then export the list", async () => {
  const { ctx, page, problems } = await signedIn();
  const file = join(server.dir, "клиенты.csv");
  writeFileSync(file, CSV, "utf8");

  // The navigation leads to the imports.
  await page.click("nav a[href='/imports']");
  await page.waitForSelector("[data-testid=upload-form]");
  await page.selectOption("#imp-entity", "contacts");
  await page.setInputFiles("[data-testid=upload-file]", file);
  await Promise.all([page.waitForURL(/\/imports\/[0-9a-f-]{36}$/), page.click("[data-testid=upload-submit]")]);
  const importUrl = page.url();

  // The mapping: suggested from the Russian headers.
  await page.waitForSelector("[data-testid=wizard]");
  const mapped = await page.$$eval("[data-testid=mapping] select[name=map]", (ss) => ss.map((s) => s.value));
  assert.deepEqual(mapped.slice(0, 5), ["contact.first_name", "contact.last_name", "contact.phone_mobile", "contact.email", "company.name"], mapped.join(","));
  assert.ok((await page.textContent("[data-testid=suggestion-0]")).includes("First name"));
  await shot(page, "imports-01-mapping");

  // Preview: the phone as it will be stored, the bad e-mail highlighted with its message.
  await Promise.all([page.waitForSelector("[data-testid=preview]"), page.click("[data-testid=preview-button]")]);
  const phones = await page.$$eval("[data-testid=preview-phone]", (els) => els.map((e) => e.textContent.trim()));
  assert.ok(phones.includes("8 (495) 123-45-67 → +74951234567"), phones.join(" | "));
  const errors = await page.$$eval("[data-testid=preview-error]", (els) => els.map((e) => e.textContent.trim()));
  assert.ok(errors.some((e) => e.startsWith("Эл. почта:")), errors.join(" | "));
  assert.equal(await page.locator(".preview-table td.cell-error").count() >= 1, true);
  await shot(page, "imports-02-preview");

  // Import: the progress bar, then the summary once the run has finished.
  await Promise.all([page.waitForURL(importUrl), page.click("[data-testid=start-import]")]);
  await page.waitForSelector("[data-testid=progress], [data-testid=summary]");
  if (await page.locator("[data-testid=progress]").count()) await shot(page, "imports-03-progress");
  await page.waitForSelector("[data-testid=summary]", { timeout: 20000 });
  assert.equal((await page.textContent("[data-testid=created]")).trim(), "2");
  assert.equal((await page.textContent("[data-testid=rejected]")).trim(), "1");
  assert.equal(await page.locator("[data-testid=report-row]").count(), 1);
  await shot(page, "imports-04-report");

  // The report downloads.
  const [report] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=report-csv]")]);
  assert.match(report.suggestedFilename(), /report\.csv$/);
  const reportText = readFileSync(await report.path(), "utf8");
  assert.ok(reportText.includes("это-не-почта"), reportText);

  // The imported contact is in the list.
  await page.goto(`${server.url}/contacts`);
  await page.fill("[data-testid=list-search]", "Кузнецова");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=client-table] tbody tr[data-id]").length === 1);
  assert.ok((await page.textContent("[data-testid=client-table]")).includes("Мария Кузнецова"));

  // Export the contact list as CSV and download it.
  await page.goto(`${server.url}/contacts`);
  await page.click("[data-testid=export-menu] > summary");
  await page.selectOption("[data-testid=export-format]", "csv");
  await shot(page, "imports-05-export-menu");
  await Promise.all([page.waitForURL(/\/exports\/[0-9a-f-]{36}$/), page.click("[data-testid=export-submit]")]);
  await page.waitForSelector("[data-testid=export-download]", { timeout: 20000 });
  await shot(page, "imports-06-export-ready");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=export-download]")]);
  assert.match(download.suggestedFilename(), /^contacts-.*\.csv$/);
  const csv = readFileSync(await download.path(), "utf8");
  assert.ok(csv.includes("Кузнецова") && csv.includes("Орлова"), csv);
  assert.ok(!csv.includes("Волков"), "the rejected row was not imported");

  // Export a selection from the bulk bar: the form carries the selected record.
  await page.goto(`${server.url}/contacts`);
  await page.check("[data-testid=client-table] tbody tr[data-id] input[name=ids]");
  await Promise.all([page.waitForSelector("[data-testid=export-form]"), page.click("[data-testid=bulk-export]")]);
  assert.equal(await page.locator("[data-testid=export-form] input[name=ids]").count(), 1);
  await page.check("[data-testid=export-form] input[name=format][value=xlsx]");
  await shot(page, "imports-10-export-selection");
  await Promise.all([page.waitForURL(/\/exports\/[0-9a-f-]{36}$/), page.click("[data-testid=export-form] [data-testid=export-submit]")]);
  await page.waitForSelector("[data-testid=export-download]", { timeout: 20000 });
  const [xlsx] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=export-download]")]);
  assert.match(xlsx.suggestedFilename(), /\.xlsx$/);

  // The same pages on a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(importUrl);
  await page.waitForSelector("[data-testid=summary]");
  await shot(page, "imports-07-report-phone");

  assert.deepEqual(problems, []);
  await ctx.close();
});

test("a larger import shows its progress bar live until done", async () => {
  const { ctx, page, problems } = await signedIn();
  const rows = ["Фамилия,Имя,Телефон"];
  for (let i = 0; i < 6000; i++) rows.push(`Тестов${i},Иван,+7 916 ${String(1000000 + i).slice(0, 3)}-${String(1000000 + i).slice(3, 5)}-${String(1000000 + i).slice(5, 7)}`);
  const file = join(server.dir, "большой.csv");
  writeFileSync(file, rows.join("\n") + "\n", "utf8");
  await page.goto(`${server.url}/imports`);
  await page.setInputFiles("[data-testid=upload-file]", file);
  await Promise.all([page.waitForURL(/\/imports\/[0-9a-f-]{36}$/), page.click("[data-testid=upload-submit]")]);
  const importUrl = page.url();
  await page.waitForSelector("[data-testid=wizard]");
  await Promise.all([page.waitForURL(importUrl), page.click("[data-testid=import-button]")]);
  await page.waitForSelector("[data-testid=progress], [data-testid=summary]");
  if (await page.locator("[data-testid=progress]").count()) {
    // The partial is polled: the rows done grow without a page load.
    await page
      .waitForFunction(
        () => {
          const done = document.querySelector("[data-testid=rows-done]");
          return document.querySelector("[data-testid=summary]") || (done && !done.textContent.trim().startsWith("0 /"));
        },
        null,
        { timeout: 20000 },
      )
      .catch(() => {});
    if (await page.locator("[data-testid=progress]").count()) await shot(page, "imports-03-progress");
  }
  await page.waitForSelector("[data-testid=summary]", { timeout: 60000 });
  assert.equal((await page.textContent("[data-testid=rows-done]")).trim(), "6000 / 6000");
  assert.equal((await page.textContent("[data-testid=created]")).trim(), "6000");
  await shot(page, "imports-09-large-done");
  assert.deepEqual(problems, []);
  await ctx.close();
});

test("the wizard fits a phone screen", async () => {
  const { ctx, page, problems } = await signedIn({ width: 390, height: 844 });
  const file = join(server.dir, "phone.csv");
  writeFileSync(file, "Name,Phone,Email\nAnn Lee,+7 916 000-00-01,ann@example.com\n", "utf8");
  await page.goto(`${server.url}/imports`);
  await page.setInputFiles("[data-testid=upload-file]", file);
  await Promise.all([page.waitForURL(/\/imports\/[0-9a-f-]{36}$/), page.click("[data-testid=upload-submit]")]);
  await page.waitForSelector("[data-testid=wizard]");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
  await shot(page, "imports-08-mapping-phone");
  assert.deepEqual(problems, []);
  await ctx.close();
});
