// Organization selection (scope "organization"): a person in two
// organizations signs in to an org-branded client, picks one on the
// selection page (screenshots, accessibility check) and lands on the RP.
// Env (besides lib.mjs's): AUTH_URL, EMAIL, PASSWORD, REDIRECT, ORG_NAME
// (the organization to pick), CLIENT_ORG (the client's organization).
import { check, env, log, look, mainText, path, scenario, signIn } from "./lib.mjs";

await scenario(async ({ page }) => {
  await page.goto(env.AUTH_URL);
  check(path(page) === "/oidc/login", "the RP did not lead to the sign-in page: " + page.url());
  check((await page.locator(".card-brand").innerText()).includes(env.CLIENT_ORG), "the sign-in page does not show the client's organization");
  await look(page, "org-login");
  await signIn(page, env.EMAIL, env.PASSWORD);
  check(path(page) === "/oidc/org", "no organization selection: " + page.url());
  check((await mainText(page)).includes(env.ORG_NAME), "the selection does not list " + env.ORG_NAME);
  await look(page, "org-select");
  const done = page.waitForRequest((r) => r.url().startsWith(env.REDIRECT), { timeout: 15000 });
  await page.getByRole("button", { name: new RegExp(env.ORG_NAME) }).click();
  const redirect = (await done).url();
  console.log("REDIRECT " + redirect);
  log("chose", env.ORG_NAME);
});
