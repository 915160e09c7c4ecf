// Scenario (d): an organization requires TOTP with no grace period (set
// through the REST API by the Go test); its member signs in, lands on the
// security page with the requirement explained, sets up TOTP and
// continues to a full session.
// Env (besides lib.mjs's): EMAIL, PASSWORD.
import { check, env, go, log, look, mainText, path, scenario, signIn, signOut, submit, totp } from "./lib.mjs";

await scenario(async ({ page }) => {
  await go(page, "/login");
  await signIn(page, env.EMAIL, env.PASSWORD);
  check(path(page) === "/account/security", "the sign-in did not lead to the security page: " + page.url());
  await look(page, "security-required");
  check(/requir/i.test(await mainText(page)), "the page does not explain the requirement");
  // Other pages are closed until the requirement is met.
  await go(page, "/account/sessions");
  check(path(page) === "/account/security", "a compliance-only session opened " + page.url());

  await submit(page, page.locator("[data-test=totp-enroll]"));
  const secret = (await page.locator("[data-totp-secret]").innerText()).replace(/\s/g, "");
  await page.getByLabel(/code/i).first().fill(totp(secret));
  await submit(page, page.getByRole("button", { name: /turn on|enable|verify|confirm/i }));
  check(await page.locator("[data-backup-codes] li").count() === 10, "no backup codes");
  await look(page, "backup-codes-required");
  const next = page.locator("[data-test=continue-sign-in]");
  if (await next.count()) {
    await submit(page, next.first());
  } else {
    // No continuation offered: the compliance-only session ends with a
    // sign-out, and the next sign-in (now with TOTP) is a full one.
    log("no continue-sign-in link after enrolment; signing out and in again");
    await signOut(page);
  }
  log("after enrolment at", page.url());
  if (path(page) === "/login") {
    await signIn(page, env.EMAIL, env.PASSWORD, { totpSecret: secret, totpOffset: 1, mfaShot: "mfa-after-enrolment" });
  }
  await go(page, "/account/sessions");
  check(path(page) === "/account/sessions", "no full session after enrolment: " + page.url());
});
