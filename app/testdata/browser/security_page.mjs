// The security page in Chromium with a DevTools virtual authenticator:
// sign in, turn on TOTP with the manual key (the code is computed here,
// RFC 6238), read the backup codes, add a passkey with the page's button
// (web/static/js/passkey.js) and rename it.
// Env (besides lib.mjs's): EMAIL, PASSWORD.
import { check, env, expectPath, go, look, mainText, scenario, signIn, submit, totp } from "./lib.mjs";

await scenario(async ({ page }) => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true },
  });
  await go(page, "/login?next=/account/security");
  await signIn(page, env.EMAIL, env.PASSWORD);
  expectPath(page, "/account/security");
  await submit(page, page.locator("[data-test=totp-enroll]"));
  const secret = (await page.locator("[data-totp-secret]").innerText()).replace(/\s/g, "");
  check(await page.evaluate(() => document.querySelector("img.qr").naturalWidth > 0), "QR code not shown");
  await page.getByLabel(/code/i).first().fill(totp(secret));
  await submit(page, page.locator("[data-test=totp-confirm]"));
  check(await page.locator("[data-backup-codes] li").count() === 10, "backup codes not shown");

  await go(page, "/account/security");
  check(/10/.test(await page.locator("[data-test=totp-section]").innerText()), "TOTP not on");
  await page.getByLabel(/name/i).first().fill("Laptop key");
  await submit(page, page.locator("[data-test=add-passkey]"));
  check((await page.locator("[data-test=passkey]").allInnerTexts()).some((t) => t.includes("Laptop key")), "passkey not listed: " + await mainText(page));
  await page.locator("[data-test=passkey] input[name=name]").fill("Work laptop");
  await submit(page, page.getByRole("button", { name: /rename/i }).first());
  check((await page.locator("[data-test=passkey]").allInnerTexts()).some((t) => t.includes("Work laptop")), "passkey not renamed");
  await look(page, "security-passkey");
});
