// Drives the HTML report in headless Chromium (Debian's /usr/bin/chromium) and checks what a
// person sees: the summary, the table, a working link to a client, and escaped client names.
//
// Usage: node tests/browser/report_page.mjs path/to/scopewatch [screenshot-dir]
// Needs playwright-core (installed by .ci/run into target/ci-npm).
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const require = createRequire(path.resolve("target/ci-npm/node_modules/"));
const { chromium } = require("playwright-core");

const [binary, screenshots] = process.argv.slice(2);
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

const server = spawn(binary, ["serve", "--demo"], {
  env: {
    PATH: process.env.PATH,
    SCOPEWATCH_LISTEN: "127.0.0.1:0",
    SCOPEWATCH_DATABASE_URL: `sqlite://${path.join(os.tmpdir(), `scopewatch-browser-${process.pid}-${Date.now()}.db`)}`,
  },
  stdio: ["ignore", "ignore", "pipe"],
});
const base = await new Promise((resolve, reject) => {
  let seen = "";
  const timer = setTimeout(() => reject(new Error(`no address announced: ${seen}`)), 30000);
  server.stderr.on("data", (chunk) => {
    seen += chunk;
    const m = seen.match(/serving the report at (http:\/\/[0-9.:]+)\/report/);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  });
});

let browser;
try {
  for (let i = 0; i < 300; i++) {
    const r = await fetch(`${base}/readyz`).catch(() => null);
    if (r && r.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const dialogs = [];
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss(); });
  const scriptErrors = [];
  page.on("pageerror", (e) => scriptErrors.push(String(e)));

  const response = await page.goto(`${base}/report`);
  check(response.status() === 200, "the report page loads");
  check((await page.textContent("h1")).includes("OAuth client risk"), "the heading is shown");
  const total = (await page.textContent("#total b")).trim();
  check(total === "301", `the summary shows 301 clients (saw ${total})`);
  const highRisk = Number((await page.textContent("#high-risk b")).trim());
  check(highRisk > 0, `the summary shows high-risk clients (${highRisk})`);
  const rows = await page.locator("#clients tbody tr").count();
  check(rows === 301, `the table has a row per client (${rows})`);
  const firstLevel = (await page.textContent("#clients tbody tr:first-child .lvl")).trim();
  check(firstLevel === "CRITICAL", `the riskiest client comes first (${firstLevel})`);
  const hostile = page.locator("#clients a", { hasText: "<script>alert('scopewatch')</script>" });
  check(await hostile.count() === 1, "a hostile client name is shown as text");
  check(dialogs.length === 0 && scriptErrors.length === 0, "no script ran from client names");
  const ruleRows = await page.locator("#rules tbody tr").count();
  check(ruleRows >= 16, `the rules table lists the audit's rules with their controls (${ruleRows})`);
  if (screenshots) await page.screenshot({ path: path.join(screenshots, "report.png") });

  const link = page.locator("#clients tbody tr:first-child a");
  const name = (await link.textContent()).trim();
  await link.click();
  await page.waitForLoadState();
  check(page.url().startsWith(`${base}/clients/`), `the link leads to the client page (${page.url()})`);
  check((await page.textContent("h1")).includes(name), "the client page shows the client");
  check(await page.locator("section.finding").count() > 0, "the client page lists findings");
  check((await page.textContent("body")).includes("Remediation:"), "findings carry remediation");
  check(await page.locator("p.compliance").count() > 0, "findings name the controls they map to");
  if (screenshots) await page.screenshot({ path: path.join(screenshots, "client.png"), fullPage: false });
} finally {
  if (browser) await browser.close();
  server.kill("SIGTERM");
}
if (failures.length) {
  console.error(`${failures.length} browser check(s) failed`);
  process.exit(1);
}
console.log("the HTML report works in Chromium");
