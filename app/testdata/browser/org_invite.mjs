// Scenario (c): an organization admin walks the organization pages,
// invites a new member at /orgs/SLUG/invites; the invitee opens the
// emailed link (file provider) in their own browser, creates an account on
// the invite page and is a member; the admin sees them on the members page.
// Env (besides lib.mjs's): ADMIN_EMAIL, ADMIN_PASSWORD, ORG_SLUG, ORG_NAME,
// INVITEE (a new address), PASSWORD (the invitee's).
import { check, env, expectPath, flash, go, look, mailLink, mainText, newPage, path, scenario, signIn, submit, log } from "./lib.mjs";

const org = "/orgs/" + env.ORG_SLUG;

await scenario(async ({ browser, page }) => {
  await go(page, "/login?next=" + encodeURIComponent(org));
  await signIn(page, env.ADMIN_EMAIL, env.ADMIN_PASSWORD);
  expectPath(page, org);
  await look(page, "org-overview");
  for (const [p, name] of [["/members", "org-members"], ["/clients", "org-clients"], ["/clients/new", "org-client-new"],
    ["/api-keys", "org-api-keys"], ["/mfa", "org-mfa"], ["/audit", "org-audit"], ["/settings", "org-settings"], ["/invites", "org-invites"]]) {
    await go(page, org + p);
    await look(page, name);
  }

  // Secrets are shown once: a new API key and a new OIDC client.
  await go(page, org + "/api-keys");
  await page.getByLabel("Name", { exact: true }).fill("CI deploy");
  await submit(page, page.locator("[data-test=key-form] button[type=submit]"));
  check(await page.locator("[data-test=secret]").count() === 1, "the new API key is not shown: " + await mainText(page));
  await look(page, "org-api-key-secret");
  await go(page, org + "/clients/new");
  await page.getByLabel("Name", { exact: true }).fill("Browser Client");
  await page.getByLabel(/redirect uris/i).first().fill("https://app.example.com/callback");
  await submit(page, page.locator("[data-test=save-client]"));
  check(await page.locator("[data-test=secret]").count() === 1, "the new client's secret is not shown: " + await mainText(page));
  await look(page, "org-client-secret");

  // Invite.
  await go(page, org + "/invites");
  const since = Date.now() - 1000;
  await page.getByLabel("Email", { exact: true }).fill(env.INVITEE);
  const role = page.getByLabel(/role/i);
  if (await role.count()) { await role.first().selectOption("member"); }
  await submit(page, page.getByRole("button", { name: /invite|send/i }).first());
  log("after inviting at", page.url(), await flash(page));
  check((await mainText(page)).includes(env.INVITEE), "the invite is not listed");
  await look(page, "org-invites-sent");

  // The invitee, in their own browser, with the link from the mail.
  const link = await mailLink(env.INVITEE, "org_invite", "/invite", since);
  const guest = await newPage(browser);
  await guest.goto(link);
  expectPath(guest, "/invite");
  check(!guest.url().includes("token="), "the token stayed in the address bar: " + guest.url());
  check((await mainText(guest)).includes(env.ORG_NAME), "the invite page does not name the organization");
  await look(guest, "invite");
  const name = guest.getByLabel(/name/i);
  if (await name.count()) { await name.first().fill("Ian Invitee"); }
  await guest.getByLabel("Password", { exact: true }).fill(env.PASSWORD);
  await guest.getByLabel(/confirm|repeat/i).fill(env.PASSWORD);
  await submit(guest, guest.getByRole("button", { name: /accept|create|join/i }).first());
  log("after accepting at", guest.url(), await flash(guest));
  check(!path(guest).startsWith("/invite"), "still on the invite page: " + await mainText(guest));
  await go(guest, "/account/organizations");
  check((await mainText(guest)).includes(env.ORG_NAME), "the invitee is not a member");
  await look(guest, "invitee-organizations");

  await go(page, org + "/members");
  check((await mainText(page)).includes(env.INVITEE), "the members page does not list the invitee");
  // German (long words) on the members and MFA pages.
  await go(page, "/lang/de?next=" + encodeURIComponent(org + "/members"));
  check(await page.getAttribute("html", "lang") === "de", "the language switch did not apply");
  await look(page, "org-members-de");
  await go(page, org + "/mfa");
  await look(page, "org-mfa-de");
});
