import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, shot, watchConsole, PASSWORD } from "../harness.mjs";

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

async function signIn(page, email, password) {
  await page.goto(`${server.url}/`);
  await page.waitForURL(/\/login/);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
}

test("sign in, see the shell, sign out", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await page.goto(`${server.url}/`);
  assert.match(page.url(), /\/login\?next=\//);
  await shot(page, "01-login");
  await signIn(page, "admin@example.com", PASSWORD);
  await page.waitForSelector("[data-testid=welcome]");
  assert.equal(await page.textContent("[data-testid=welcome]"), "Welcome, Ada Admin");
  for (const label of ["Contacts", "Companies", "Deals", "Tasks", "Inbox", "Reports", "Settings"]) {
    assert.ok(await page.isVisible(`.sidebar >> text=${label}`), `navigation shows ${label}`);
  }
  // htmx was loaded from the embedded pinned package, under the strict CSP.
  assert.equal(await page.evaluate(() => typeof window.htmx), "object");
  await shot(page, "02-home");

  // Boosted navigation to the users page, then the keyboard-reachable account menu.
  await page.click(".sidebar >> text=Settings");
  await page.waitForSelector("text=Audit log");
  await page.goto(`${server.url}/settings/users`);
  assert.ok(await page.isVisible("[data-testid=users-table] >> text=mgr@example.com"));
  await shot(page, "03-users");

  await page.click(".user-menu summary");
  await page.click("[data-testid=sign-out]");
  await page.waitForURL(/\/login/);
  assert.ok(await page.isVisible("text=You have signed out."));
  await page.goto(`${server.url}/settings/users`);
  assert.match(page.url(), /\/login/, "signed out for real");
  assert.deepEqual(problems, [], "no console errors or CSP violations");
  await ctx.close();
});

test("a wrong password shows an error", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await signIn(page, "admin@example.com", "not the password");
  await page.waitForSelector("[data-testid=login-error]");
  assert.equal((await page.textContent("[data-testid=login-error]")).trim(), "Wrong e-mail or password.");
  assert.equal(await page.inputValue("#email"), "admin@example.com", "the e-mail is kept");
  await shot(page, "04-login-error");
  await ctx.close();
});

test("phone-width layout and an API token from the settings", async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await signIn(page, "mgr@example.com", PASSWORD);
  await page.waitForSelector("[data-testid=welcome]");
  // The sidebar is a drawer on a phone: hidden until the menu button opens it.
  const sidebarRight = () => page.evaluate(() => document.getElementById("sidebar").getBoundingClientRect().right);
  assert.ok((await sidebarRight()) <= 0, "sidebar is off-screen");
  await page.click("[data-toggle-nav]");
  await page.waitForSelector(".sidebar.open");
  await page.waitForTimeout(300); // the drawer slides in
  assert.ok((await sidebarRight()) > 200, "sidebar slid in");
  await shot(page, "05-mobile-nav");
  await page.click(".sidebar >> text=Settings");
  await page.goto(`${server.url}/settings/tokens`);
  await page.fill("#tk-name", "Website form");
  await page.click("text=Create token");
  await page.waitForSelector("[data-testid=new-token]");
  assert.match(await page.textContent("[data-testid=new-token]"), /^clt_/);
  await shot(page, "06-mobile-token");
  // A manager is refused the audit log with a 403 page inside the shell.
  const r = await page.goto(`${server.url}/settings/audit`);
  assert.equal(r.status(), 403);
  assert.ok(await page.isVisible("text=Not allowed"));
  assert.deepEqual(problems.filter((p) => !p.includes("403")), []);
  await ctx.close();
});
