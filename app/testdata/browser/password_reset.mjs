// A person who forgot their password asks for a reset link at
// /forgot-password, opens it from the mail (file provider), sets a new
// password at /reset-password and signs in with it.
// Env (besides lib.mjs's): EMAIL (an existing account), PASSWORD (the new one).
import { check, env, expectPath, flash, go, look, mailLink, mainText, path, scenario, signIn, submit, log } from "./lib.mjs";

await scenario(async ({ page }) => {
  await go(page, "/login");
  await submit(page, page.locator("[data-test=forgot-password]"), "/forgot-password");
  await look(page, "forgot");
  await page.getByLabel("Email", { exact: true }).fill(env.EMAIL);
  const since = Date.now() - 1000;
  await submit(page, page.getByRole("button", { name: /send|reset/i }));
  log("after asking at", page.url());
  await look(page, "forgot-sent");

  const link = await mailLink(env.EMAIL, "password_reset", "/reset-password", since);
  await page.goto(link);
  expectPath(page, "/reset-password");
  check(!page.url().includes("token="), "the token stayed in the address bar: " + page.url());
  await look(page, "reset");
  await page.getByLabel("New password", { exact: true }).fill(env.PASSWORD);
  await page.getByLabel(/confirm|repeat/i).fill(env.PASSWORD);
  await submit(page, page.getByRole("button", { name: /password|save|reset/i }));
  log("after the reset at", page.url(), await flash(page));
  if (path(page) !== "/login") { await go(page, "/login"); }
  await signIn(page, env.EMAIL, env.PASSWORD);
  expectPath(page, "/account");
  check((await mainText(page)).includes(env.EMAIL), "not signed in as " + env.EMAIL);
});
