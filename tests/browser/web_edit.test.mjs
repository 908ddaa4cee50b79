// The edit page as its users use it, in Debian's headless Chromium against the real nginx, iiifd
// and redis (run_edit_test.sh), on a four-page book (IIIF_ARK, pages f1 to f4) the administrator
// deposited. Edna, an editor of the home institution, reorders the pages by dragging, labels
// them, replaces the image of one, gives the book a two-level table of contents and a French title
// and a shelfmark: after each step the API (GET .../pages, GET /api/v1/objects/{ark}) and the
// manifest through nginx say exactly what was saved. Nils, an editor of another institution, sees
// the page read-only, and a save he forces is refused with the API's 403 message. Edna again, in
// French with the keyboard only, moves a page with its buttons; a change made elsewhere meanwhile
// is a conflict, said, and the page read again. Every view passes axe-core's WCAG 2.1 A and AA
// rules; a phone's screen does not scroll sideways and its buttons are 44 px high. The document
// Rita, a reader, is told in English and in French that she may not edit documents, and sees no
// form. The document page (object.html) links to the edit page for Edna and the administrator, not for Nils, Rita (a
// reader) or a visitor signed out, who get no refusal but the session's 401. Screenshots:
// IIIF_ARTIFACTS/web-edit-*.png.
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
const ark = process.env.IIIF_ARK;
const newImage = process.env.IIIF_NEW_IMAGE;
const editUrl = `${base}/edit.html?ark=${encodeURIComponent(ark)}`;
const canvas = (name) => `${base}/iiif/3/${ark}/canvas/${name}`;

let browser;
let api;  // requests of the administrator's key, outside the page
const keys = {};  // the API keys of the editors edna (home institution) and nils (north), the reader rita
const scriptErrors = [];

async function accountKey(name, role, institution) {
  const body = { name, role, password: `${name}'s long password` };
  if (institution) body.institution = institution;
  assert.equal((await api.request.post(`${base}/api/v1/accounts`, { data: body })).status(), 201);
  const key = await api.request.post(`${base}/api/v1/accounts/${name}/keys`, { data: { label: "test" } });
  return (await key.json()).key;
}
const editorKey = (name, institution) => accountKey(name, "editor", institution);

before(async () => {
  browser = await chromium.launch(launchOptions);
  api = await browser.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${adminKey}` } });
  keys.edna = await editorKey("edna");
  const north = await api.request.put(`${base}/api/v1/institutions/north`, { data: { name: "North" } });
  assert.equal(north.status(), 201);
  keys.nils = await editorKey("nils", "north");
  keys.rita = await accountKey("rita", "reader");
});

after(async () => {
  await api?.close();
  await browser?.close();
});

const getJson = async (path) => {
  const answer = await api.request.get(`${base}${path}`);
  assert.equal(answer.status(), 200, path);
  return answer.json();
};
const pagesOf = () => getJson(`/api/v1/objects/${ark}/pages`);
const objectOf = () => getJson(`/api/v1/objects/${ark}`);
const manifestOf = () => getJson(`/iiif/3/${ark}/manifest`);

async function open(key, locale = "en-GB", viewport = { width: 1280, height: 900 }, extra = {}) {
  const page = await clipboardPage(browser, base, scriptErrors, locale, viewport, extra);
  await page.goto(editUrl);
  await page.fill("#api-key", key);
  await page.click("#key-form button[type=submit]");
  await page.waitForSelector("#editor:not([hidden]) #page-grid li");
  return page;
}

async function waitForText(page, selector, text) {
  await page.waitForFunction(([s, wanted]) => document.querySelector(s)?.textContent === wanted,
    [selector, text], { timeout: 30000 }).catch(() => null);
  assert.equal(await page.textContent(selector), text);
}

const gridOrder = (page) => page.$$eval("#page-grid li", (cards) => cards.map((card) => card.dataset.page));

async function savePages(page) {
  await page.click("#save-pages");
  await waitForText(page, "#pages-status", "The pages and the table of contents were saved.");
}

test("reordering by dragging", async () => {
  const page = await open(keys.edna);
  assert.equal(await page.textContent("h1"), "Edit “A book of hours”");
  assert.equal(await page.getAttribute("#object-link", "href"), `/object.html?ark=${encodeURIComponent(ark)}`);
  assert.equal(await page.isVisible("#readonly-note"), false);
  assert.deepEqual(await gridOrder(page), ["f1", "f2", "f3", "f4"]);
  assert.deepEqual(await accessibilityViolations(page), []);

  // f4 dropped on f1 takes its place; then f2 dropped on f3 (the last) takes the last place.
  await page.locator('.page-card[data-page="f4"] .thumb').dragTo(page.locator('.page-card[data-page="f1"]'));
  assert.deepEqual(await gridOrder(page), ["f4", "f1", "f2", "f3"]);
  await page.locator('.page-card[data-page="f2"] .thumb').dragTo(page.locator('.page-card[data-page="f3"]'));
  assert.deepEqual(await gridOrder(page), ["f4", "f1", "f3", "f2"]);
  await page.locator('.page-card[data-page="f3"] .thumb').dragTo(page.locator('.page-card[data-page="f2"]'));
  assert.deepEqual(await gridOrder(page), ["f4", "f1", "f2", "f3"]);
  await savePages(page);
  const saved = await pagesOf();
  assert.deepEqual(saved.pages.map((p) => p.page), ["f4", "f1", "f2", "f3"]);
  assert.deepEqual((await manifestOf()).items.map((c) => c.id), ["f4", "f1", "f2", "f3"].map(canvas));
  await page.context().close();
});

test("labelling the pages", async () => {
  const page = await open(keys.edna);
  const labels = { f4: "Cover", f1: "f. 1r", f2: "f. 1v", f3: "f. 2r" };
  for (const [name, label] of Object.entries(labels)) await page.fill(`#page-${name}-label`, label);
  assert.equal(await page.getAttribute("#page-f1-left", "aria-label"), "Move f. 1r (f1) left");
  await savePages(page);
  assert.deepEqual((await pagesOf()).pages.map((p) => [p.page, p.label]), Object.entries(labels));
  assert.deepEqual((await manifestOf()).items.map((c) => c.label), Object.values(labels).map((l) => ({ none: [l] })));
  assert.equal(await page.inputValue("#page-f2-label"), "f. 1v");
  await page.context().close();
});

test("replacing the image of a page", async () => {
  const page = await open(keys.edna);
  const before = (await pagesOf()).pages.find((p) => p.page === "f2");
  assert.deepEqual([before.width, before.height], [620, 820]);
  const [chooser] = await Promise.all([page.waitForEvent("filechooser"), page.click("#page-f2-replace")]);
  assert.equal(await page.getAttribute("#page-f2-replace", "aria-label"), "Replace the image of f. 1v (f2)");
  await chooser.setFiles(newImage);
  await waitForText(page, "#page-f2-status", "The image was replaced.");
  const after = (await pagesOf()).pages.find((p) => p.page === "f2");
  assert.deepEqual([after.id, after.label, after.width, after.height], [before.id, "f. 1v", 500, 300]);
  assert.equal(await page.textContent('.page-card[data-page="f2"] .page-size'), "500 × 300");
  assert.match(await page.getAttribute('.page-card[data-page="f2"] img', "src"), /\/full\/!200,200\/0\/default\.jpg\?v=\d+$/);
  await page.waitForFunction(() => {
    const image = document.querySelector('.page-card[data-page="f2"] img');
    return image.complete && image.naturalWidth === 200 && image.naturalHeight === 120;
  }, null, { timeout: 10000 });
  const replaced = (await manifestOf()).items.find((c) => c.id === canvas("f2"));
  assert.deepEqual([replaced.width, replaced.height], [500, 300]);
  // The order and labels are as they were saved.
  assert.deepEqual(await gridOrder(page), ["f4", "f1", "f2", "f3"]);
  await page.context().close();
});

test("a table of contents with a nested section", async () => {
  const page = await open(keys.edna);
  assert.equal(await page.isVisible("#contents-empty"), true);
  await page.click("#add-range");
  const book = page.locator("#contents-tree > li.range").first();
  assert.equal(await page.evaluate(() => document.activeElement.closest("li.range") !== null
    && document.activeElement.type === "text"), true);
  await page.keyboard.type("Book I");
  await book.locator('> fieldset input[value="f4"]').check();
  await book.locator('> fieldset input[value="f1"]').check();
  await book.getByRole("button", { name: "Add a sub-section to section 1" }).click();
  await page.keyboard.type("Chapter 1");
  const chapter = book.locator("li.range").first();
  assert.equal(await chapter.locator("> .field label").textContent(), "Title of section 1.1");
  await chapter.locator('> fieldset input[value="f2"]').check();
  await chapter.locator('> fieldset input[value="f1"]').check();
  // A second section, added then removed.
  await page.click("#add-range");
  await page.keyboard.type("Stray");
  await page.getByRole("button", { name: "Remove section 2" }).click();
  assert.equal(await page.locator("#contents-tree > li.range").count(), 1);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-edit-contents.png"), fullPage: true });
  await savePages(page);

  const structures = [{ label: "Book I", pages: ["f4", "f1"], ranges: [{ label: "Chapter 1", pages: ["f1", "f2"], ranges: [] }] }];
  assert.deepEqual((await pagesOf()).structures, structures);
  const manifest = await manifestOf();
  const range = (n) => `${base}/iiif/3/${ark}/range/r${n}`;
  assert.deepEqual(manifest.structures, [{
    id: range(1), type: "Range", label: { none: ["Book I"] },
    items: [{ id: canvas("f4"), type: "Canvas" }, { id: canvas("f1"), type: "Canvas" },
      { id: range(2), type: "Range", label: { none: ["Chapter 1"] },
        items: [{ id: canvas("f1"), type: "Canvas" }, { id: canvas("f2"), type: "Canvas" }] }],
  }]);
  // As read again by the page.
  await page.reload();
  await page.waitForSelector("#contents-tree li.range li.range");
  assert.deepEqual(await page.$$eval("#contents-tree input[type=text]", (inputs) => inputs.map((i) => i.value)),
    ["Book I", "Chapter 1"]);
  await page.context().close();
});

test("the description: a French title and a shelfmark", async () => {
  const page = await open(keys.edna);
  assert.deepEqual(await page.$$eval("#dc-fields legend", (legends) => legends.map((l) => l.textContent)),
    ["Title", "Creator", "Subject", "Description", "Publisher", "Contributor", "Date", "Type", "Format",
      "Identifier", "Source", "Language", "Relation", "Coverage", "Rights"]);
  assert.equal(await page.inputValue("#dc-title-0"), "A book of hours");
  await page.fill("#dc-title-0", "Livre d’heures");
  await page.fill("#dc-title-0-lang", "fr_FR");
  await page.fill("#edit-shelfmark", "Ms. 12");
  await page.click("#save-description");
  await waitForText(page, "#description-status",
    "Title, value 1: “fr_FR” is not a language tag (for example fr or en-GB).");
  assert.equal(await page.evaluate(() => document.activeElement.id), "dc-title-0-lang");
  await page.fill("#dc-title-0-lang", "fr");
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.method() === "PATCH"),
    page.click("#save-description"),
  ]);
  assert.deepEqual(request.postDataJSON(), { title: [{ value: "Livre d’heures", lang: "fr" }], shelfmark: "Ms. 12" });
  await waitForText(page, "#description-status", "The description was saved.");
  const { metadata } = await objectOf();
  assert.deepEqual(metadata.title, [{ value: "Livre d’heures", lang: "fr" }]);
  assert.equal(metadata.shelfmark, "Ms. 12");

  // A creator of two values, a collection, "paged": one more PATCH of those only.
  await page.click("#dc-creator-add");
  await page.keyboard.type("Jean Colombe");
  await page.click("#dc-creator-add");
  await page.keyboard.type("Atelier");
  await page.check("#set-hours");
  await page.check("#edit-paged");
  await page.selectOption("#edit-license", "https://creativecommons.org/publicdomain/mark/1.0/");
  const [second] = await Promise.all([
    page.waitForRequest((r) => r.method() === "PATCH"),
    page.click("#save-description"),
  ]);
  assert.deepEqual(second.postDataJSON(), { creator: [{ value: "Jean Colombe" }, { value: "Atelier" }],
    license: "https://creativecommons.org/publicdomain/mark/1.0/", sets: ["hours"], behavior: ["paged"] });
  await waitForText(page, "#description-status", "The description was saved.");
  const changed = (await objectOf()).metadata;
  assert.deepEqual([changed.creator, changed.sets, changed.behavior, changed.shelfmark],
    [[{ value: "Jean Colombe" }, { value: "Atelier" }], ["hours"], ["paged"], "Ms. 12"]);
  const manifest = await manifestOf();
  assert.deepEqual(manifest.behavior, ["paged"]);
  assert.deepEqual(manifest.label, { fr: ["Livre d’heures"] });
  // The pages saved after the description carry its version: no conflict.
  await page.fill("#page-f3-label", "f. 2r ");
  await savePages(page);
  assert.equal(await page.inputValue("#page-f3-label"), "f. 2r");
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-edit-description.png"), fullPage: true });
  await page.context().close();
});

test("an editor of another institution: read-only, and a forced save refused", async () => {
  const page = await open(keys.nils);
  await waitForText(page, "#readonly-note",
    "This document belongs to another institution: you may read it here, not change it.");
  for (const id of ["description-fields", "pages-fields", "contents-fields", "save-description", "save-pages"]) {
    assert.equal(await page.$eval(`#${id}`, (element) => element.disabled), true, id);
  }
  assert.equal(await page.getAttribute('.page-card[data-page="f1"] .thumb', "draggable"), "false");
  assert.equal(await page.inputValue("#dc-title-0"), "Livre d’heures");
  const before = await objectOf();
  await page.$eval("#dc-title-0", (field) => {
    field.value = "Not his to change";
    field.dispatchEvent(new Event("input"));
  });
  await page.$eval("#description-form", (form) => form.requestSubmit());
  await waitForText(page, "#description-status", "Not saved: change an object: this object belongs to another institution");
  assert.equal(await page.getAttribute("#description-status", "class"), "status error");
  await page.$eval("#save-pages", (button) => { button.disabled = false; button.click(); });
  await waitForText(page, "#pages-status", "Not saved: change an object's pages: this object belongs to another institution");
  assert.deepEqual(await objectOf(), before);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-edit-readonly.png"), fullPage: true });
  await page.context().close();
});

test("keyboard only, in French: a page moved with its buttons; a conflict", async () => {
  const page = await clipboardPage(browser, base, scriptErrors, "fr-FR", { width: 1280, height: 900 });
  await page.goto(editUrl);
  assert.equal(await page.getAttribute("html", "lang"), "fr");
  await tabTo(page, "#api-key");
  await page.keyboard.type(keys.edna);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#editor:not([hidden]) #page-grid li");
  assert.equal(await page.textContent("h1"), "Modifier « Livre d’heures »");
  assert.equal(await page.textContent("#pages-heading"), "Pages");

  await tabTo(page, "#page-f4-right", 200);
  assert.equal(await page.getAttribute("#page-f4-right", "aria-label"), "Déplacer Cover (f4) vers la droite");
  await page.keyboard.press("Enter");
  assert.deepEqual(await gridOrder(page), ["f1", "f4", "f2", "f3"]);
  assert.equal(await page.evaluate(() => document.activeElement.id), "page-f4-right");
  await waitForText(page, "#pages-live", "Cover (f4) est maintenant la page 2.");
  await page.keyboard.press("Enter");
  assert.deepEqual(await gridOrder(page), ["f1", "f2", "f4", "f3"]);
  await page.keyboard.press("Shift+Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "page-f4-left");
  await page.keyboard.press("Enter");
  assert.deepEqual(await gridOrder(page), ["f1", "f4", "f2", "f3"]);
  await tabTo(page, "#save-pages", 200);
  await page.keyboard.press("Enter");
  await waitForText(page, "#pages-status", "Les pages et la table des matières ont été enregistrées.");
  assert.deepEqual((await pagesOf()).pages.map((p) => p.page), ["f1", "f4", "f2", "f3"]);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-edit-fr.png"), fullPage: true });

  // Someone else labels a page meanwhile: saving here is a conflict, said; the page is read again.
  const current = await pagesOf();
  const elsewhere = await api.request.put(`${base}/api/v1/objects/${ark}/pages`, { data: {
    version: current.version, pages: current.pages.map((p) => ({ page: p.page, label: p.page === "f1" ? "Folio 1" : p.label })),
    structures: current.structures } });
  assert.equal(elsewhere.status(), 200);
  await page.fill("#page-f2-label", "changed here");
  await page.click("#save-pages");
  await waitForText(page, "#pages-status", "Non enregistré : quelqu’un d’autre a modifié ce document entre-temps "
    + `(the object has changed since version ${current.version}: it is at version ${current.version + 1}). `
    + "Il a été rechargé : refaites vos modifications.");
  assert.equal(await page.inputValue("#page-f1-label"), "Folio 1");
  assert.equal(await page.inputValue("#page-f2-label"), "f. 1v");
  await page.context().close();
});

test("a page added after another, and one taken out once confirmed", async () => {
  const page = await open(keys.edna);
  assert.deepEqual(await gridOrder(page), ["f1", "f4", "f2", "f3"]);
  await page.selectOption("#add-after", "f1");
  assert.equal(await page.$eval("#add-after", (select) => select.selectedOptions[0].textContent), "After Folio 1 (f1)");
  const [chooser] = await Promise.all([page.waitForEvent("filechooser"), page.click("#add-pages")]);
  await chooser.setFiles(newImage);
  await waitForText(page, "#add-status", "1 page was added.");
  // The new page is f5 (after every page the book ever had), where it was asked, already saved.
  assert.deepEqual(await gridOrder(page), ["f1", "f5", "f4", "f2", "f3"]);
  assert.deepEqual((await pagesOf()).pages.map((p) => [p.page, p.width, p.height]),
    [["f1", 600, 800], ["f5", 500, 300], ["f4", 660, 860], ["f2", 500, 300], ["f3", 640, 840]]);

  // Taking out f3: refused once, then confirmed; it goes with the save.
  const asked = [];
  page.once("dialog", (dialog) => {
    asked.push(dialog.message());
    dialog.dismiss();
  });
  await page.click("#page-f3-remove");
  assert.deepEqual(await gridOrder(page), ["f1", "f5", "f4", "f2", "f3"]);
  assert.deepEqual(asked, ["Remove f. 2r (f3) from the document? It is taken out when you save the pages."]);
  page.once("dialog", (dialog) => dialog.accept());
  await page.click("#page-f3-remove");
  assert.deepEqual(await gridOrder(page), ["f1", "f5", "f4", "f2"]);
  await waitForText(page, "#pages-live", "f. 2r (f3) will be taken out when you save the pages.");
  assert.equal(await page.evaluate(() => document.activeElement.id), "page-f2-remove");
  assert.deepEqual((await pagesOf()).pages.length, 5);
  await savePages(page);
  const saved = await pagesOf();
  assert.deepEqual([saved.pages.map((p) => p.page), saved.removed], [["f1", "f5", "f4", "f2"], ["f3"]]);
  assert.deepEqual((await manifestOf()).items.map((c) => c.id), ["f1", "f5", "f4", "f2"].map(canvas));
  await page.context().close();
});

test("a phone: the page fits the screen, its buttons a finger", async () => {
  const page = await open(keys.edna, "fr-FR", { width: 390, height: 844 }, { isMobile: true, hasTouch: true });
  await page.waitForSelector("#contents-tree li.range");
  assert.equal(await noSidewaysScroll(page), true);
  assert.deepEqual(await smallButtons(page), []);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-edit-phone.png"), fullPage: true });
  await page.context().close();
});

test("a reader: told in the page's language that she may not edit documents, and no form", async () => {
  for (const [locale, text] of [
    ["en-GB", "Your account may not edit documents: only editors and administrators may."],
    ["fr-FR", "Votre compte ne peut pas modifier de documents : seuls les éditeurs et les administrateurs le peuvent."],
  ]) {
    const page = await clipboardPage(browser, base, scriptErrors, locale, { width: 1280, height: 900 });
    const refused = page.waitForResponse((r) => new URL(r.url()).pathname === `/api/v1/objects/${ark}`);
    await page.goto(editUrl);
    await page.fill("#api-key", keys.rita);
    await page.click("#key-form button[type=submit]");
    assert.equal((await refused).status(), 403);
    await waitForText(page, "#load-status", text);
    assert.equal(await page.getAttribute("#load-status", "class"), "status error");
    assert.equal(await page.isVisible("#editor"), false);
    assert.equal(await page.$$eval("#dc-fields *, #page-grid *", (parts) => parts.length), 0);
    assert.deepEqual(await accessibilityViolations(page), []);
    await page.screenshot({ path: join(artifacts, `web-edit-reader-${locale}.png`), fullPage: true });
    await page.context().close();
  }
});

// The document page, object.html?ark=, as `key`'s holder sees it (null: signed out), the key kept
// in the tab as the edit page keeps it; the answers of 400 and more it got, as "status path".
async function documentPage(key, locale = "en-GB") {
  const page = await clipboardPage(browser, base, scriptErrors, locale, { width: 1280, height: 900 });
  const failures = [];
  page.on("response", (response) => {
    if (response.status() >= 400) failures.push(`${response.status()} ${new URL(response.url()).pathname}`);
  });
  if (key) await page.addInitScript((value) => sessionStorage.setItem("iiif-api-key", value), key);
  const session = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/session");
  await page.goto(`${base}/object.html?ark=${encodeURIComponent(ark)}`);
  await session;
  await page.waitForSelector("#object-info:not([hidden])");
  await page.waitForLoadState("networkidle");
  return { page, failures };
}

const apiPaths = (page) => page.evaluate(() => performance.getEntriesByType("resource")
  .map((entry) => new URL(entry.name).pathname).filter((path) => path.startsWith("/api/")));

test("the document page: an edit link for an editor of its institution, from the edit page and back", async () => {
  const page = await open(keys.edna);
  await Promise.all([page.waitForURL(/\/object\.html\?ark=/), page.click("#object-link")]);
  await page.waitForSelector("#object-edit:not([hidden])");
  assert.equal(await page.textContent("#edit-link"), "Edit this document");
  assert.equal(await page.getAttribute("#edit-link", "href"), `/edit.html?ark=${encodeURIComponent(ark)}`);
  assert.deepEqual(await apiPaths(page), ["/api/v1/session", `/api/v1/public/objects/${ark}`]);
  assert.deepEqual(await accessibilityViolations(page, ["#viewer"]), []);
  await page.screenshot({ path: join(artifacts, "web-edit-object-link.png") });
  // The edit page knows the key still (this tab): the document is there at once.
  await Promise.all([page.waitForURL(editUrl), page.click("#edit-link")]);
  await page.waitForSelector("#editor:not([hidden]) #page-grid li");
  assert.equal(await page.isVisible("#readonly-note"), false);
  await page.context().close();
});

test("the document page: an edit link for an administrator, in French", async () => {
  const { page, failures } = await documentPage(adminKey, "fr-FR");
  assert.equal(await page.isVisible("#object-edit"), true);
  assert.equal(await page.textContent("#edit-link"), "Modifier ce document");
  assert.equal(await page.getAttribute("#edit-link", "href"), `/edit.html?ark=${encodeURIComponent(ark)}`);
  // An administrator may change any document: the page does not ask whose it is.
  assert.deepEqual(await apiPaths(page), ["/api/v1/session"]);
  assert.deepEqual(failures, []);
  await page.context().close();
});

test("the document page: no edit link for an editor of another institution, a reader or a visitor", async () => {
  const nils = await documentPage(keys.nils);
  assert.equal(await nils.page.isVisible("#object-edit"), false);
  assert.deepEqual(await apiPaths(nils.page), ["/api/v1/session", `/api/v1/public/objects/${ark}`]);
  assert.deepEqual(nils.failures, []);
  await nils.page.context().close();

  const rita = await documentPage(keys.rita);
  assert.equal(await rita.page.isVisible("#object-edit"), false);
  assert.deepEqual(await apiPaths(rita.page), ["/api/v1/session"]);
  assert.deepEqual(rita.failures, []);
  await rita.page.context().close();

  // Signed out: the session's 401, nothing else refused, and the document shown as ever.
  const visitor = await documentPage(null);
  assert.equal(await visitor.page.isVisible("#object-edit"), false);
  assert.deepEqual(await apiPaths(visitor.page), ["/api/v1/session"]);
  assert.deepEqual(visitor.failures, ["401 /api/v1/session"]);
  assert.equal(await visitor.page.textContent("#object-title"), "Livre d’heures");
  await visitor.page.context().close();
});

test("no script error on the page", () => {
  assert.deepEqual(scriptErrors, []);
});
