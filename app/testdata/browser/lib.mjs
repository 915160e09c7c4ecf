// Shared helpers of the hosted pages' browser scenarios (run by
// app/browser_*_test.go with node in this folder).
//
// Env (set by the Go test): SECUIRD_URL (the server), CHROMIUM (the
// browser binary), SECUIRD_SCREENSHOTS (where shot() writes PNGs),
// SCENARIO (the screenshot subfolder), MAIL_DIR (the file mail provider's
// folder), A11Y_SKIP=1 turns the axe check into a report only.
//
// A scenario is `await scenario(async (t) => { ... })`: it launches
// Chromium, runs the body, then fails (exit code 1) on an exception, an
// accessibility violation (impact serious or critical), a console error or
// a 5xx response, and prints "OK <scenario>" when all is well.
import { createHmac } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const env = process.env;
export const base = env.SECUIRD_URL;

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** Desktop and phone viewports of the screenshots. */
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

// Problems collected over the whole scenario (reported at the end, so one
// run names every page's violations).
const problems = [];

/** check throws msg unless cond holds. */
export function check(cond, msg) {
  if (!cond) { throw new Error(msg); }
}

/** log prints a progress line (shown by go test -v and on failure). */
export function log(...args) { console.log("  ·", ...args); }

/**
 * totp is RFC 6238 (HMAC-SHA-1, 30 s steps, 6 digits) over a base32
 * secret (spaces and padding ignored); offset shifts the time step.
 */
export function totp(secret, offset = 0, now = Date.now()) {
  const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of secret.toUpperCase().replace(/[\s=-]/g, "")) {
    const v = alpha.indexOf(ch);
    check(v >= 0, "not a base32 secret: " + secret);
    bits += v.toString(2).padStart(5, "0");
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(now / 30000) + offset));
  const mac = createHmac("sha1", key).update(msg).digest();
  const off = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, "0");
}

/** track records console errors, failed scripts and 5xx responses of page. */
export function track(page) {
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      problems.push(`console error on ${page.url()}: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => problems.push(`script error on ${page.url()}: ${e.message}`));
  page.on("response", (r) => {
    if (r.status() >= 500) { problems.push(`${r.status()} ${r.request().method()} ${r.url()}`); }
  });
  return page;
}

/**
 * newPage opens a page in a fresh browser context (own cookies): options
 * are Playwright context options (locale, colorScheme, ...).
 */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: DESKTOP, locale: "en-US", ...options });
  return track(await context.newPage());
}

function shotDir() {
  const dir = join(env.SECUIRD_SCREENSHOTS || "screenshots", env.SCENARIO || "scenario");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * shot saves full-page screenshots of the current page as NAME-desktop.png
 * (1280 wide), NAME-phone.png (390 wide) and NAME-dark.png (desktop, dark
 * colour scheme) under SECUIRD_SCREENSHOTS/SCENARIO.
 */
export async function shot(page, name) {
  const dir = shotDir();
  const size = page.viewportSize() || DESKTOP;
  await resize(page, DESKTOP);
  await page.screenshot({ path: join(dir, `${name}-desktop.png`), fullPage: true });
  await resize(page, PHONE);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  if (wide > PHONE.width) { problems.push(`layout ${name} (${new URL(page.url()).pathname}): ${wide}px wide at phone width ${PHONE.width}`); }
  await page.screenshot({ path: join(dir, `${name}-phone.png`), fullPage: true });
  await resize(page, DESKTOP);
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: join(dir, `${name}-dark.png`), fullPage: true });
  await page.emulateMedia({ colorScheme: null });
  await resize(page, size);
}

// resize sets the viewport and waits two frames for the layout to follow.
async function resize(page, size) {
  await page.setViewportSize(size);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

// runAxe runs axe-core in the page (its source is evaluated through the
// DevTools protocol, which the pages' CSP does not govern) and returns the
// serious and critical violations.
async function runAxe(page, rules) {
  if (!(await page.evaluate("typeof window.axe === 'object'"))) { await page.evaluate(axeSource); }
  const violations = await page.evaluate(async (only) => {
    const opts = { resultTypes: ["violations"] };
    if (only) { opts.runOnly = { type: "rule", values: only }; }
    const res = await window.axe.run(document, opts);
    return res.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary, impact: n.impact })),
    }));
  }, rules || null);
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/**
 * a11y runs the axe-core accessibility check on the page (light colour
 * scheme, every rule) and the colour-contrast rule again in dark mode; a
 * violation of impact serious or critical is a failure of the scenario
 * (reported with its rule id, targets and help at the end).
 */
export async function a11y(page, name) {
  const found = [];
  await page.emulateMedia({ colorScheme: "light" });
  for (const v of await runAxe(page)) { found.push({ ...v, scheme: "light" }); }
  await page.emulateMedia({ colorScheme: "dark" });
  for (const v of await runAxe(page, ["color-contrast"])) { found.push({ ...v, scheme: "dark" }); }
  await page.emulateMedia({ colorScheme: null });
  // At phone width a wide table scrolls in its wrapper, which keyboard
  // users can reach only when it is focusable (every .table-wrap is a
  // labelled, focusable region).
  const size = page.viewportSize() || DESKTOP;
  await resize(page, PHONE);
  for (const v of await runAxe(page, ["scrollable-region-focusable"])) { found.push({ ...v, scheme: "phone" }); }
  await resize(page, size);
  for (const v of found) {
    const targets = v.nodes.map((n) => `      ${n.target}\n        ${(n.summary || "").replace(/\n/g, "\n        ")}`).join("\n");
    problems.push(`a11y ${name} (${new URL(page.url()).pathname}, ${v.scheme}): ${v.impact} ${v.id}: ${v.help} <${v.helpUrl}>\n${targets}`);
  }
}

/** page check: screenshots and the accessibility check of the current page. */
export async function look(page, name) {
  await shot(page, name);
  await a11y(page, name);
}

/**
 * go opens path (relative to SECUIRD_URL) and returns the response; a
 * status other than want (default 200) fails.
 */
export async function go(page, path, want = 200) {
  const res = await page.goto(base + path);
  check(res && res.status() === want, `GET ${path}: status ${res && res.status()}, want ${want}`);
  return res;
}

/**
 * submit clicks locator and waits for the navigation it starts (a form
 * post and its redirect) to load; pred (a path string or a URL predicate)
 * waits for a particular destination.
 */
export async function submit(page, locator, pred) {
  const wait = pred === undefined
    ? page.waitForNavigation({ waitUntil: "load" })
    : page.waitForURL(typeof pred === "string" ? (u) => u.pathname === pred : pred, { waitUntil: "load" });
  await Promise.all([wait, locator.click()]);
}

/**
 * clickToRP clicks locator, whose navigation ends at a relying party that
 * is not running (its redirect URI starts with prefix), and returns that
 * URL once Chromium's error page for it has loaded, so that the next
 * page.goto is not interrupted by it.
 */
export async function clickToRP(page, locator, prefix) {
  const failed = page.waitForEvent("framenavigated",
    { predicate: (f) => f === page.mainFrame() && f.url().startsWith("chrome-error:"), timeout: 15000 });
  const req = page.waitForRequest((r) => r.url().startsWith(prefix), { timeout: 15000 });
  await locator.click();
  const url = (await req).url();
  await failed;
  await page.waitForLoadState();
  return url;
}

/** path is the current URL's path. */
export function path(page) { return new URL(page.url()).pathname; }

/** expectPath fails unless the page is at path p. */
export function expectPath(page, p) {
  check(path(page) === p, `at ${page.url()}, want ${p}`);
}

/** text is the visible text of the page's main landmark. */
export async function mainText(page) { return (await page.locator("main").innerText()).replace(/\s+/g, " "); }

/** flash is the flash message's text, or "". */
export async function flash(page) {
  const f = page.locator("[data-test=flash]");
  return (await f.count()) ? (await f.first().innerText()).trim() : "";
}

/**
 * signIn fills the hosted sign-in form (the page must show it: /login or
 * an OIDC login) and submits it; with totpSecret it answers the
 * second-factor page with the code of time step `totpOffset` from now
 * (a code is accepted once: a later sign-in of the same user passes a
 * larger offset; the server accepts one step of skew). mfaShot names
 * the MFA page's screenshots and accessibility check.
 */
export async function signIn(page, email, password, { totpSecret, totpOffset = 0, mfaShot } = {}) {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await submit(page, page.getByRole("button", { name: "Sign in", exact: true }));
  if (totpSecret) {
    const code = page.getByLabel("Authentication code", { exact: true });
    check(await code.count() === 1, `after the password: at ${page.url()}, want the MFA step: ${await mainText(page)}`);
    if (mfaShot) { await look(page, mfaShot); }
    await code.fill(totp(totpSecret, totpOffset));
    await submit(page, page.getByRole("button", { name: /verify/i }));
  }
}

/** signOut presses the shell's sign-out button and waits for /login. */
export async function signOut(page) {
  await submit(page, page.locator("[data-test=sign-out]"), "/login");
}

// decodeQP decodes a quoted-printable body.
function decodeQP(s) {
  const bytes = Buffer.from(s.replace(/=\r?\n/g, ""), "latin1").toString("latin1")
    .replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

// parseEml reads an .eml of the file provider: headers and the text/plain
// part (multipart/alternative, quoted-printable or base64).
function parseEml(raw) {
  raw = raw.replace(/\r\n/g, "\n");
  const [head] = raw.split("\n\n", 1);
  const headers = {};
  for (const line of head.replace(/\n[ \t]+/g, " ").split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) { headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim(); }
  }
  let text = raw.slice(head.length + 2);
  const bnd = /boundary="?([^";]+)"?/i.exec(headers["content-type"] || "");
  if (bnd) {
    for (const part of text.split("--" + bnd[1])) {
      const p = part.replace(/^\n/, "");
      const i = p.indexOf("\n\n");
      if (i < 0) { continue; }
      const ph = p.slice(0, i).toLowerCase();
      if (!ph.includes("text/plain")) { continue; }
      let body = p.slice(i + 2);
      if (ph.includes("quoted-printable")) { body = decodeQP(body); }
      else if (ph.includes("base64")) { body = Buffer.from(body.replace(/\s/g, ""), "base64").toString("utf8"); }
      text = body;
      break;
    }
  } else if (/quoted-printable/i.test(headers["content-transfer-encoding"] || "")) {
    text = decodeQP(text);
  }
  return { headers, text, template: headers["x-secuird-template"] || "", to: headers.to || "" };
}

/**
 * mail waits (up to 10 s) for the newest message to `to` of the email
 * template `template` written by the file provider to MAIL_DIR after
 * `since` (ms since the epoch), and returns { headers, text, links }.
 */
export async function mail(to, template, since = 0) {
  check(env.MAIL_DIR, "MAIL_DIR is not set (the server's file mail provider)");
  const deadline = Date.now() + 10000;
  for (;;) {
    let best = null;
    for (const f of readdirSync(env.MAIL_DIR)) {
      if (!f.endsWith(".eml")) { continue; }
      const file = join(env.MAIL_DIR, f);
      const st = statSync(file);
      if (st.mtimeMs < since) { continue; }
      const m = parseEml(readFileSync(file, "utf8"));
      if (m.template === template && m.to.toLowerCase().includes(to.toLowerCase()) && (!best || st.mtimeMs > best.mtime)) {
        best = { ...m, mtime: st.mtimeMs };
      }
    }
    if (best) {
      best.links = best.text.match(/https?:\/\/[^\s<>"]+/g) || [];
      return best;
    }
    check(Date.now() < deadline, `no ${template} mail to ${to} in ${env.MAIL_DIR}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** mailLink is the first link of a mail that goes to the server's path p. */
export async function mailLink(to, template, p, since = 0) {
  const m = await mail(to, template, since);
  const link = m.links.find((l) => new URL(l).pathname === p);
  check(link, `no ${p} link in the ${template} mail: ${m.text}`);
  check(link.startsWith(base), `mail link ${link} is not on ${base}`);
  return link;
}

/**
 * scenario runs body({ browser, page }) in Chromium and exits 1 on any
 * failure or recorded problem; else prints "OK SCENARIO".
 */
export async function scenario(body) {
  const browser = await chromium.launch({ executablePath: env.CHROMIUM, args: ["--no-sandbox"] });
  let failed = false;
  try {
    const page = await newPage(browser);
    await body({ browser, page });
  } catch (e) {
    failed = true;
    console.log("FAIL " + (e && e.stack ? e.stack : e));
    // Where it stopped: every open page's address, text and a screenshot.
    for (const p of browser.contexts().flatMap((c) => c.pages())) {
      try {
        console.log(`  page ${p.url()}:\n    ${(await p.locator("body").innerText({ timeout: 2000 })).replace(/\s+/g, " ").slice(0, 1500)}`);
        await p.screenshot({ path: join(shotDir(), `FAILED-${browser.contexts().indexOf(p.context())}.png`), fullPage: true });
      } catch { /* the page is gone */ }
    }
  } finally {
    await browser.close();
  }
  const a11yProblems = problems.filter((p) => p.startsWith("a11y "));
  const others = problems.filter((p) => !p.startsWith("a11y "));
  for (const p of problems) { console.log("PROBLEM " + p); }
  if (failed || others.length || (a11yProblems.length && env.A11Y_SKIP !== "1")) {
    process.exitCode = 1;
    return;
  }
  console.log("OK " + (env.SCENARIO || "scenario"));
}
