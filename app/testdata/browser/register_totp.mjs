// Scenario (a): a person registers at /register, confirms their address
// with the link of the verification mail (read from the file provider),
// signs in, turns on TOTP at /account/security with the manual key (the
// code is computed here), signs out and signs in with password + TOTP;
// then walks the account pages. Screenshots and the accessibility check
// of every page on the way.
// Env (besides lib.mjs's): EMAIL (a new address), PASSWORD.
import { check, env, expectPath, flash, go, look, mailLink, mainText, path, scenario, signIn, signOut, submit, totp, log } from "./lib.mjs";

const email = env.EMAIL;
const password = env.PASSWORD;

await scenario(async ({ page }) => {
  await go(page, "/login");
  await look(page, "login");
  await submit(page, page.locator("[data-test=register]"), "/register");
  await look(page, "register");

  await page.getByLabel(/name/i).first().fill("Rita Register");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel(/confirm|repeat/i).fill(password);
  const since = Date.now() - 1000;
  await submit(page, page.getByRole("button", { name: /create|register|sign up/i }));
  log("after registration at", page.url());
  await look(page, "registered");
  const signedIn = path(page).startsWith("/account");

  // The verification mail's link moves its token into a cookie and shows
  // the page without it.
  const link = await mailLink(email, "verify_email", "/verify-email", since);
  await page.goto(link);
  expectPath(page, "/verify-email");
  check(!page.url().includes("token="), "the token stayed in the address bar: " + page.url());
  await look(page, "verify-email");
  const confirm = page.getByRole("button", { name: /confirm|verify/i });
  if (await confirm.count()) { await submit(page, confirm.first()); }
  log("after verification at", page.url(), await flash(page));
  check(/verified|confirmed/i.test(await mainText(page) + " " + await flash(page)), "no confirmation: " + await mainText(page));

  if (signedIn || path(page).startsWith("/account")) { await go(page, "/account"); await signOut(page); }
  await go(page, "/login");
  // A wrong password: the error, tied to the fields.
  await signIn(page, email, password + "-wrong");
  check(await page.getByLabel("Password", { exact: true }).getAttribute("aria-invalid") === "true", "the password field is not marked invalid");
  await look(page, "login-error");
  await signIn(page, email, password);
  expectPath(page, "/account");
  await look(page, "account");
  check((await mainText(page)).includes(email), "the account page does not show the address");

  // Turn on TOTP with the manual key.
  await go(page, "/account/security");
  await look(page, "security");
  await submit(page, page.locator("[data-test=totp-enroll]"));
  await look(page, "totp-enroll");
  const secret = (await page.locator("[data-totp-secret]").innerText()).replace(/\s/g, "");
  check(secret.length >= 16, "manual key: " + secret);
  await page.getByLabel(/code/i).first().fill(totp(secret));
  await submit(page, page.getByRole("button", { name: /turn on|enable|verify|confirm/i }));
  const codes = await page.locator("[data-backup-codes] li").count();
  check(codes === 10, "backup codes shown: " + codes);
  await look(page, "backup-codes");

  // Sign out, sign in with the password and a TOTP code.
  await go(page, "/account");
  await signOut(page);
  check(/signed out/i.test(await flash(page)), "no signed-out message: " + await flash(page));
  await signIn(page, email, password, { totpSecret: secret, totpOffset: 1, mfaShot: "mfa" });
  expectPath(page, "/account");

  // The account pages.
  for (const [p, name] of [["/account/password", "password"], ["/account/sessions", "sessions"], ["/account/apps", "apps"],
    ["/account/organizations", "organizations"], ["/account/activity", "activity"], ["/account/security", "security-on"]]) {
    await go(page, p);
    await look(page, name);
  }
  check((await mainText(page)).match(/backup code/i), "the security page does not show the backup codes");
});
