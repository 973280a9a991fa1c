// Drives the HTML pages in headless Chromium (Debian's /usr/bin/chromium) and checks what a
// person sees: the report led by "Fix first", filters that keep the downloads in step, a working
// link to a client led by its recommended action, the history and diff pages after a second
// audit, and the orgs index; escaped client names, no console error, the CSP on every page.
// With a directory it also writes the README's screenshots there (report, client, diff, orgs).
//
// Usage: node tests/browser/report_page.mjs path/to/scopewatch [screenshot-dir]
// Needs playwright-core (installed by .ci/run into target/ci-npm).
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const require = createRequire(path.resolve("target/ci-npm/node_modules/"));
const { chromium } = require("playwright-core");

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const [binary, screenshots] = process.argv.slice(2);
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

// Three demo orgs: the first, `default`, also answers at /report.
const server = spawn(binary, ["serve", "--demo", "--orgs", "3"], {
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

const wait = (ms) => new Promise((r) => setTimeout(r, ms));

/// Polls `url` (bounded) until `ok` holds for its JSON.
async function until(url, ok) {
  for (let i = 0; i < 300; i++) {
    const r = await fetch(url).catch(() => null);
    if (r && r.status === 200 && ok(await r.json())) return true;
    await wait(100);
  }
  return false;
}

let browser;
try {
  check(await until(`${base}/orgs`, (j) => j.orgs.every((o) => o.report)), "every demo org has a report");
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
  // A CSP violation shows as a console error; so would anything else a page gets wrong.
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(`${page.url()}: ${m.text()}`); });
  const visit = async (url, what) => {
    const response = await page.goto(url);
    check(response.status() === 200, `${what} loads`);
    check(response.headers()["content-security-policy"] === CSP, `${what} carries the CSP`);
  };
  const shot = async (name) => {
    if (screenshots) await page.screenshot({ path: path.join(screenshots, name) });
  };

  // The report, led by the plan.
  await visit(`${base}/report`, "the report page");
  check((await page.textContent("h1")).includes("OAuth client risk"), "the heading is shown");
  check((await page.locator("h2").first().textContent()).trim() === "Fix first", "the first section is Fix first");
  const actions = await page.locator("#actions tbody tr").count();
  check(actions > 0, `Fix first lists actions (${actions})`);
  const total = (await page.textContent("#total b")).trim();
  check(total === "301", `the summary shows 301 clients (saw ${total})`);
  const highRisk = Number((await page.textContent("#high-risk b")).trim());
  check(highRisk > 0, `the summary shows high-risk clients (${highRisk})`);
  check((await page.textContent("#high-risk")).includes("HIGH + CRITICAL"), "the high-risk card says what it counts");
  const rows = await page.locator("#clients tbody tr").count();
  check(rows === 301, `the table has a row per client (${rows})`);
  const firstLevel = (await page.textContent("#clients tbody tr:first-child .lvl")).trim();
  check(firstLevel === "CRITICAL", `the riskiest client comes first (${firstLevel})`);
  const hostile = page.locator("#clients a", { hasText: "<script>alert('scopewatch')</script>" });
  check(await hostile.count() === 1, "a hostile client name is shown as text");
  check(dialogs.length === 0 && scriptErrors.length === 0, "no script ran from client names");
  const ruleRows = await page.locator("#rules tbody tr").count();
  check(ruleRows >= 16, `the rules table lists the audit's rules with their controls (${ruleRows})`);
  await shot("report.png");

  // A filter link keeps the downloads in step.
  await page.click("#filters a:text('HIGH and above')");
  await page.waitForLoadState();
  check(page.url().endsWith("/report?risk_level=HIGH"), `the filter link filters (${page.url()})`);
  const csv = await page.getAttribute("#csv", "href");
  check(csv === "report?format=csv&risk_level=HIGH", `the CSV link keeps the filter (${csv})`);
  const filteredRows = await page.locator("#clients tbody tr").count();
  check(filteredRows === highRisk, `HIGH and above keeps the high-risk clients (${filteredRows})`);
  const csvText = await (await fetch(new URL(csv, page.url()))).text();
  check(csvText.trim().split("\n").length - 1 === filteredRows, "the CSV download has the same clients");

  // A client, led by its recommended action.
  await visit(`${base}/report`, "the report page again");
  const link = page.locator("#clients tbody tr:first-child a");
  const name = (await link.textContent()).trim();
  await link.click();
  await page.waitForLoadState();
  check(page.url().startsWith(`${base}/clients/`), `the link leads to the client page (${page.url()})`);
  check((await page.textContent("h1")).includes(name), "the client page shows the client");
  check((await page.locator("h2").first().textContent()).trim() === "Recommended action", "the client page leads with its recommended action");
  check(await page.locator("section.finding").count() > 0, "the client page lists findings");
  check((await page.textContent("body")).includes("Remediation:"), "findings carry remediation");
  check(await page.locator("p.compliance").count() > 0, "findings name the controls they map to");
  await shot("client.png");

  // A second audit, then the history and what changed.
  const started = await fetch(`${base}/audits`, { method: "POST" });
  check(started.status === 202, `a second audit starts (${started.status})`);
  check(await until(`${base}/audits`, (j) => j.audits.filter((a) => a.outcome === "success").length >= 2),
    "the second audit finishes");
  await visit(`${base}/audits`, "the history page");
  const audits = await page.locator("#audits tbody tr").count();
  check(audits >= 2, `the history lists both audits (${audits})`);
  await page.click("#audits tbody tr:first-child a:text('what changed')");
  await page.waitForLoadState();
  check((await page.textContent("h1")).trim() === "What changed", `the diff page opens (${page.url()})`);
  check((await page.textContent("body")).includes("unchanged findings"), "the diff page counts the findings");
  // The demo's org changes once, as its second audit reads it: something new and something resolved.
  check(await page.locator("table#new tbody tr").count() > 0, "the demo's diff page lists new findings");
  check(await page.locator("table#resolved tbody tr").count() > 0, "the demo's diff page lists resolved findings");
  await shot("diff.png");

  // The orgs, riskiest first.
  await visit(`${base}/orgs`, "the orgs page");
  const orgs = await page.locator("#orgs tbody tr").count();
  check(orgs === 3, `the orgs page lists the three demo orgs (${orgs})`);
  check((await page.textContent("#orgs thead")).includes("CRITICAL"), "the orgs page has a CRITICAL column");
  const criticals = await page.locator("#orgs td.critical-count").allTextContents();
  const sorted = criticals.map(Number).every((n, i, all) => i === 0 || all[i - 1] >= n);
  check(sorted, `the orgs are riskiest first (${criticals.join(", ")})`);
  await shot("orgs.png");

  check(consoleErrors.length === 0, `no console error on any page${consoleErrors.length ? `: ${consoleErrors.join("; ")}` : ""}`);
} finally {
  if (browser) await browser.close();
  server.kill("SIGTERM");
}
if (failures.length) {
  console.error(`${failures.length} browser check(s) failed`);
  process.exit(1);
}
console.log("the HTML pages work in Chromium");
