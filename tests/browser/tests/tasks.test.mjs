// Tasks, the timeline and the calendar in a real browser: a task given to a colleague from a
// deal card, who signs in and finds the notification (the bell updates without a reload); a
// call logged on the card shows on its timeline; a task dragged to another time in the week
// view is saved there.
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

async function signedIn(email, viewport = { width: 1400, height: 900 }) {
  const ctx = await browser.newContext({ viewport, locale: "en-US" });
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await page.goto(`${server.url}/login`);
  await page.fill("#email", email);
  await page.fill("#password", PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=welcome]");
  return { ctx, page, problems };
}

/** A JSON API call in the page's session (cookie plus its CSRF token). */
async function api(page, method, path, data) {
  const me = await page.request.get(`${server.url}/api/v1/auth/me`);
  assert.equal(me.status(), 200);
  const csrf = (await me.json()).csrf_token;
  const r = await page.request.fetch(`${server.url}/api/v1${path}`, {
    method,
    data,
    headers: { "x-csrf-token": csrf ?? "", "content-type": "application/json" },
  });
  const body = await r.json().catch(() => null);
  assert.ok(r.ok(), `${method} ${path}: ${r.status()} ${JSON.stringify(body)}`);
  return body;
}

// Days of next week (the week view runs Monday to Sunday), so that the task, the slot it is
// dragged to and the day the keyboard moves it to are in one week whatever today is.
const nextMonday = (() => {
  const d = new Date();
  d.setUTCHours(12, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() + ((8 - d.getUTCDay()) % 7 || 7));
  return d;
})();
const day = (offset) => new Date(nextMonday.getTime() + offset * 86400000).toISOString().slice(0, 10);

let dealId;
const due = day(1);

test("a task given to a colleague from a deal card, and a call logged on it, show on its timeline", async () => {
  const { ctx, page, problems } = await signedIn("admin@example.com");
  const deal = await api(page, "POST", "/deals", { title: "Northwind renewal", amount: "12000", currency: "EUR" });
  dealId = deal.id;
  await page.goto(`${server.url}/deals/${dealId}`);
  const tl = page.locator("[data-testid=timeline]");
  await tl.waitFor();

  // A task for Max, due at 10:00 next Tuesday, with a reminder.
  await tl.locator("[data-testid=tl-task] > summary").click();
  await tl.locator("[data-testid=task-title]").fill("Prepare the renewal contract");
  await tl.locator("[data-testid=task-due]").fill(`${due}T10:00`);
  await tl.locator("[data-testid=task-assignee]").selectOption({ label: "Max Manager" });
  await tl.locator("select[name=reminder]").selectOption("60");
  await tl.locator("[data-testid=task-save]").click();
  await page.locator("[data-testid=tl-item][data-kind=task]", { hasText: "Prepare the renewal contract" }).waitFor();

  // A call, logged from the same card.
  const box = page.locator("[data-testid=timeline]");
  await box.locator("[data-testid=tl-log] > summary").click();
  await box.locator("[data-testid=activity-kind]").selectOption("call");
  await box.locator("select[name=direction]").selectOption("outbound");
  await box.locator("select[name=result]").selectOption("connected");
  await box.locator("[data-testid=activity-duration]").fill("4:30");
  await box.locator("[data-testid=activity-subject]").fill("Talked about the renewal terms");
  await box.locator("[data-testid=activity-form] textarea[name=body]").fill("They want a 3-year contract.\nSend the draft by Friday.");
  await box.locator("[data-testid=activity-save]").click();
  const call = page.locator("[data-testid=tl-item][data-kind=call]");
  await call.waitFor();
  const text = await call.innerText();
  assert.match(text, /Talked about the renewal terms/);
  assert.match(text, /Outgoing/);
  assert.match(text, /Talked/);
  assert.match(text, /4:30 min/);
  assert.match(text, /3-year contract/);

  // A comment with formatting; the timeline filters by type.
  await page.locator("[data-testid=timeline] [data-testid=tl-comment] > summary").click();
  await page.locator("[data-testid=comment-body]").fill("Max, the **draft** is in the shared folder. <b>not bold</b>");
  await page.locator("[data-testid=comment-save]").click();
  const comment = page.locator("[data-testid=tl-item][data-kind=comment]");
  await comment.waitFor();
  assert.equal(await comment.locator("strong").first().innerText(), "draft");
  assert.match(await comment.innerText(), /<b>not bold<\/b>/, "HTML in a comment stays text");
  await shot(page, "tasks-deal-card-timeline");
  await page.locator("[data-testid=timeline] .tl-filters a", { hasText: "Call" }).click();
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=tl-item]").length === 1);
  assert.equal(await page.locator("[data-testid=tl-item]").getAttribute("data-kind"), "call");

  // The same call shows on the card after a reload (it is stored, not only drawn).
  await page.reload();
  await page.locator("[data-testid=tl-item][data-kind=call]", { hasText: "renewal terms" }).waitFor();
  assert.deepEqual(problems, []);
  await ctx.close();
});

test("the colleague signs in and sees the notification; the bell updates without a reload", async () => {
  const { ctx, page, problems } = await signedIn("mgr@example.com");
  assert.equal(await page.locator("[data-testid=bell-count]").innerText(), "1");
  await page.locator("[data-testid=bell]").click();
  const item = page.locator("[data-testid=notifications] li").first();
  await item.waitFor();
  assert.match(await item.innerText(), /Ada Admin assigned you a task: Prepare the renewal contract/);
  await shot(page, "tasks-notifications");
  await item.locator("a").click();
  await page.waitForURL(/\/tasks\//);
  assert.equal(await page.locator("[data-testid=record-name]").innerText(), "Prepare the renewal contract");
  assert.match(await page.locator("[data-testid=task-due-text]").innerText(), new RegExp(`${due} 10:00`));
  await shot(page, "tasks-task-card");

  // While Max looks at his tasks, Ada gives him another one: the bell counts it by itself.
  await page.goto(`${server.url}/tasks`);
  assert.equal(await page.locator("[data-testid=bell-count]").count(), 0);
  const admin = await signedIn("admin@example.com");
  const users = await api(admin.page, "GET", "/users");
  const max = users.data.find((u) => u.email === "mgr@example.com");
  await api(admin.page, "POST", "/tasks", { title: "Call Northwind's buyer", kind: "call", assignee_id: max.id, due_at: `${due}T15:00`, related: { type: "deal", id: dealId } });
  await admin.ctx.close();
  await page.locator("[data-testid=bell-count]").waitFor({ timeout: 30000 });
  assert.equal(await page.locator("[data-testid=bell-count]").innerText(), "1");
  await page.reload();
  assert.equal(await page.locator("[data-testid=task-table] tbody tr").count(), 2);
  await shot(page, "tasks-list");
  assert.deepEqual(problems, []);
  await ctx.close();
});

test("drag a task to another time in the week view: it is saved there", async () => {
  const { ctx, page, problems } = await signedIn("mgr@example.com");
  await page.goto(`${server.url}/calendar?view=week&date=${due}`);
  const ev = page.locator("[data-testid=event]", { hasText: "Prepare the renewal contract" });
  await ev.waitFor();
  assert.equal(await ev.getAttribute("data-start"), `${due}T10:00:00`);
  await shot(page, "tasks-calendar-week");
  const target = day(3);
  const slot = page.locator(`[data-testid="slot-${target}T14:00"]`);
  await slot.scrollIntoViewIfNeeded();
  await ev.scrollIntoViewIfNeeded();
  const from = await ev.boundingBox();
  const to = await slot.boundingBox();
  await page.mouse.move(from.x + 20, from.y + 8);
  await page.mouse.down();
  await page.mouse.move(from.x + 40, from.y + 30, { steps: 5 });
  await page.mouse.move(to.x + to.width / 2, to.y + 6, { steps: 20 });
  await page.mouse.up();
  await page.locator(".toast", { hasText: "Task moved." }).waitFor();
  await page.locator(`[data-testid=event][data-start="${target}T14:00:00"]`, { hasText: "Prepare the renewal contract" }).waitFor();

  // Stored: a reload and the API agree.
  await page.reload();
  const moved = page.locator("[data-testid=event]", { hasText: "Prepare the renewal contract" });
  assert.equal(await moved.getAttribute("data-start"), `${target}T14:00:00`);
  const tasks = await api(page, "GET", "/tasks?mine=true");
  const t = tasks.data.find((x) => x.title === "Prepare the renewal contract");
  assert.equal(t.due_local, `${target}T14:00:00`);

  // The keyboard moves it too: Alt+← is a day earlier, Alt+↓ half an hour later.
  await moved.focus();
  await page.keyboard.press("Alt+ArrowLeft");
  await page.locator(`[data-testid=event][data-start="${day(2)}T14:00:00"]`).waitFor();
  await page.locator(`[data-testid=event][data-start="${day(2)}T14:00:00"]`).focus();
  await page.keyboard.press("Alt+ArrowDown");
  await page.locator(`[data-testid=event][data-start="${day(2)}T14:30:00"]`).waitFor();
  await page.goto(`${server.url}/calendar?view=month&date=${due}`);
  await page.locator("[data-testid=event]").first().waitFor();
  await shot(page, "tasks-calendar-month");
  assert.deepEqual(problems, []);
  await ctx.close();
});

test("the events feed tells the head of sales what happened today", async () => {
  const { ctx, page, problems } = await signedIn("admin@example.com");
  await page.goto(`${server.url}/feed`);
  const feed = page.locator("[data-testid=feed]");
  await feed.waitFor();
  const text = await feed.innerText();
  assert.match(text, /Ada Admin created deal Northwind renewal/);
  assert.match(text, /Max Manager changed/);
  await shot(page, "tasks-feed");
  assert.deepEqual(problems, []);
  await ctx.close();
});
