// Scenario (e): an admin of one organization opening another
// organization's pages (and the platform administration) gets the
// not-found page, as for a page that does not exist. Also: signing in
// with the keyboard only, and the skip link.
// Env (besides lib.mjs's): EMAIL, PASSWORD, OWN_SLUG, OTHER_SLUG.
import { check, env, go, look, mainText, scenario } from "./lib.mjs";

await scenario(async ({ page }) => {
  await go(page, "/no-such-page", 404);
  await look(page, "not-found");
  // Keyboard only: the email field has the focus, Tab goes to the
  // password, Enter signs in.
  await go(page, "/login");
  check(await page.evaluate(() => document.activeElement.id) === "email", "the email field does not have the focus");
  await page.keyboard.type(env.EMAIL);
  await page.keyboard.press("Tab");
  check(await page.evaluate(() => document.activeElement.id) === "password", "Tab does not lead to the password");
  await page.keyboard.type(env.PASSWORD);
  await Promise.all([page.waitForURL((u) => u.pathname === "/account"), page.keyboard.press("Enter")]);
  await go(page, `/orgs/${env.OWN_SLUG}/members`);
  // Keyboard: the first Tab shows the skip link, Enter moves to the content.
  await page.keyboard.press("Tab");
  const skip = await page.evaluate(() => {
    const el = document.activeElement;
    const r = el.getBoundingClientRect();
    return { cls: el.className, visible: r.top >= 0 && r.bottom <= innerHeight && r.width > 0 };
  });
  check(skip.cls === "skip-link" && skip.visible, "the first Tab does not show the skip link: " + JSON.stringify(skip));
  await page.keyboard.press("Enter");
  check(await page.evaluate(() => document.activeElement.id) === "main", "the skip link does not move focus to the content");
  for (const p of ["", "/members", "/invites", "/clients", "/api-keys", "/mfa", "/audit", "/settings"]) {
    await go(page, `/orgs/${env.OTHER_SLUG}${p}`, 404);
    check(!(await mainText(page)).includes(env.OTHER_SLUG), "the not-found page names the other organization");
  }
  await look(page, "not-found-signed-in");
  await go(page, "/admin", 404);
  await go(page, "/admin/users", 404);
});
