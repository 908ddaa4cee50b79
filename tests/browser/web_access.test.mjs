// The sets and access policies page as its users use it, in Debian's headless Chromium against
// the real nginx, iiifd and redis (run_access_test.sh). The administrator (the API key of
// iiifd.toml) is refused a network policy without networks, creates the network policy
// "campus" (192.0.2.0/24, degraded to 800 px) and changes its label; in French, with the
// keyboard only, creates the set "collection:maps" under it. An editor sees both lists and
// nothing to change them with; a reader is told the API's refusal. The administrator makes
// "campus" the default and is refused its deletion (409: the default), makes "public" the
// default again and is refused it once more (409: the set names it), deletes the set, then the
// policy. Every list is read on the page and from the API after each step. Every view passes
// axe-core's WCAG 2.1 A and AA rules; a phone's screen does not scroll sideways and its buttons
// are 44 px high. Screenshots: IIIF_ARTIFACTS/web-access-*.png.
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

// The API's reasons, said on the page as they are.
const reasons = {
  noNetworks: "[policies.campus] networks: required for a network policy",
  stillDefault: "\"campus\" is the default policy",
  namedBySet: "the set \"collection:maps\" gives its objects this policy",
  readerRefused: "list access policies: editors and administrators only",
};

// GET /api/v1/policies's entries.
const publicPolicy = { name: "public", kind: "public", builtin: true, networks: [], groups: [], degraded_size: 0,
  watermark: "", watermark_unauthorised_only: false, label: "", heading: "", note: "" };
const campusPolicy = { name: "campus", kind: "network", builtin: false, networks: ["192.0.2.0/24"], groups: [],
  degraded_size: 800, watermark: "institution", watermark_unauthorised_only: false, label: "Reading rooms",
  heading: "", note: "" };
const watermarks = ["institution", "example"];
const mapsSet = { spec: "collection:maps", name: "Cartes et plans", description: "Des cartes du XVIIIe siècle.",
  policy: "campus", watermark: "" };

// The tables' rows as the page shows them, in English.
const publicRow = ["public", "Public", "Everyone", "None", "None", ""];
const campusRow = ["campus", "Network", "Requests from 192.0.2.0/24", "800 px", "The holding institution’s", "Reading rooms"];
const mapsRow = ["collection:maps", "Cartes et plans", "Des cartes du XVIIIe siècle.", "campus", "None"];

let browser;
let api;  // requests of the administrator's key, outside the page
const scriptErrors = [];
const keys = {};  // the API keys of "eddie" (an editor) and "rita" (a reader)

before(async () => {
  browser = await chromium.launch(launchOptions);
  api = await browser.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${adminKey}` } });
  for (const [name, role] of [["eddie", "editor"], ["rita", "reader"]]) {
    const created = await api.request.post(`${base}/api/v1/accounts`, { data: { name, role } });
    assert.equal(created.status(), 201);
    const key = await api.request.post(`${base}/api/v1/accounts/${name}/keys`, { data: { label: `${name}'s key` } });
    assert.equal(key.status(), 201);
    keys[name] = (await key.json()).key;
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
  await page.waitForSelector("#signed-in:not([hidden])");
}

async function signInAsAdministrator(page) {
  await signInWithKey(page, adminKey);
  await page.waitForSelector("#manager:not([hidden])");
}

// The API's lists, read with the administrator's key.
async function apiPolicies() {
  const answer = await api.request.get(`${base}/api/v1/policies`);
  assert.equal(answer.status(), 200);
  return answer.json();
}

async function apiSets() {
  const answer = await api.request.get(`${base}/api/v1/sets`);
  assert.equal(answer.status(), 200);
  return (await answer.json()).sets;
}

// A table's rows, their cells' texts but the buttons'.
async function rows(page, table) {
  return page.$$eval(`#${table} tbody tr`, (trs) =>
    trs.map((tr) => Array.from(tr.cells).filter((td) => !td.classList.contains("row-actions"))
      .map((td) => td.textContent)));
}

async function options(page, select) {
  return page.$$eval(`${select} option`, (items) => items.map((item) => [item.value, item.textContent]));
}

// The form's fields shown, by their ids.
async function policyFieldsShown(page) {
  return page.$$eval("#policy-form .field", (fields) => fields.filter((field) => !field.hidden)
    .map((field) => field.querySelector("input, select, textarea").id));
}

async function waitForText(page, selector, text) {
  await page.waitForFunction(([s, wanted]) => document.querySelector(s)?.textContent === wanted,
    [selector, text], { timeout: 10000 }).catch(() => null);
  assert.equal(await page.textContent(selector), text);
}

// Clicks `selector`, which asks to confirm, and answers the question: `accept` or not. The
// question's text.
async function clickAndConfirm(page, selector, accept) {
  const asked = new Promise((resolve) => {
    page.once("dialog", async (dialog) => {
      const message = dialog.message();
      await (accept ? dialog.accept() : dialog.dismiss());
      resolve(message);
    });
  });
  await page.click(selector);
  return asked;
}

const focusedId = (page) => page.evaluate(() => document.activeElement?.id);
const navLink = 'nav a[href="/access.html"]';

test("signed out: the sign-in forms, and no link to the page in the header", async () => {
  const page = await newPage("en-GB");
  await page.goto(`${base}/access.html`);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.title(), "Sets and access policies — Digital collections");
  assert.equal(await page.textContent("h1"), "Sets and access policies");
  assert.equal(await page.textContent("#signin-intro"),
    "To see the sets and access policies, sign in with your account or with an API key.");
  assert.equal(await page.isVisible("#manager"), false);
  assert.equal(await page.isVisible(navLink), false);
  assert.equal(await page.getAttribute(navLink, "aria-current"), "page");
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.context().close();
});

test("the administrator: a network policy refused without networks, then created and changed", async () => {
  assert.deepEqual(await apiPolicies(), { default: "public", watermarks, policies: [publicPolicy] });
  const page = await newPage("en-GB");
  await page.goto(`${base}/access.html`);
  await signInAsAdministrator(page);
  assert.equal(await page.isVisible(navLink), true);
  assert.equal(await page.textContent(navLink), "Sets and access");
  assert.equal(await page.isVisible("#readonly-note"), false);
  assert.equal(await page.textContent("#default-name"), "public");
  assert.deepEqual(await options(page, "#default-policy"), [["public", "public"]]);
  assert.deepEqual(await rows(page, "policies-table"), [publicRow]);
  assert.deepEqual(await rows(page, "sets-table"), []);
  assert.equal(await page.isVisible("#sets-table"), false);
  assert.equal(await page.textContent("#sets-none"), "No set yet.");
  // The built-in policy may be changed, not deleted.
  assert.equal(await page.isVisible('button[aria-label="Change the policy public"]'), true);
  assert.equal(await page.isVisible('button[aria-label="Delete the policy public"]'), false);
  assert.deepEqual(await options(page, "#policy-kind"),
    [["public", "Public"], ["network", "Network"], ["token", "Signed-in users"], ["restricted", "Restricted"]]);
  assert.deepEqual(await options(page, "#policy-watermark"),
    [["", "None"], ["institution", "The holding institution’s"], ["example", "example"]]);

  // Each kind shows the fields it takes.
  const always = ["policy-name", "policy-kind", "policy-watermark", "policy-label"];
  assert.deepEqual(await policyFieldsShown(page), always);
  await page.fill("#policy-name", "campus");
  await page.selectOption("#policy-kind", "token");
  assert.deepEqual(await policyFieldsShown(page), ["policy-name", "policy-kind", "policy-networks", "policy-groups",
    "policy-degraded", "policy-watermark", "policy-unauthorised", "policy-label", "policy-heading", "policy-note"]);
  await page.selectOption("#policy-kind", "restricted");
  assert.equal(await page.textContent("#policy-kind-hint"), "Only holders of an API key (or users of the group api-key).");
  await page.selectOption("#policy-kind", "network");
  assert.deepEqual(await policyFieldsShown(page), ["policy-name", "policy-kind", "policy-networks", "policy-degraded",
    "policy-watermark", "policy-unauthorised", "policy-label", "policy-heading", "policy-note"]);

  // Without networks: the API's reason, beside the form.
  await page.fill("#policy-degraded", "800");
  await page.selectOption("#policy-watermark", "institution");
  await page.fill("#policy-label", "Reading room");
  await page.click("#policy-form button[type=submit]");
  await waitForText(page, "#policy-status", `The policy was not saved: ${reasons.noNetworks}`);
  assert.equal(await page.getAttribute("#policy-status", "class"), "status error");
  assert.deepEqual((await apiPolicies()).policies, [publicPolicy]);
  assert.deepEqual(await rows(page, "policies-table"), [publicRow]);
  assert.deepEqual(await accessibilityViolations(page), []);

  // With them: created; the form is emptied.
  await page.fill("#policy-networks", "192.0.2.0/24");
  await page.click("#policy-form button[type=submit]");
  await waitForText(page, "#policy-status", "The policy campus was created.");
  assert.equal(await page.getAttribute("#policy-status", "class"), "status");
  assert.deepEqual(await rows(page, "policies-table"), [publicRow, [...campusRow.slice(0, 5), "Reading room"]]);
  assert.deepEqual((await apiPolicies()).policies, [publicPolicy, { ...campusPolicy, label: "Reading room" }]);
  assert.equal(await page.inputValue("#policy-name"), "");
  assert.equal(await page.inputValue("#policy-kind"), "public");
  assert.deepEqual(await policyFieldsShown(page), always);
  assert.deepEqual(await options(page, "#default-policy"), [["public", "public"], ["campus", "campus"]]);
  assert.deepEqual(await options(page, "#set-policy"), [["", "None (the document’s, else the default)"],
    ["public", "public"], ["campus", "campus"]]);

  // Changed: the form holds it, its label is changed.
  await page.click('button[aria-label="Change the policy campus"]');
  assert.equal(await focusedId(page), "policy-name");
  assert.equal(await page.textContent("#policy-status"), "The form holds the policy campus: change it, then save it.");
  assert.deepEqual([await page.inputValue("#policy-name"), await page.inputValue("#policy-kind"),
    await page.inputValue("#policy-networks"), await page.inputValue("#policy-degraded"),
    await page.inputValue("#policy-watermark"), await page.inputValue("#policy-label")],
  ["campus", "network", "192.0.2.0/24", "800", "institution", "Reading room"]);
  await page.fill("#policy-label", "Reading rooms");
  await page.click("#policy-form button[type=submit]");
  await waitForText(page, "#policy-status", "The policy campus was changed.");
  assert.deepEqual(await rows(page, "policies-table"), [publicRow, campusRow]);
  assert.deepEqual(await apiPolicies(), { default: "public", watermarks, policies: [publicPolicy, campusPolicy] });
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-access-admin.png"), fullPage: true });
  await page.context().close();
});

test("keyboard only, French: the administrator creates the set collection:maps under campus", async () => {
  const page = await newPage("fr-FR");
  await page.goto(`${base}/access.html`);
  assert.equal(await page.getAttribute("html", "lang"), "fr");
  assert.equal(await page.textContent("h1"), "Collections et règles d’accès");
  await tabTo(page, "#api-key");
  await page.keyboard.type(adminKey);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#manager:not([hidden])");
  assert.equal(await page.textContent("#sets-heading"), "Collections");
  assert.deepEqual(await rows(page, "policies-table"), [
    ["public", "Publique", "Tout le monde", "Aucune", "Aucun", ""],
    ["campus", "Réseau", "Les requêtes venant de 192.0.2.0/24", "800 px", "Celui de l’institution détentrice", "Reading rooms"],
  ]);

  await tabTo(page, "#set-spec");
  assert.equal(await page.textContent('label[for="set-spec"]'), "Identifiant (setSpec)");
  await page.keyboard.type(mapsSet.spec);
  await page.keyboard.press("Tab");
  await page.keyboard.type(mapsSet.name);
  await page.keyboard.press("Tab");
  await page.keyboard.type(mapsSet.description);
  await page.keyboard.press("Tab");
  assert.equal(await focusedId(page), "set-policy");
  assert.deepEqual(await options(page, "#set-policy"), [["", "Aucune (celle du document, sinon celle par défaut)"],
    ["public", "public"], ["campus", "campus"]]);
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  assert.equal(await page.inputValue("#set-policy"), "campus");
  await tabTo(page, "#set-form button[type=submit]");
  await page.keyboard.press("Enter");
  await waitForText(page, "#set-status", "La collection collection:maps a été créée.");
  assert.deepEqual(await rows(page, "sets-table"),
    [["collection:maps", "Cartes et plans", "Des cartes du XVIIIe siècle.", "campus", "Aucun"]]);
  assert.deepEqual(await apiSets(), [mapsSet]);
  assert.equal(await page.inputValue("#set-spec"), "");
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-access-admin-fr.png"), fullPage: true });
  await page.context().close();
});

test("an editor sees the policies and sets, and nothing to change them with", async () => {
  const page = await newPage("en-GB");
  await page.goto(`${base}/access.html`);
  await signInWithKey(page, keys.eddie);
  await page.waitForSelector("#manager:not([hidden])");
  assert.equal(await page.isVisible(navLink), true);
  assert.equal(await page.textContent("#readonly-note"),
    "You may read the sets and access policies here; only administrators change them.");
  assert.equal(await page.textContent("#default-name"), "public");
  assert.deepEqual(await rows(page, "policies-table"), [publicRow, campusRow]);
  assert.deepEqual(await rows(page, "sets-table"), [mapsRow]);
  for (const form of ["#default-form", "#policy-form", "#set-form"]) {
    assert.equal(await page.isVisible(form), false, form);
  }
  assert.equal(await page.$$eval("#manager button, #manager input, #manager select, #manager textarea",
    (controls) => controls.filter((control) => control.offsetParent !== null).length), 0);
  assert.equal(await page.$$eval(".actions-column", (columns) => columns.every((column) => column.hidden)), true);
  // The API refuses her a change anyway.
  const refused = await page.evaluate(async (key) => (await fetch("/api/v1/policies/campus",
    { method: "DELETE", headers: { Authorization: `Bearer ${key}` } })).status, keys.eddie);
  assert.equal(refused, 403);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-access-editor.png"), fullPage: true });
  await page.context().close();
});

test("a reader is told that the API refuses them", async () => {
  const page = await newPage("en-GB");
  await page.goto(`${base}/access.html`);
  await signInWithKey(page, keys.rita);
  await waitForText(page, "#load-status",
    "Your account may not see the sets and access policies: they are for editors and administrators.");
  assert.equal(await page.getAttribute("#load-status", "class"), "status error");
  // What the API said, which the page puts in its own words.
  const refused = await api.request.get(`${base}/api/v1/policies`,
    { headers: { Authorization: `Bearer ${keys.rita}` } });
  assert.equal(refused.status(), 403);
  assert.equal((await refused.json()).error, reasons.readerRefused);
  assert.equal(await page.isVisible("#manager"), false);
  assert.equal(await page.isVisible(navLink), false);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.click("#signout");
  await page.waitForSelector("#signin-forms:not([hidden])");
  assert.equal(await page.textContent("#load-status"), "");
  await page.context().close();
});

test("a phone: the administrator's page fits the screen, its buttons a finger", async () => {
  const page = await newPage("fr-FR", { width: 390, height: 844 }, { isMobile: true, hasTouch: true });
  await page.goto(`${base}/access.html`);
  await signInAsAdministrator(page);
  await page.waitForSelector("#sets-table tbody tr");
  assert.equal(await noSidewaysScroll(page), true);
  assert.deepEqual(await smallButtons(page), []);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-access-phone.png"), fullPage: true });
  await page.context().close();
});

test("the administrator: campus the default, its deletion refused twice, then the set and the policy deleted", async () => {
  const page = await newPage("en-GB");
  await page.goto(`${base}/access.html`);
  await signInAsAdministrator(page);
  await page.selectOption("#default-policy", "campus");
  await page.click("#default-form button[type=submit]");
  await waitForText(page, "#default-status", "The default policy is now campus.");
  assert.equal(await page.textContent("#default-name"), "campus");
  assert.equal((await apiPolicies()).default, "campus");

  // Asked first: not deleted when the question is declined.
  const deleteCampus = 'button[aria-label="Delete the policy campus"]';
  assert.equal(await clickAndConfirm(page, deleteCampus, false), "Delete the access policy campus?");
  assert.equal(await page.textContent("#policies-status"), "");
  assert.deepEqual((await apiPolicies()).policies, [publicPolicy, campusPolicy]);
  // The default, and the set's: the API's 409 and its reason.
  await clickAndConfirm(page, deleteCampus, true);
  await waitForText(page, "#policies-status", `The policy campus was not deleted: ${reasons.stillDefault}`);
  assert.equal(await page.getAttribute("#policies-status", "class"), "status error");
  assert.deepEqual(await rows(page, "policies-table"), [publicRow, campusRow]);
  assert.deepEqual(await apiPolicies(), { default: "campus", watermarks, policies: [publicPolicy, campusPolicy] });

  await page.selectOption("#default-policy", "public");
  await page.click("#default-form button[type=submit]");
  await waitForText(page, "#default-status", "The default policy is now public.");
  assert.equal(await page.textContent("#default-name"), "public");
  assert.equal((await apiPolicies()).default, "public");
  // The set still names it: refused again, for that reason.
  await clickAndConfirm(page, deleteCampus, true);
  await waitForText(page, "#policies-status", `The policy campus was not deleted: ${reasons.namedBySet}`);
  assert.deepEqual((await apiPolicies()).policies, [publicPolicy, campusPolicy]);

  assert.equal(await clickAndConfirm(page, 'button[aria-label="Delete the set collection:maps"]', true),
    "Delete the set collection:maps? Its documents stay, outside it.");
  await waitForText(page, "#sets-status", "The set collection:maps was deleted.");
  assert.equal(await focusedId(page), "sets-heading");
  assert.deepEqual(await rows(page, "sets-table"), []);
  assert.equal(await page.isVisible("#sets-none"), true);
  assert.deepEqual(await apiSets(), []);

  await clickAndConfirm(page, deleteCampus, true);
  await waitForText(page, "#policies-status", "The policy campus was deleted.");
  assert.equal(await page.getAttribute("#policies-status", "class"), "status");
  assert.equal(await focusedId(page), "policies-heading");
  assert.deepEqual(await rows(page, "policies-table"), [publicRow]);
  assert.deepEqual(await options(page, "#set-policy"), [["", "None (the document’s, else the default)"],
    ["public", "public"]]);
  assert.deepEqual(await apiPolicies(), { default: "public", watermarks, policies: [publicPolicy] });
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.context().close();
});

test("no script error on any page", () => {
  assert.deepEqual(scriptErrors, []);
});
