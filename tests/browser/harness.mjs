// Starts a real clientele server on a free port with a fresh SQLite database, and a headless
// Debian Chromium driven by playwright-core. Screenshots go to target/browser-screenshots/.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "..", "..");
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(repoRoot, "target");
export const bin = process.env.CLIENTELE_BIN || join(targetDir, "debug", "clientele");
export const shotsDir = join(repoRoot, "target", "browser-screenshots");
export const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
export const PASSWORD = "browser-test-password";

/** Runs a clientele CLI command against the database in `dir`. */
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

/** Starts the server; resolves when it prints its address. `env` adds environment variables
 * (e.g. `{ CLIENTELE_DEFAULT_REGION: "RU" }`). */
export async function startServer(env = {}) {
  const dir = mkdtempSync(join(tmpdir(), "clientele-browser-"));
  cli(dir, ["migrate"]);
  for (const [email, name, role] of [
    ["admin@example.com", "Ada Admin", "admin"],
    ["mgr@example.com", "Max Manager", "manager"],
  ]) {
    cli(dir, ["user", "add", "--email", email, "--name", name, "--role", role, "--password-stdin"], PASSWORD + "\n");
  }
  const child = spawn(bin, ["serve", "--listen", "127.0.0.1:0", "--no-worker"], {
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
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    // playwright gives every launch a fresh, empty user data directory of its own.
  });
}

export async function shot(page, name) {
  mkdirSync(shotsDir, { recursive: true });
  const path = join(shotsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Collects console errors and CSP violations so a test can assert there were none. */
export function watchConsole(page) {
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text() + " @ " + JSON.stringify(m.location()) + " " + m.page()?.url());
  });
  page.on("pageerror", (e) => problems.push(String(e)));
  return problems;
}

/** The API with the page's session cookie and CSRF token. */
export async function api(page, method, path, body) {
  return page.evaluate(
    async ([method, path, body]) => {
      const me = await (await fetch("/api/v1/auth/me")).json();
      const r = await fetch(`/api/v1${path}`, {
        method,
        headers: { "content-type": "application/json", "x-csrf-token": me.csrf_token ?? "" },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: r.status, body: await r.json().catch(() => null) };
    },
    [method, path, body],
  );
}


/** A new browser context signed in as the administrator; `problems` collects console errors. */
export async function signedIn(browser, server, viewport = { width: 1400, height: 900 }) {
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
