// The accounts page as its users use it, in Debian's headless Chromium against the real nginx,
// iiifd and redis (run_accounts_test.sh). The administrator ("admin", the API key of iiifd.toml)
// adds the institution "north" and renames it, creates the editor "nora" of it (a password too
// short first), makes a key for her that is shown once, copied, works, and is gone after a
// reload, revokes it (the API refuses it then), disables and enables her, changes her role back
// and forth, sets her password, makes the key she signs in with, and reads the audit log page by
// page. Nora, in French with the keyboard only, sees her account and north's audit log, and no
// accounts or institutions; she makes a key, changes her name and her password. A reader sees
// only their account. Every view passes axe-core's WCAG 2.1 A and AA rules; a phone's screen
// does not scroll sideways and its buttons are 44 px high. Screenshots: IIIF_ARTIFACTS/web-accounts-*.png.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

import {
  accessibilityViolations, clipboardPage, launchOptions, noSidewaysScroll, smallButtons, tabTo,
} from "./pages.mjs";

const base = process.env.IIIF_BASE;
const adminKey = process.env.IIIF_KEY;
const artifacts = process.env.IIIF_ARTIFACTS;

const branches = Array.from({ length: 12 }, (_, i) => `branch-${i + 1}`);
// What the administrator's steps write in the audit log, the most recent first: all of north.
const northActions = ["key.create", "account.password", "account.change", "account.change",
  "account.change", "account.change", "key.revoke", "key.create", "account.create",
  "institution.change", "institution.create"];
// iiifd's first start: the home institution, alice, admin and its key.
const bootstrapActions = ["key.create", "account.create", "account.create", "shoulder.create", "institution.create"];

let browser;
let api;  // requests of the administrator's key, outside the page
const scriptErrors = [];
const made = {};  // the keys' texts: "nora" (to sign in), "rita"

before(async () => {
  browser = await chromium.launch(launchOptions);
  api = await browser.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${adminKey}` } });
  // Twelve more institutions, whose entries fill the audit log's first page.
  for (const id of branches) {
    const answer = await api.request.put(`${base}/api/v1/institutions/${id}`, { data: { name: `Branch ${id}` } });
    assert.equal(answer.status(), 201);
  }
});

after(async () => {
  await api?.close();
  await browser?.close();
});

function newPage(locale, viewport = { width: 1280, height: 900 }, extra = {}) {
  return clipboardPage(browser, base, scriptErrors, locale, viewport, extra);
}

async function signInWithKey(page, key) {
  await page.fill("#api-key", key);
  await page.click("#key-form button[type=submit]");
  await page.waitForSelector("#me:not([hidden])");
}

// The API's answer to GET /api/v1/session with `key`: its status.
async function sessionStatus(key) {
  const context = await browser.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${key}` } });
  const answer = await context.request.get(`${base}/api/v1/session`);
  const result = { status: answer.status(), body: answer.ok() ? await answer.json() : null };
  await context.close();
  return result;
}

const texts = (page, selector) => page.$$eval(selector, (items) => items.map((i) => i.textContent));

async function accountRows(page) {
  return page.$$eval("#accounts-table tbody tr", (rows) =>
    rows.map((row) => Array.from(row.cells).slice(0, 5).map((cell) => cell.textContent)));
}

async function auditRows(page) {
  return page.$$eval("#audit-table tbody tr", (rows) =>
    rows.map((row) => ({ action: row.cells[2].textContent, target: row.cells[3].textContent,
      institution: row.cells[4].textContent })));
}

async function keyRows(page, prefix) {
  return page.$$eval(`#${prefix}-list li.key`, (items) => items.map((item) =>
    [item.querySelector(".key-label").textContent, item.dataset.state]));
}

// How often `text` is on the page: in its text and its fields' values.
async function occurrences(page, text) {
  return page.evaluate((wanted) => {
    const inText = document.body.innerText.split(wanted).length - 1;
    const inFields = Array.from(document.querySelectorAll("input, textarea"))
      .filter((field) => field.value.includes(wanted)).length;
    return inText + inFields;
  }, text);
}

async function waitForText(page, selector, text) {
  await page.waitForFunction(([s, wanted]) => document.querySelector(s)?.textContent === wanted,
    [selector, text], { timeout: 10000 }).catch(() => null);
  assert.equal(await page.textContent(selector), text);
}

test("the administrator: an institution, an editor, her keys and state, the audit log", async () => {
  const page = await newPage("en-GB");
  await page.goto(`${base}/accounts.html`);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.textContent("h1"), "Accounts");
  assert.equal(await page.getAttribute('nav a[href="/accounts.html"]', "aria-current"), "page");
  assert.equal(await page.isVisible("#me"), false);
  assert.deepEqual(await accessibilityViolations(page), []);

  await signInWithKey(page, adminKey);
  assert.equal(await page.textContent("#signed-in-as"), "Signed in with an API key.");
  assert.equal(await page.textContent("#me-name"), "admin (Administrator)");
  assert.equal(await page.textContent("#me-role"), "Administrator");
  assert.equal(await page.textContent("#me-institution"), "Test Library (main)");
  await page.waitForSelector("#accounts-section:not([hidden])");
  assert.deepEqual(await accountRows(page), [
    ["admin", "Administrator", "Administrator", "Test Library (main)", "Active"],
    ["alice", "", "Editor", "Test Library (main)", "Active"],
  ]);

  // The institution north, added then renamed.
  await page.fill("#institution-id", "north");
  await page.fill("#institution-name", "North Library");
  await page.fill("#institution-homepage", "https://north.example.org/");
  await page.click("#institution-form button[type=submit]");
  await waitForText(page, "#institution-status", "The institution north was added.");
  await page.fill("#institution-id", "north");
  await page.fill("#institution-name", "Northern Library");
  await page.click("#institution-form button[type=submit]");
  await waitForText(page, "#institution-status", "The institution north was renamed.");
  const listed = await texts(page, "#institutions-list li");
  assert.equal(listed.length, 14);
  assert.deepEqual(listed.filter((item) => !item.startsWith("Branch")),
    ["Test Library (main)", "Northern Library (north)"]);

  // nora, an editor of north: a password too short is refused, then one long enough.
  await page.fill("#create-name", "nora");
  await page.fill("#create-display-name", "Nora North");
  await page.fill("#create-email", "nora@north.example");
  await page.selectOption("#create-role", "editor");
  await page.selectOption("#create-institution", "north");
  await page.fill("#create-groups", "depositors, maps");
  await page.fill("#create-password", "too short");
  await page.click("#create-form button[type=submit]");
  await waitForText(page, "#create-status", "The account could not be created: password: shorter than 12 characters");
  assert.equal(await page.getAttribute("#create-status", "class"), "status error");
  await page.fill("#create-password", "nora's first password");
  await page.click("#create-form button[type=submit]");
  await waitForText(page, "#create-status", "The account nora was created.");
  assert.deepEqual((await accountRows(page))[2],
    ["nora", "Nora North", "Editor", "Northern Library (north)", "Active"]);
  const nora = await (await api.request.get(`${base}/api/v1/accounts/nora`)).json();
  assert.deepEqual([nora.email, nora.groups, nora.has_password], ["nora@north.example", ["depositors", "maps"], true]);

  // Her first key: shown once, copied, working.
  await page.click('button[aria-label="Manage the account nora"]');
  await page.waitForSelector("#account-detail:not([hidden]) #detail-keys-list");
  assert.equal(await page.evaluate(() => document.activeElement.id), "account-detail");
  assert.equal(await page.textContent("#detail-heading"), "The account nora");
  assert.deepEqual(await texts(page, "#detail-keys-list li"), ["No key yet."]);
  await page.fill("#detail-keys-label", "laptop");
  await page.click("#detail-keys-form button[type=submit]");
  // The status is said, then the focus goes to the key.
  await waitForText(page, "#detail-keys-status", "The key laptop was made.");
  const laptop = await page.inputValue("#detail-keys-text");
  assert.match(laptop, /^iiif_[A-Za-z0-9_-]{32}$/);
  assert.equal(await page.evaluate(() => document.activeElement.id), "detail-keys-text");
  assert.equal(await page.textContent("#detail-keys-new .warning"), "Copy this key now: it will not be shown again.");
  assert.equal(await occurrences(page, laptop), 1);
  assert.deepEqual(await keyRows(page, "detail-keys"), [["laptop", "active"]]);
  await page.click('#detail-keys-new button[aria-label="Copy the new API key"]');
  await waitForText(page, "#copy-status", "Copied: new API key");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), laptop);
  const withLaptop = await sessionStatus(laptop);
  assert.deepEqual([withLaptop.status, withLaptop.body.user, withLaptop.body.role], [200, "nora", "editor"]);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-accounts-key.png"), fullPage: true });

  // After a reload (the administrator's key kept for the tab), the key is listed, its text gone.
  await page.reload();
  await page.waitForSelector("#accounts-section:not([hidden])");
  await page.click('button[aria-label="Manage the account nora"]');
  await page.waitForSelector("#detail-keys-list li.key");
  assert.deepEqual(await keyRows(page, "detail-keys"), [["laptop", "active"]]);
  assert.equal(await occurrences(page, laptop), 0);
  assert.equal((await page.content()).includes(laptop), false);

  // Revoked: the API refuses it.
  await page.click('button[aria-label="Revoke the key laptop"]');
  await waitForText(page, "#detail-keys-status", "The key laptop was revoked.");
  assert.deepEqual(await keyRows(page, "detail-keys"), [["laptop", "revoked"]]);
  assert.match(await page.textContent("#detail-keys-list .key-state"), /^Revoked /);
  assert.equal((await sessionStatus(laptop)).status, 401);

  // Disabled, then enabled again.
  await page.click("#detail-toggle");
  await waitForText(page, "#detail-status", "The account nora is now: Disabled.");
  assert.equal((await accountRows(page))[2][4], "Disabled");
  assert.equal(await page.textContent("#detail-toggle"), "Enable this account");
  assert.equal(await page.evaluate(() => document.activeElement.id), "detail-toggle");
  await page.click("#detail-toggle");
  await waitForText(page, "#detail-status", "The account nora is now: Active.");
  assert.equal((await accountRows(page))[2][4], "Active");

  // A reader, then an editor again; a new password; the key she will sign in with.
  await page.selectOption("#detail-role", "reader");
  await page.click("#detail-form button[type=submit]");
  await waitForText(page, "#detail-status", "The account nora was changed.");
  assert.equal((await accountRows(page))[2][2], "Reader");
  await page.selectOption("#detail-role", "editor");
  await page.click("#detail-form button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#accounts-table tbody tr")[2].cells[2].textContent === "Editor");
  await page.fill("#detail-password", "nora's second password");
  await page.click("#detail-password-form button[type=submit]");
  await waitForText(page, "#detail-status", "The password of nora was set.");
  await page.fill("#detail-keys-label", "signing in");
  await page.click("#detail-keys-form button[type=submit]");
  await waitForText(page, "#detail-keys-status", "The key signing in was made.");
  made.nora = await page.inputValue("#detail-keys-text");
  assert.deepEqual(await keyRows(page, "detail-keys"), [["laptop", "revoked"], ["signing in", "active"]]);

  // The audit log: 20 entries, then the 8 older ones.
  await page.waitForFunction(() => document.querySelector("#audit-table tbody tr td:nth-child(3)")?.textContent === "key.create"
    && document.querySelectorAll("#audit-table tbody tr").length === 20);
  const first = await auditRows(page);
  assert.deepEqual(first.map((row) => row.action), [...northActions, ...branches.slice(3).map(() => "institution.create")]);
  assert.deepEqual(first.slice(0, 11).map((row) => row.institution), northActions.map(() => "north"));
  assert.deepEqual(first.slice(11).map((row) => row.target), branches.slice(3).reverse());
  assert.match(first[0].target, /^nora\/[0-9a-f]{12}$/);
  assert.equal(await page.isVisible("#audit-older"), true);
  await page.click("#audit-older");
  await waitForText(page, "#audit-status", "8 older changes shown.");
  const all = await auditRows(page);
  assert.deepEqual(all.slice(20).map((row) => row.action),
    [...branches.slice(0, 3).map(() => "institution.create"), ...bootstrapActions]);
  assert.deepEqual(all.slice(23).map((row) => row.institution), bootstrapActions.map(() => "main"));
  assert.equal(await page.isVisible("#audit-older"), false);
  assert.equal(await page.evaluate(() => document.activeElement === document.querySelectorAll("#audit-table tbody tr")[20]), true);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-accounts-admin.png"), fullPage: true });
  await page.context().close();
});

test("keyboard only, French: the editor sees her account and north's audit log, and makes a key", async () => {
  assert.ok(made.nora, "the administrator made no key for nora");
  const page = await newPage("fr-FR");
  await page.goto(`${base}/accounts.html`);
  assert.equal(await page.getAttribute("html", "lang"), "fr");
  assert.equal(await page.textContent("h1"), "Comptes");
  assert.equal(await page.textContent("#signin-intro"),
    "Pour voir votre compte, connectez-vous avec lui ou avec l’une de ses clés d’API.");

  await tabTo(page, "#api-key");
  await page.keyboard.type(made.nora);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#me:not([hidden])");
  assert.equal(await page.evaluate(() => document.activeElement.id), "me");
  assert.equal(await page.textContent("#me-heading"), "Mon compte");
  assert.equal(await page.textContent("#me-name"), "nora (Nora North)");
  assert.equal(await page.textContent("#me-role"), "Éditeur");
  assert.equal(await page.textContent("#me-institution"), "Northern Library (north)");
  assert.equal(await page.inputValue("#profile-email"), "nora@north.example");
  await page.waitForSelector("#audit-section:not([hidden]) #audit-table tbody tr");
  assert.equal(await page.isVisible("#accounts-section"), false);
  assert.equal(await page.isVisible("#accounts-table"), false);
  assert.equal(await page.isVisible("#institutions-section"), false);
  assert.equal(await page.isVisible("#institution-form"), false);
  assert.equal(await page.textContent("#audit-heading"), "Modifications récentes");
  assert.equal(await page.textContent("#audit-intro"),
    "Les modifications qui concernent Northern Library, les plus récentes d’abord.");
  const rows = await auditRows(page);
  assert.deepEqual(rows.map((row) => row.action), northActions);
  assert.deepEqual(rows.map((row) => row.institution), northActions.map(() => "north"));
  assert.equal(await page.isVisible("#audit-older"), false);

  // A key, with the keyboard: its label, Enter, then its copy button.
  await tabTo(page, "#my-keys-label");
  assert.equal(await page.textContent('label[for="my-keys-label"]'), "Libellé d’une nouvelle clé");
  await page.keyboard.type("portable");
  await page.keyboard.press("Enter");
  await waitForText(page, "#my-keys-status", "La clé portable a été créée.");
  assert.equal(await page.evaluate(() => document.activeElement.id), "my-keys-text");
  const portable = await page.inputValue("#my-keys-text");
  assert.match(portable, /^iiif_/);
  assert.equal(await page.textContent("#my-keys-new .warning"), "Copiez cette clé maintenant : elle ne sera plus affichée.");
  assert.deepEqual(await keyRows(page, "my-keys"), [["laptop", "revoked"], ["signing in", "active"], ["portable", "active"]]);
  await tabTo(page, 'button[aria-label="Copier : nouvelle clé d’API"]');
  await page.keyboard.press("Enter");
  await waitForText(page, "#copy-status", "Copié : nouvelle clé d’API");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), portable);
  assert.equal((await sessionStatus(portable)).body.user, "nora");
  await page.waitForFunction(() => document.querySelector("#audit-table tbody tr td:nth-child(3)")?.textContent === "key.create"
    && document.querySelectorAll("#audit-table tbody tr").length === 12);

  // Her name; her password: the current one must be right.
  await page.fill("#profile-display-name", "Nora of the North");
  await page.click("#profile-form button[type=submit]");
  await waitForText(page, "#profile-status", "Enregistré.");
  assert.equal(await page.textContent("#me-name"), "nora (Nora of the North)");
  await page.fill("#password-current", "not her password");
  await page.fill("#password-new", "nora's third password");
  await page.click("#password-form button[type=submit]");
  await waitForText(page, "#password-status", "Non enregistré : current_password: not this account's password");
  await page.fill("#password-current", "nora's second password");
  await page.click("#password-form button[type=submit]");
  await waitForText(page, "#password-status", "Le mot de passe a été changé.");
  assert.equal(await page.inputValue("#password-current"), "");
  // An editor may not list the accounts: the API says so too.
  const refused = await page.evaluate(async (key) =>
    (await fetch("/api/v1/accounts", { headers: { Authorization: `Bearer ${key}` } })).status, made.nora);
  assert.equal(refused, 403);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-accounts-editor-fr.png"), fullPage: true });
  await page.context().close();
});

test("a reader sees only their account", async () => {
  const created = await api.request.post(`${base}/api/v1/accounts`, { data: { name: "rita", role: "reader" } });
  assert.equal(created.status(), 201);
  const key = await api.request.post(`${base}/api/v1/accounts/rita/keys`, { data: { label: "rita's key" } });
  made.rita = (await key.json()).key;
  const page = await newPage("en-GB");
  await page.goto(`${base}/accounts.html`);
  await signInWithKey(page, made.rita);
  await page.waitForSelector("#my-keys-list li.key");
  assert.equal(await page.textContent("#me-role"), "Reader");
  assert.equal(await page.textContent("#me-institution"), "Test Library (main)");
  assert.deepEqual(await keyRows(page, "my-keys"), [["rita's key", "active"]]);
  for (const section of ["#accounts-section", "#institutions-section", "#audit-section"]) {
    assert.equal(await page.isVisible(section), false, section);
  }
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.click("#signout");
  await page.waitForSelector("#signin-forms:not([hidden])");
  assert.equal(await page.isVisible("#me"), false);
  assert.equal(await page.evaluate(() => document.activeElement.id), "account-signin");
  await page.context().close();
});

test("a phone: the administrator's page fits the screen, its buttons a finger", async () => {
  const page = await newPage("fr-FR", { width: 390, height: 844 }, { isMobile: true, hasTouch: true });
  await page.goto(`${base}/accounts.html`);
  await signInWithKey(page, adminKey);
  await page.waitForSelector("#accounts-section:not([hidden])");
  await page.click('button[aria-label="Gérer le compte nora"]');
  await page.waitForSelector("#detail-keys-list li.key");
  await page.waitForSelector("#audit-table tbody tr");
  assert.equal(await noSidewaysScroll(page), true);
  assert.deepEqual(await smallButtons(page), []);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-accounts-phone.png"), fullPage: true });
  await page.context().close();
});

test("no script error on any page", () => {
  assert.deepEqual(scriptErrors, []);
});
