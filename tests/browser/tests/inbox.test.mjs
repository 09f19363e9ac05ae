import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, shot, watchConsole, signedIn, api } from "../harness.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ CLIENTELE_DEFAULT_REGION: "FR" });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("inbox: a visitor's chat message appears live, the manager answers it, the visitor reads the answer", async () => {
  const { ctx, page, problems } = await signedIn(browser, server);
  const ch = await api(page, "POST", "/channels", { kind: "chat", name: "Website chat", settings: { title: "Ask Acme", greeting: "Hello! How can we help?" } });
  assert.equal(ch.status, 201);
  const key = ch.body.public_key;

  // The manager has the inbox open before anything arrives.
  await page.goto(`${server.url}/inbox`);
  await page.waitForSelector("[data-testid=inbox-empty]");
  await shot(page, "inbox-empty");

  // A visitor on some website opens the chat widget (our embeddable script) and writes.
  const visitorCtx = await browser.newContext({ viewport: { width: 1000, height: 760 }, locale: "fr-FR" });
  const visitor = await visitorCtx.newPage();
  const visitorProblems = watchConsole(visitor);
  await visitor.setContent(
    `<!doctype html><html><body style="font-family:sans-serif;padding:40px;background:#fafafa"><h1>Acme shop</h1><p>Our products…</p>` +
      `<script src="${server.url}/chat/widget.js" data-channel="${key}"></script></body></html>`,
  );
  await visitor.waitForSelector("[data-clientele-chat-open]");
  await visitor.click("[data-clientele-chat-open]");
  await visitor.waitForSelector("[data-clientele-chat] [role=dialog] >> text=Hello! How can we help?");
  await visitor.fill("[data-clientele-chat] input[name=text]", "Bonjour, livrez-vous à Lyon ?");
  await visitor.press("[data-clientele-chat] input[name=text]", "Enter");
  await visitor.waitForSelector("[data-clientele-chat] >> text=Bonjour, livrez-vous à Lyon ?");

  // It shows up in the open inbox without a reload, unread.
  await page.waitForSelector("[data-testid=conv-row] >> text=Bonjour, livrez-vous à Lyon ?", { timeout: 15000 });
  assert.ok(await page.isVisible("[data-testid=conv-row] [data-testid=unread]"));
  await shot(page, "inbox-new-message");

  // The manager opens it: the lead it made is beside the conversation; the answer goes out.
  await page.click("[data-testid=conv-row]");
  await page.waitForSelector("[data-testid=thread] >> text=Bonjour, livrez-vous à Lyon ?");
  assert.ok(await page.isVisible("[data-testid=client-link]"));
  await page.fill("[data-testid=reply-text]", "Oui, en deux jours. Voir https://acme.test/livraison");
  await page.click("[data-testid=reply-send]");
  await page.waitForSelector("[data-testid=thread] >> text=Oui, en deux jours.");
  assert.equal(await page.inputValue("[data-testid=reply-text]"), "", "the form is cleared after sending");
  await shot(page, "inbox-conversation");

  // The visitor's widget shows the answer (it polls while open).
  await visitor.waitForSelector("[data-clientele-chat] >> text=Oui, en deux jours.", { timeout: 15000 });
  await shot(visitor, "chat-widget");

  // A second message from the visitor arrives live in the open conversation.
  await visitor.fill("[data-clientele-chat] input[name=text]", "Merci !");
  await visitor.press("[data-clientele-chat] input[name=text]", "Enter");
  await page.waitForSelector("[data-testid=thread] >> text=Merci !", { timeout: 15000 });

  // Close it: it leaves the default list; the closed filter shows it.
  await page.selectOption("[data-testid=conv-status]", "closed");
  await page.waitForSelector("#toasts >> text=Conversation updated.");
  assert.equal(await page.inputValue("[data-testid=conv-status]"), "closed");
  await page.goto(`${server.url}/inbox`);
  await page.waitForSelector("[data-testid=inbox-empty]");
  await page.click("[data-testid=status-closed]");
  await page.waitForSelector("[data-testid=conv-row]");

  // The channel settings page shows the snippet to paste into the website.
  await page.goto(`${server.url}/settings/channels`);
  await page.waitForSelector("[data-testid=channels] >> text=Website chat");
  await shot(page, "settings-channels");

  // Templates, forms and bot rules: a bot rule made on the settings page is listed.
  await page.goto(`${server.url}/settings/outreach`);
  await page.click("[data-testid=bot-rules] summary");
  await page.fill("#bn", "Night answer");
  await page.check("[data-testid=bot-rules] input[name=outside_hours]");
  await page.fill("#br", "We answer tomorrow from 9:00.");
  await page.click("[data-testid=bot-rules] button[type=submit]");
  await page.waitForSelector("[data-testid=bot-rules] >> text=We answer tomorrow from 9:00.");
  await shot(page, "settings-outreach");

  assert.deepEqual(problems, []);
  assert.deepEqual(visitorProblems, []);
  await visitorCtx.close();
  await ctx.close();
});
