// Organization selection (scope "organization"): a person in two
// organizations signs in to an org-branded client, picks one on the
// selection page (screenshots, accessibility check) and lands on the RP.
// Env (besides lib.mjs's): AUTH_URL, EMAIL, PASSWORD, REDIRECT, ORG_NAME
// (the organization to pick), CLIENT_ORG (the client's organization).
import { check, env, log, look, mainText, path, scenario, signIn, submit } from "./lib.mjs";

await scenario(async ({ page }) => {
  await page.goto(env.AUTH_URL);
  check(path(page) === "/oidc/login", "the RP did not lead to the sign-in page: " + page.url());
  check((await page.locator(".card-brand").innerText()).includes(env.CLIENT_ORG), "the sign-in page does not show the client's organization");
  await look(page, "org-login");
  await signIn(page, env.EMAIL, env.PASSWORD);
  check(path(page) === "/oidc/org", "no organization selection: " + page.url());
  check((await mainText(page)).includes(env.ORG_NAME), "the selection does not list " + env.ORG_NAME);
  await look(page, "org-select");
  // The RP's callback is answered here; the Go test redeems the code.
  await page.route((u) => u.href.startsWith(env.REDIRECT), (route) => route.fulfill({ status: 200, contentType: "text/html",
    body: "<!doctype html><html lang=en><title>RP</title><main><h1>RP</h1></main></html>" }));
  await submit(page, page.getByRole("button", { name: new RegExp(env.ORG_NAME) }), (u) => u.href.startsWith(env.REDIRECT));
  console.log("REDIRECT " + page.url());
  log("chose", env.ORG_NAME);
});
