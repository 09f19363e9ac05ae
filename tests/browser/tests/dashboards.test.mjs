// Dashboards in a real browser: the head of sales' dashboard, a change of period through the
// period picker, and the funnel chart drawn by ECharts with the period's figures.
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

/** The funnel series as the chart holds it: [name, value] pairs. */
async function funnelData(page) {
  return page.evaluate(() => {
    const el = document.querySelector("[data-testid=widget-funnel] [data-chart]");
    const chart = window.echarts && window.echarts.getInstanceByDom(el);
    if (!chart) return null;
    const s = chart.getOption().series[0];
    return { type: s.type, data: s.data.map((d) => [d.name, d.value]) };
  });
}

test("head of sales: change the period and see the funnel chart", async () => {
  const { page, problems } = await signedIn(browser, server);
  const pipelines = (await api(page, "GET", "/pipelines")).body.data;
  const stage = (name) => pipelines[0].stages.find((s) => s.name === name).id;
  const reason = (await api(page, "GET", "/loss-reasons")).body.data[0].id;
  const deals = [];
  for (const [title, amount] of [["Servers", "1200.00"], ["Licences", "800.00"], ["Support", "300.00"], ["Training", "150.00"]]) {
    const r = await api(page, "POST", "/deals", { title, amount, currency: "EUR", source: "website" });
    assert.equal(r.status, 201);
    deals.push(r.body.id);
  }
  const move = async (id, body) => assert.equal((await api(page, "POST", `/deals/${id}/move`, body)).status, 200);
  await move(deals[0], { stage_id: stage("Proposal") });
  await move(deals[0], { stage_id: stage("Won") });
  await move(deals[1], { stage_id: stage("Needs analysis") });
  await move(deals[1], { stage_id: stage("Won") });
  await move(deals[2], { stage_id: stage("Lost"), loss_reason_id: reason });

  // A period with no deals first: the funnel is drawn, empty.
  await page.goto(`${server.url}/dashboards/head-of-sales?from=2020-01-01&to=2020-01-31`);
  await page.waitForSelector("[data-testid=widget-funnel] canvas");
  let f = await funnelData(page);
  assert.equal(f.type, "funnel");
  assert.deepEqual(f.data.map((d) => d[1]), [0, 0, 0, 0, 0]);
  assert.equal(await page.locator("[data-testid=value-won_count]").textContent(), "0");

  // This month through the period picker.
  const today = await page.evaluate(() => {
    const d = new Date();
    const p = (n) => String(n).padStart(2, "0");
    return { from: `${d.getFullYear()}-${p(d.getMonth() + 1)}-01`, to: `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}` };
  });
  await page.fill("[data-testid=period-from]", today.from);
  await page.fill("[data-testid=period-to]", today.to);
  await Promise.all([page.waitForURL(/from=\d{4}-\d{2}-01/), page.click("[data-testid=period-apply]")]);
  await page.waitForFunction(
    (p) => document.querySelector("[data-testid=dashboard]")?.dataset.period === p,
    `${today.from}..${today.to}`,
  );
  await page.waitForSelector("[data-testid=widget-funnel] canvas");
  await page.waitForFunction(() => {
    const el = document.querySelector("[data-testid=widget-funnel] [data-chart]");
    return window.echarts && window.echarts.getInstanceByDom(el);
  });
  f = await funnelData(page);
  assert.deepEqual(f.data, [
    ["Qualification", 4],
    ["Needs analysis", 2],
    ["Proposal", 2],
    ["Negotiation", 2],
    ["Won", 2],
  ]);
  assert.equal(await page.locator("[data-testid=value-won_count]").textContent(), "2");
  assert.equal(await page.locator("[data-testid=value-revenue]").textContent(), "2000.00 EUR");
  assert.equal(await page.locator("[data-testid=value-win_rate]").textContent(), "66.67");
  // The loss reasons pie and the revenue line are drawn too.
  await page.waitForSelector("[data-testid=widget-loss_reasons] canvas");
  await page.waitForSelector("[data-testid=widget-revenue_dynamics] canvas");
  await shot(page, "dashboards-01-head-of-sales");

  // "My day" from the tabs.
  await Promise.all([page.waitForURL(/\/dashboards\/my-day/), page.click("[data-testid=dashboard-tabs] >> text=My day")]);
  await page.waitForSelector("[data-testid=widget-my_tasks]");
  await shot(page, "dashboards-02-my-day");
  assert.deepEqual(problems, []);
});
