// The hosted OIDC sign-in with a second-factor passkey, in Chromium with a
// DevTools virtual authenticator: registers a passkey through the REST API
// (in the page), then signs in with the password and the passkey button
// of the second-step page. Prints the authorization response URL as
// "REDIRECT <url>" for the Go test to redeem.
// Env (besides lib.mjs's): SECUIRD_TOKEN (a session of the user),
// AUTH_URL, EMAIL, PASSWORD, REDIRECT (the RP's redirect URI prefix).
import { base, check, clickToRP, env, scenario, signIn } from "./lib.mjs";

await scenario(async ({ page }) => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true },
  });
  // Register a passkey for the user from a page of the origin without the
  // hosted pages' CSP (which allows no fetch there).
  await page.goto(base + "/static/secuird.css");
  await page.evaluate(async (token) => {
    const b = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4)), (c) => c.charCodeAt(0)).buffer;
    const u = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const h = { Authorization: "Bearer " + token, "Content-Type": "application/json" };
    const opts = await (await fetch("/api/v1/auth/webauthn/register/begin", { method: "POST", headers: h })).json();
    const pk = opts.publicKey;
    pk.challenge = b(pk.challenge);
    pk.user.id = b(pk.user.id);
    (pk.excludeCredentials || []).forEach((c) => { c.id = b(c.id); });
    const cred = await navigator.credentials.create({ publicKey: pk });
    const body = { session_token: opts.session_token, credential: { id: cred.id, rawId: u(cred.rawId), type: cred.type,
      response: { attestationObject: u(cred.response.attestationObject), clientDataJSON: u(cred.response.clientDataJSON) } } };
    const r = await fetch("/api/v1/auth/webauthn/register/complete", { method: "POST", headers: h, body: JSON.stringify(body) });
    if (r.status !== 201) { throw new Error("register: " + r.status + " " + await r.text()); }
  }, env.SECUIRD_TOKEN);

  await page.goto(env.AUTH_URL);
  await signIn(page, env.EMAIL, env.PASSWORD);
  const button = page.locator("[data-passkey-begin]");
  check(await button.count() === 1, "no passkey button on the second step: " + page.url());
  // The RP is not running: the redirect to it is the answer.
  console.log("REDIRECT " + await clickToRP(page, button, env.REDIRECT));
});
