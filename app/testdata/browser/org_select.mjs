// Organization selection (scope "organization"): a person in two
// organizations signs in to an org-branded client, picks one on the
// selection page (screenshots, accessibility check) and lands on the RP.
// Env (besides lib.mjs's): AUTH_URL, EMAIL, PASSWORD, REDIRECT (the RP's callback), ORG_NAME
// (the organization to pick), CLIENT_ORG (the client's organization).
import { check, env, log, look, mainText, path, scenario, signIn, submit } from "./lib.mjs";

// toRP clicks button and waits for the RP's callback page ("RP OK").
async function toRP(page, button) {
  await submit(page, button, (u) => u.href.startsWith(env.REDIRECT));
  check((await page.locator("main").innerText()).includes("RP OK"), "RP: " + await page.locator("body").innerText());
}

await scenario(async ({ page }) => {
  await page.goto(env.AUTH_URL);
  check(path(page) === "/oidc/login", "the RP did not lead to the sign-in page: " + page.url());
  check((await page.locator(".card-brand").innerText()).includes(env.CLIENT_ORG), "the sign-in page does not show the client's organization");
  await look(page, "org-login");
  await signIn(page, env.EMAIL, env.PASSWORD);
  check(path(page) === "/oidc/org", "no organization selection: " + page.url());
  check((await mainText(page)).includes(env.ORG_NAME), "the selection does not list " + env.ORG_NAME);
  await look(page, "org-select");
  await toRP(page, page.getByRole("button", { name: new RegExp(env.ORG_NAME) }));
  log("chose", env.ORG_NAME);
});
