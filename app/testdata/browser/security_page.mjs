// Drives the hosted security page in Chromium with a DevTools virtual
// authenticator: signs in on the hosted OIDC login (password), turns on
// TOTP with the manual key (the code is computed here, RFC 6238), reads the
// backup codes, adds a passkey with the page's button and renames it.
// Screenshots (desktop and phone width) go to SHOTS.
// Env: SECUIRD_URL, AUTH_URL, EMAIL, PASSWORD, REDIRECT, CHROMIUM, SHOTS.
import { createHmac } from "node:crypto";
import { chromium } from "playwright-core";

const env = process.env;

// totp is RFC 6238 (SHA-1, 30 s, 6 digits) over a base32 secret.
function totp(secret, now = Date.now()) {
  const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of secret.replace(/=+$/, "")) { bits += alpha.indexOf(ch).toString(2).padStart(5, "0"); }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(now / 30000)));
  const mac = createHmac("sha1", key).update(msg).digest();
  const off = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, "0");
}

async function shots(page, name) {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: `${env.SHOTS}/${name}-desktop.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${env.SHOTS}/${name}-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
}

function check(cond, msg) { if (!cond) { throw new Error(msg); } }

const browser = await chromium.launch({ executablePath: env.CHROMIUM, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true },
  });
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) { errors.push(m.text()); } });
  page.on("response", (r) => {
    if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) { errors.push(r.status() + " " + r.url()); }
  });

  // Sign in on the hosted login: the SSO cookie.
  await page.goto(env.AUTH_URL);
  await page.fill("#email", env.EMAIL);
  await page.fill("#password", env.PASSWORD);
  // The relying party is not running: its callback fails to load, and
  // Chromium shows its error page (waited for, so that it does not
  // interrupt the next navigation).
  await Promise.all([
    page.waitForEvent("framenavigated", { predicate: (f) => f === page.mainFrame() && f.url().startsWith("chrome-error:"), timeout: 15000 }),
    page.click("button[type=submit]"),
  ]);
  await page.waitForLoadState();
  await page.goto(env.SECUIRD_URL + "/security");
  await shots(page, "security");
  await Promise.all([page.waitForURL((u) => u.pathname === "/security/totp/enroll"), page.click("[data-test=totp-enroll]")]);
  const secret = (await page.textContent("[data-totp-secret]")).trim();
  check(await page.evaluate(() => document.querySelector("img.qr").naturalWidth > 0), "QR code not shown");
  await shots(page, "totp-enroll");
  await page.fill("#code", totp(secret));
  await Promise.all([page.waitForURL((u) => u.pathname === "/security/totp/confirm"), page.click("button[type=submit]")]);
  const codes = await page.locator("[data-backup-codes] li").count();
  check(codes === 10, "backup codes shown: " + codes);

  await page.goto(env.SECUIRD_URL + "/security");
  check((await page.textContent("main")).includes("10 backup codes left"), "TOTP not on");
  await page.fill("#pk-name", "Laptop key");
  await Promise.all([page.waitForURL((u) => u.search === "?done=passkey-added", { timeout: 15000 }), page.click("[data-passkey-register]")]);
  check((await page.textContent(".passkeys")).includes("Laptop key"), "passkey not listed");
  const input = page.locator(".passkeys input[name=name]");
  await input.fill("Work laptop");
  await Promise.all([page.waitForURL((u) => u.search === "?done=passkey-renamed"), page.locator(".passkeys button", { hasText: "Rename" }).click()]);
  check((await page.textContent(".passkeys")).includes("Work laptop"), "passkey not renamed");
  await shots(page, "security-passkey");
  check(errors.length === 0, "console errors: " + errors.join("; "));
  console.log("OK " + secret.length);
} finally {
  await browser.close();
}
