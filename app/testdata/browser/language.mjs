// Scenario (f): a browser asking for German (Accept-Language de) gets the
// sign-in page in German; an English one switches with the footer's
// language link, and the choice sticks. Env: EMAIL, PASSWORD (an account).
import { check, env, go, look, mainText, newPage, scenario, submit } from "./lib.mjs";

await scenario(async ({ browser, page }) => {
  const de = await newPage(browser, { locale: "de-DE" });
  await go(de, "/login");
  check(await de.getAttribute("html", "lang") === "de", "html lang is not de");
  check(await de.getByLabel("E-Mail-Adresse", { exact: true }).count() === 1, "no German email label");
  check(await de.getByRole("button", { name: "Anmelden", exact: true }).count() === 1, "no German sign-in button");
  await look(de, "login-de");
  await go(de, "/register");
  await look(de, "register-de");
  // Signed in, the shell and the account pages speak German too.
  await go(de, "/login");
  await de.getByLabel("E-Mail-Adresse", { exact: true }).fill(env.EMAIL);
  await de.getByLabel("Passwort", { exact: true }).fill(env.PASSWORD);
  await submit(de, de.getByRole("button", { name: "Anmelden", exact: true }), "/account");
  check(await de.getByRole("button", { name: "Abmelden" }).count() === 1, "the shell is not German");
  await look(de, "account-de");
  await go(de, "/account/sessions");
  await look(de, "sessions-de");
  await go(de, "/no-such-page", 404);
  await look(de, "not-found-de");

  await go(page, "/login");
  check(await page.getAttribute("html", "lang") === "en", "html lang is not en");
  await Promise.all([page.waitForURL((u) => u.pathname === "/login"), page.getByRole("link", { name: "Deutsch" }).click()]);
  check(await page.getAttribute("html", "lang") === "de", "the language link did not switch to German");
  check((await mainText(page)).includes("Passwort"), "the page is not German");
  await go(page, "/forgot-password");
  check(await page.getAttribute("html", "lang") === "de", "the choice did not stick");
  await look(page, "forgot-de");
});
