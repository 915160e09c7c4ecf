// Scenario (e): an admin of one organization opening another
// organization's pages (and the platform administration) gets the
// not-found page, as for a page that does not exist.
// Env (besides lib.mjs's): EMAIL, PASSWORD, OWN_SLUG, OTHER_SLUG.
import { check, env, go, look, mainText, scenario, signIn } from "./lib.mjs";

await scenario(async ({ page }) => {
  await go(page, "/no-such-page", 404);
  await look(page, "not-found");
  await go(page, "/login");
  await signIn(page, env.EMAIL, env.PASSWORD);
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
