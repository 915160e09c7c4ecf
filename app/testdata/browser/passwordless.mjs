// Passwordless sign-in with a passkey in Chromium with a DevTools virtual
// authenticator (resident keys, user verification): sign in with the
// password, add a passkey on the security page, sign out; then an OIDC
// request signed in with the "Sign in with a passkey" button without
// typing an email (the Go test checks the ID token's amr); then the email
// field's passkey autofill (conditional mediation, which the virtual
// authenticator answers by itself) signs in on /login.
// Env (besides lib.mjs's): EMAIL, PASSWORD, AUTH_URL (an authorization
// request of the RP), REDIRECT (the RP's redirect URI prefix).
import { check, env, expectPath, go, log, look, mainText, path, scenario, signIn, signOut, submit } from "./lib.mjs";

// toRP clicks button and waits for the RP's callback page ("RP OK").
async function toRP(page, button) {
  await submit(page, button, (u) => u.href.startsWith(env.REDIRECT));
  check((await page.locator("main").innerText()).includes("RP OK"), "RP: " + await page.locator("body").innerText());
}

await scenario(async ({ page }) => {
  await go(page, "/login?next=/account/security");
  await look(page, "login");
  check(await page.locator("#email").getAttribute("autocomplete") === "username webauthn", "the email field offers no passkey autofill");

  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true },
  });
  await go(page, "/login?next=/account/security");
  await signIn(page, env.EMAIL, env.PASSWORD);
  expectPath(page, "/account/security");
  await page.getByLabel(/name/i).first().fill("Passwordless key");
  await submit(page, page.locator("[data-test=add-passkey]"));
  check((await page.locator("[data-test=passkey]").allInnerTexts()).some((t) => t.includes("Passwordless key")), "passkey not listed: " + await mainText(page));
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  check(credentials.length === 1 && credentials[0].isResidentCredential, "the passkey is not discoverable: " + JSON.stringify(credentials.map((c) => c.isResidentCredential)));
  await signOut(page);

  // An OIDC request: the passkey button, no email typed.
  await page.goto(env.AUTH_URL);
  check(path(page) === "/oidc/login", "the RP did not lead to the sign-in page: " + page.url());
  check(await page.locator("#email").inputValue() === "", "the email field is not empty");
  await toRP(page, page.getByRole("button", { name: "Sign in with a passkey" }));
  log("signed in with the passkey button");

  // The SSO session of that sign-in opens the account; sign out again.
  await go(page, "/login?next=/account/security");
  expectPath(page, "/account/security");
  await signOut(page);

  // Autofill: the virtual authenticator answers the conditional request
  // as if the person picked the passkey in the email field's suggestions.
  await page.waitForURL((u) => u.pathname === "/account", { timeout: 15000 });
  log("signed in by passkey autofill at", page.url());
  check(!(await page.locator("#email").count()), "still on the sign-in page");
});
