// Scenario (b): a relying party (the Go test, with go-oidc) sends the
// browser to the authorization endpoint; the person signs in on the hosted
// page, allows the client on the consent page and lands on the RP's
// callback, which verified the ID token. A second visit skips the consent
// (remembered); the account's connected-apps page lists the client and
// revokes it through the confirmation page.
// Env (besides lib.mjs's): RP_START (the RP's start URL), RP_NAME (the
// client's name), CLIENT_ID, EMAIL, PASSWORD.
import { check, env, flash, go, look, mainText, path, scenario, signIn, submit, log } from "./lib.mjs";

const rpOrigin = new URL(env.RP_START).origin;
const atRP = (u) => u.origin === rpOrigin && u.pathname === "/callback";

await scenario(async ({ page }) => {
  await page.goto(env.RP_START);
  check(path(page) === "/login" || path(page).startsWith("/oidc/"), "the RP did not lead to the sign-in page: " + page.url());
  check((await mainText(page)).includes(env.RP_NAME), "the sign-in page does not name the client");
  await look(page, "oidc-login");
  await signIn(page, env.EMAIL, env.PASSWORD);
  log("after sign-in at", page.url());
  check(!atRP(new URL(page.url())), "no consent asked for an explicit-consent client");
  check((await mainText(page)).includes(env.RP_NAME), "the consent page does not name the client");
  await look(page, "consent");
  await submit(page, page.getByRole("button", { name: /allow|approve/i }), atRP);
  check((await page.locator("body").innerText()).includes("RP OK " + env.EMAIL), "RP callback: " + await page.locator("body").innerText());

  // Remembered: the second authorization goes straight through.
  await Promise.all([page.waitForURL(atRP), page.goto(env.RP_START)]);
  check((await page.locator("body").innerText()).includes("RP OK " + env.EMAIL), "second RP callback: " + await page.locator("body").innerText());

  // The connected apps page lists the client; revoking asks first.
  await go(page, "/account/apps");
  check((await mainText(page)).includes(env.RP_NAME), "connected apps do not list the client");
  await look(page, "apps-connected");
  await submit(page, page.getByRole("button", { name: new RegExp("(remove access|revoke).*" + env.RP_NAME, "i") }));
  if (await page.locator("[data-test=confirm]").count()) {
    await look(page, "confirm");
    await submit(page, page.locator("[data-test=confirm]"));
  }
  log("after revoking at", page.url(), await flash(page));
  check(!(await mainText(page)).includes(env.RP_NAME) || /revoked|removed/i.test(await flash(page)), "the client is still listed");

  // The device-code entry page, and the RP-initiated logout's question.
  await go(page, "/oidc/device");
  await look(page, "device");
  await go(page, "/oidc/logout?client_id=" + encodeURIComponent(env.CLIENT_ID));
  await look(page, "logout");
  await submit(page, page.getByRole("button", { name: /^sign out/i }));
  log("after the RP-initiated logout at", page.url());
  await look(page, "logged-out");
  await go(page, "/account/apps");
  check(path(page) === "/login", "still signed in after the logout: " + page.url());
});
