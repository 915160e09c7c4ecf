// The platform administration: a platform admin walks the users list,
// searches, opens a user, the email outbox and the signing keys.
// Env (besides lib.mjs's): EMAIL, PASSWORD (a platform admin), FIND (a user's address).
import { check, env, expectPath, go, look, mainText, scenario, signIn, submit } from "./lib.mjs";

await scenario(async ({ page }) => {
  await go(page, "/login?next=/admin/users");
  await signIn(page, env.EMAIL, env.PASSWORD);
  expectPath(page, "/admin/users");
  await look(page, "admin-users");
  const search = page.getByRole("searchbox").first();
  await search.fill(env.FIND);
  await submit(page, page.getByRole("button", { name: /search/i }).first());
  check((await mainText(page)).includes(env.FIND), "the search does not find " + env.FIND);
  await submit(page, page.getByRole("link", { name: env.FIND }).first());
  await look(page, "admin-user");
  await go(page, "/admin");
  await look(page, "admin-overview");
  await go(page, "/admin/outbox");
  await look(page, "admin-outbox");
  await go(page, "/admin/keys");
  await look(page, "admin-keys");
  await go(page, "/account");
  await look(page, "account-admin");
  // German (long words) on the widest table.
  await go(page, "/lang/de?next=/admin/users");
  check(await page.getAttribute("html", "lang") === "de", "the language switch did not apply");
  await look(page, "admin-users-de");
});
