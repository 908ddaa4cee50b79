// The web front end as its readers use it, in Debian's headless Chromium against the real
// nginx, iiifd and redis (run_web_test.sh): a librarian deposits images on the deposit page, in
// English with the mouse (an API key, three files dropped: two images and a text) and in French
// with the keyboard only (an account signed in through the auth service's window, four files
// chosen: two images, a text and one over the size limit, reordered with the keyboard); each
// file shows its progress and the refused ones a message while the others become pages; the
// ARK is copied; the document's page shows it in Mirador (every image request answered 200)
// with its description, licence and source; the list page finds it by title and collection.
// Every page passes axe-core's WCAG 2.1 A and AA rules (Mirador's own interface aside), and
// none scrolls sideways on a phone. Screenshots: IIIF_ARTIFACTS/web-*.png.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

import {
  accessibilityViolations, clipboardPage, launchOptions, noSidewaysScroll, tabTo,
} from "./pages.mjs";

const base = process.env.IIIF_BASE;
const apiKey = process.env.IIIF_KEY;
const password = process.env.IIIF_PASSWORD;
const artifacts = process.env.IIIF_ARTIFACTS;
const files = process.env.IIIF_FILES;
const accessLog = process.env.IIIF_ACCESS_LOG;

const sizes = { "north.jpg": [1600, 1200], "south.png": [1200, 1600] };
let browser;
const scriptErrors = [];
const deposits = {};  // "en" / "fr": the ARK each flow deposited

before(async () => {
  browser = await chromium.launch(launchOptions);
});

after(async () => {
  await browser?.close();
});

async function newPage(locale, viewport = { width: 1280, height: 900 }, extra = {}) {
  const page = await clipboardPage(browser, base, scriptErrors, locale, viewport, extra);
  // File choosers are intercepted from the start: a listener added only when the chooser is
  // expected may be set up after the page has already opened it.
  page.fileChoosers = [];
  page.on("filechooser", (chooser) => page.fileChoosers.push(chooser));
  return page;
}

// The file chooser the page opened (at most 10 s).
async function nextFileChooser(page) {
  for (let i = 0; i < 100 && page.fileChoosers.length === 0; i += 1) await sleep(100);
  assert.equal(page.fileChoosers.length, 1, "the page opened no file chooser");
  return page.fileChoosers.shift();
}

// Records every change of each file row's state and progress bar, from now on.
async function recordProgress(page) {
  await page.evaluate(() => {
    window.progressLog = {};
    const note = (row) => {
      const name = row.querySelector(".file-name").textContent;
      const log = (window.progressLog[name] ||= []);
      const entry = { state: row.dataset.state, value: Number(row.querySelector("progress").value) };
      const last = log[log.length - 1];
      if (!last || last.state !== entry.state || last.value !== entry.value) log.push(entry);
    };
    document.querySelectorAll("#file-list .file").forEach(note);
    new MutationObserver((mutations) => {
      for (const m of mutations) {
        const row = m.target.closest?.(".file");
        if (row) note(row);
      }
    }).observe(document.getElementById("file-list"),
      { subtree: true, attributes: true, attributeFilter: ["data-state", "value"] });
  });
}

async function rows(page) {
  return page.$$eval("#file-list .file", (items) => items.map((item) => ({
    name: item.querySelector(".file-name").textContent,
    state: item.dataset.state,
    value: Number(item.querySelector("progress").value),
    status: item.querySelector(".file-status").textContent,
  })));
}

// The states a row went through, each run of one state once.
function distinctStates(log) {
  return log.map((e) => e.state).filter((s, i, all) => s !== all[i - 1]);
}

// A file that became a page went from ready through the upload and the conversion with a bar
// that only grew, passed half way (uploaded) and ended full.
function assertProgressed(log, name) {
  assert.ok(log, `${name}: no progress was recorded`);
  const states = distinctStates(log);
  assert.deepEqual(states.slice(0, 3), ["ready", "uploading", "queued"], `${name}: ${JSON.stringify(log)}`);
  assert.equal(states[states.length - 1], "done", `${name}: ${JSON.stringify(log)}`);
  const values = log.map((e) => e.value);
  for (let i = 1; i < values.length; i += 1) {
    assert.ok(values[i] >= values[i - 1], `${name}: the bar went back: ${values}`);
  }
  assert.ok(values.includes(50), `${name}: ${values}`);
  assert.equal(values[values.length - 1], 100);
}

async function manifestOf(page, ark) {
  const response = await page.request.get(`${base}/iiif/3/${ark}/manifest`);
  assert.equal(response.status(), 200);
  return response.json();
}

// The image service size of each canvas, in page order.
function canvasSizes(manifest) {
  return manifest.items.map((canvas) => [canvas.width, canvas.height]);
}

// Opens the document's page and waits for Mirador to have drawn tiles; every /iiif/ answer the
// page got (info.json, thumbnails, tiles) is returned with its status.
async function openDocumentPage(page, go) {
  const answers = [];
  page.on("response", (response) => {
    if (response.url().includes("/iiif/")) answers.push({ url: response.url(), status: response.status() });
  });
  await go();
  await page.waitForSelector(".openseadragon-canvas canvas", { timeout: 30000 });
  const isTile = (a) => /\/iiif\/3\/.+\/\d+,\d+,\d+,\d+\/[^/]+\/0\/default\.jpg$/.test(a.url) ||
    /\/iiif\/3\/.+\/full\/[^/]+\/0\/default\.jpg$/.test(a.url);
  // Until tiles have come and nothing more has for a second (bounded: 30 s).
  let seen = -1;
  for (let i = 0; i < 60; i += 1) {
    await sleep(500);
    if (answers.filter(isTile).length > 0 && answers.length === seen) break;
    seen = answers.length;
  }
  return { answers, tiles: answers.filter(isTile) };
}

// The deposit page's visible texts are checked exactly; these are the server's limits as
// run_web_test.sh configures them.
const dropFiles = ["north.jpg", "notes.txt", "south.png"];

test("mouse, English: three files dropped, two become pages with their progress, the text is refused", async () => {
  const page = await newPage("en-GB");
  await page.goto(`${base}/deposit.html`);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.textContent("h1"), "Deposit images");
  assert.deepEqual(await accessibilityViolations(page), []);

  // A wrong key first: refused, with a message; then the right one.
  await page.fill("#api-key", "not-the-key");
  await page.click("#key-form button[type=submit]");
  await page.waitForFunction(() => document.getElementById("signin-status").textContent === "This key was refused.");
  assert.equal(await page.isVisible("#signed-in"), false);
  await page.fill("#api-key", apiKey);
  await page.click("#key-form button[type=submit]");
  await page.waitForSelector("#signed-in:not([hidden])");
  assert.equal(await page.textContent("#signed-in-as"), "Signed in with an API key.");
  assert.equal(await page.textContent("#files-hint"),
    "JPEG, PNG, TIFF, JPEG 2000, WebP or GIF; up to 3 MB each, 20 files per document. " +
    "The order of the list is the order of the pages.");
  assert.deepEqual(await page.$$eval("#meta-set option", (o) => o.map((x) => [x.value, x.textContent])),
    [["", "None"], ["maps", "Maps"]]);

  // The drop: a DataTransfer holding the three files, as the browser makes it from a drag.
  const payload = dropFiles.map((name) => ({
    name, type: { jpg: "image/jpeg", png: "image/png", txt: "text/plain" }[name.split(".").pop()],
    bytes: readFileSync(join(files, name)).toString("base64"),
  }));
  const transfer = await page.evaluateHandle((items) => {
    const dt = new DataTransfer();
    for (const item of items) {
      const bytes = Uint8Array.from(atob(item.bytes), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], item.name, { type: item.type }));
    }
    return dt;
  }, payload);
  await page.dispatchEvent("#dropzone", "dragenter", { dataTransfer: transfer });
  await page.dispatchEvent("#dropzone", "dragover", { dataTransfer: transfer });
  await page.dispatchEvent("#dropzone", "drop", { dataTransfer: transfer });
  assert.deepEqual((await rows(page)).map((r) => [r.name, r.state, r.status]),
    dropFiles.map((name) => [name, "ready", "Ready"]));
  assert.equal(await page.textContent("#files-status"), "3 files added.");

  await page.fill("#meta-title", "Carte des Flandres");
  await page.fill("#meta-creator", "Cassini");
  await page.fill("#meta-date", "1789");
  await page.selectOption("#meta-set", "maps");
  await page.selectOption("#meta-license", "https://creativecommons.org/licenses/by/4.0/");
  await page.fill("#meta-provider", "Bibliothèque de Lille");
  await page.screenshot({ path: join(artifacts, "web-deposit-ready.png"), fullPage: true });

  await recordProgress(page);
  await page.click("#submit");
  await page.waitForSelector("#result:not([hidden])", { timeout: 60000 });
  assert.equal(await page.evaluate(() => document.activeElement.id), "result");

  const finalRows = await rows(page);
  assert.deepEqual(finalRows.map((r) => [r.name, r.state, r.value, r.status]), [
    ["north.jpg", "done", 100, "Done: page 1"],
    ["notes.txt", "refused", 0, "Refused: this file is not an image in an accepted format " +
      "(JPEG, PNG, TIFF, JPEG 2000, WebP, GIF)."],
    ["south.png", "done", 100, "Done: page 2"],
  ]);
  const log = await page.evaluate(() => window.progressLog);
  assertProgressed(log["north.jpg"], "north.jpg");
  assertProgressed(log["south.png"], "south.png");
  assert.deepEqual(distinctStates(log["notes.txt"]).slice(0, 3), ["ready", "uploading", "queued"]);
  assert.equal(log["notes.txt"].at(-1).state, "refused");
  assert.equal(await page.textContent("#result-summary"), "2 of 3 files became pages of the document.");

  const arkUrl = await page.inputValue("#result-ark");
  const ark = arkUrl.slice(base.length + 1);
  assert.match(ark, /^ark:\/99999\/fk4-[0-9a-z]{8}-[0-9a-z]$/);
  deposits.en = ark;
  const pageOne = `${ark}/f1`.replace(/\//g, "%2F");
  assert.equal(await page.inputValue("#result-image"), `${base}/iiif/3/${pageOne}/info.json`);
  assert.equal(await page.inputValue("#result-manifest"), `${base}/iiif/3/${ark}/manifest`);
  await page.click("#result-links .link-row:first-child button.copy");
  await page.waitForFunction(() => document.getElementById("copy-status").textContent !== "");
  assert.equal(await page.textContent("#copy-status"), "Copied: ARK (stable address)");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), arkUrl);
  // What the front end showed is what the platform holds: two pages, in the order dropped.
  const manifest = await manifestOf(page, ark);
  assert.deepEqual(canvasSizes(manifest), [sizes["north.jpg"], sizes["south.png"]]);
  const info = await page.request.get(await page.inputValue("#result-image"));
  assert.equal(info.status(), 200);
  assert.equal((await info.json()).width, 1600);
  // The ARK itself answers (the resolver's redirect to the document's page).
  const resolved = await page.request.get(arkUrl, { maxRedirects: 0 });
  assert.equal(resolved.status(), 302);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-deposit-done.png"), fullPage: true });

  // The document's page, from the result's link.
  const { answers, tiles } = await openDocumentPage(page, () => page.click("#result-object"));
  assert.equal(new URL(page.url()).pathname, "/object.html");
  assert.ok(tiles.length >= 1, `no tile was loaded: ${JSON.stringify(answers)}`);
  assert.deepEqual(answers.filter((a) => a.status !== 200), []);
  assert.equal(await page.textContent("#object-title"), "Carte des Flandres");
  assert.equal(await page.textContent("#license"), "CC BY 4.0");
  // The licence as manifests give it (Creative Commons' canonical http form).
  assert.equal(await page.getAttribute("#license", "href"), "http://creativecommons.org/licenses/by/4.0/");
  assert.equal(await page.getAttribute("#license", "rel"), "license");
  assert.equal(await page.textContent("#source"), "Source: Bibliothèque de Lille");
  const pairs = await page.$$eval("#metadata .pair", (items) =>
    items.map((item) => [item.querySelector("dt").textContent, item.querySelector("dd").textContent]));
  assert.deepEqual(pairs, [["Title", "Carte des Flandres"], ["Creator", "Cassini"], ["Date", "1789"]]);
  assert.equal(await page.inputValue("#link-ark"), arkUrl);
  const manifestUrl = `${base}/iiif/3/${ark}/manifest`;
  assert.equal(await page.inputValue("#link-manifest"), manifestUrl);
  assert.equal(await page.getAttribute("#iiif-drag", "href"),
    `${manifestUrl}?manifest=${encodeURIComponent(manifestUrl)}`);
  assert.deepEqual(await accessibilityViolations(page, ["#viewer"]), []);
  await page.screenshot({ path: join(artifacts, "web-object.png") });

  // nginx saw the same: no image request of this document answered anything but 200.
  const logged = readFileSync(accessLog, "utf8").split("\n")
    .filter((line) => line.startsWith("GET /iiif/3/") && line.includes(ark.split("/")[2]));
  assert.ok(logged.length >= 2);
  assert.deepEqual(logged.filter((line) => line.split(" ")[2] !== "200"), []);
  await page.context().close();
});

test("the list page: recent documents, the collection, and a search by title", async () => {
  assert.ok(deposits.en, "the English deposit did not happen");
  const page = await newPage("en-GB");
  await page.goto(`${base}/`);
  await page.waitForSelector("#objects .card");
  assert.equal(await page.textContent("#results-heading"), "Recent documents");
  assert.equal(await page.textContent("#objects .card:first-child .card-title"), "Carte des Flandres");
  assert.equal(await page.textContent("#objects .card:first-child .card-details"), "Cassini · 1789 · 2 pages");
  const thumbnail = await page.getAttribute("#objects .card:first-child img", "src");
  const picture = await page.request.get(thumbnail);
  assert.equal(picture.status(), 200);
  await page.waitForSelector("#sets-list a");
  assert.deepEqual(await page.$$eval("#sets-list li", (items) => items.map((i) => i.textContent)), ["Maps (1)"]);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-list.png"), fullPage: true });

  await page.fill("#q", "flandre");
  await Promise.all([page.waitForURL(/\?q=flandre$/), page.press("#q", "Enter")]);
  await page.waitForFunction(() => document.getElementById("list-status").textContent !== "Loading…");
  assert.equal(await page.textContent("#results-heading"), "Documents whose title matches “flandre”");
  assert.equal(await page.textContent("#list-status"), "1 document shown");
  assert.deepEqual(await page.$$eval("#objects .card-title", (t) => t.map((x) => x.textContent)), ["Carte des Flandres"]);

  await page.goto(`${base}/?q=zanzibar`);
  await page.waitForFunction(() => document.getElementById("list-status").textContent !== "Loading…");
  assert.equal(await page.textContent("#list-status"), "No document has a title matching “zanzibar”.");
  assert.equal(await page.locator("#objects .card").count(), 0);

  await page.goto(`${base}/?set=maps`);
  await page.waitForSelector("#sets-list a[aria-current=page]");
  assert.equal(await page.textContent("#results-heading"), "Collection: Maps");
  await page.waitForSelector("#objects .card");
  assert.equal(await page.locator("#objects .card").count(), 1);

  // The card leads to the document's page.
  await page.click("#objects .card-link");
  await page.waitForSelector("#object-info:not([hidden])");
  assert.equal(await page.textContent("#object-title"), "Carte des Flandres");
  await page.context().close();
});

test("keyboard only, French: sign in with an account, choose four files, reorder, deposit, open the document", async () => {
  const page = await newPage("fr-FR");
  await page.goto(`${base}/deposit.html`);
  assert.equal(await page.getAttribute("html", "lang"), "fr");
  assert.equal(await page.textContent("h1"), "Déposer des images");
  assert.deepEqual(await accessibilityViolations(page), []);

  // The account: the sign-in window, filled in and sent with the keyboard.
  await tabTo(page, "#account-signin");
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.keyboard.press("Enter")]);
  await popup.waitForLoadState();
  await tabTo(popup, "input[name=username]");
  await popup.keyboard.type("alice");
  await tabTo(popup, "input[name=password]");
  await popup.keyboard.type(password);
  await Promise.all([popup.waitForEvent("close", { timeout: 15000 }), popup.keyboard.press("Enter")]);
  await page.waitForSelector("#signed-in:not([hidden])", { timeout: 10000 });
  // The window that closed gives the focus back to the page, as a desktop would.
  await page.bringToFront();
  assert.equal(await page.textContent("#signed-in-as"), "Connecté en tant que alice.");
  assert.equal(await page.evaluate(() => document.activeElement.id), "choose");

  // The files: the chooser opened with Enter (the system's dialog is the only step outside
  // the page), then the list reordered with its buttons.
  await page.keyboard.press("Enter");
  const chooser = await nextFileChooser(page);
  await chooser.setFiles(["north.jpg", "south.png", "notes.txt", "huge.jpg"].map((n) => join(files, n)));
  await page.waitForSelector("#file-list .file");
  assert.equal(await page.textContent("#files-status"), "4 fichiers ajoutés.");
  assert.deepEqual((await rows(page)).map((r) => [r.name, r.state, r.status]), [
    ["north.jpg", "ready", "Prêt"],
    ["south.png", "ready", "Prêt"],
    ["notes.txt", "ready", "Prêt"],
    ["huge.jpg", "refused", "Refusé : le fichier est trop volumineux (4,5 Mo ; la limite est de 3 Mo)."],
  ]);
  await tabTo(page, 'button[aria-label="Monter south.png"]');
  await page.keyboard.press("Enter");
  assert.deepEqual((await rows(page)).map((r) => r.name), ["south.png", "north.jpg", "notes.txt", "huge.jpg"]);
  assert.equal(await page.textContent("#files-status"), "south.png est maintenant en position 1.");
  // The focus stays on the row that moved (its "up" button is now disabled: on "down").
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label")),
    "Descendre south.png");

  await tabTo(page, "#meta-title");
  await page.keyboard.type("Plan de Lille");
  await tabTo(page, "#meta-date");
  await page.keyboard.type("1745");
  await tabTo(page, "#meta-license");
  // Down the list: not stated, PDM, CC0, CC BY, CC BY-SA.
  for (let i = 0; i < 4; i += 1) await page.keyboard.press("ArrowDown");
  assert.equal(await page.inputValue("#meta-license"), "https://creativecommons.org/licenses/by-sa/4.0/");

  await recordProgress(page);
  await tabTo(page, "#submit");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#result:not([hidden])", { timeout: 60000 });
  assert.equal(await page.evaluate(() => document.activeElement.id), "result");
  assert.deepEqual((await rows(page)).map((r) => [r.name, r.state, r.value, r.status]), [
    ["south.png", "done", 100, "Terminé : page 1"],
    ["north.jpg", "done", 100, "Terminé : page 2"],
    ["notes.txt", "refused", 0, "Refusé : ce fichier n’est pas une image dans un format accepté " +
      "(JPEG, PNG, TIFF, JPEG 2000, WebP, GIF)."],
    ["huge.jpg", "refused", 0, "Refusé : le fichier est trop volumineux (4,5 Mo ; la limite est de 3 Mo)."],
  ]);
  const log = await page.evaluate(() => window.progressLog);
  assertProgressed(log["south.png"], "south.png");
  assertProgressed(log["north.jpg"], "north.jpg");
  // The file over the limit was never sent.
  assert.deepEqual(log["huge.jpg"].map((e) => e.state), ["refused"]);
  assert.deepEqual(distinctStates(log["notes.txt"]), ["ready", "uploading", "queued", "refused"]);
  assert.equal(await page.textContent("#result-summary"),
    "2 fichiers sur 4 sont devenus des pages du document.");
  const arkUrl = await page.inputValue("#result-ark");
  const ark = arkUrl.slice(base.length + 1);
  deposits.fr = ark;
  assert.deepEqual(canvasSizes(await manifestOf(page, ark)), [sizes["south.png"], sizes["north.jpg"]]);

  await tabTo(page, 'button[aria-label="Copier : ARK (adresse pérenne)"]');
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.getElementById("copy-status").textContent !== "");
  assert.equal(await page.textContent("#copy-status"), "Copié : ARK (adresse pérenne)");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), arkUrl);
  await page.screenshot({ path: join(artifacts, "web-deposit-keyboard-fr.png"), fullPage: true });

  await tabTo(page, "#result-object");
  const { answers, tiles } = await openDocumentPage(page, () => page.keyboard.press("Enter"));
  assert.ok(tiles.length >= 1, `no tile was loaded: ${JSON.stringify(answers)}`);
  assert.deepEqual(answers.filter((a) => a.status !== 200), []);
  assert.equal(await page.textContent("#object-title"), "Plan de Lille");
  assert.equal(await page.textContent("#license"), "CC BY-SA 4.0");
  assert.equal(await page.textContent("#source"), "Source : Test Library");
  const pairs = await page.$$eval("#metadata .pair", (items) =>
    items.map((item) => [item.querySelector("dt").textContent, item.querySelector("dd").textContent]));
  assert.deepEqual(pairs, [["Titre", "Plan de Lille"], ["Date", "1745"]]);
  // The IIIF link is reachable with the keyboard too.
  await tabTo(page, "#iiif-drag", 200);
  assert.deepEqual(await accessibilityViolations(page, ["#viewer"]), []);
  await page.screenshot({ path: join(artifacts, "web-object-fr.png") });
  await page.context().close();
});

test("a phone: the list and the document's page fit the screen", async () => {
  assert.ok(deposits.fr, "the French deposit did not happen");
  const page = await newPage("fr-FR", { width: 390, height: 844 }, { isMobile: true, hasTouch: true });
  await page.goto(`${base}/`);
  await page.waitForSelector("#objects .card");
  assert.deepEqual(await page.$$eval("#objects .card-title", (t) => t.map((x) => x.textContent)),
    ["Plan de Lille", "Carte des Flandres"]);
  assert.equal(await noSidewaysScroll(page), true);
  await page.screenshot({ path: join(artifacts, "web-list-phone.png"), fullPage: true });

  const { answers } = await openDocumentPage(page,
    () => page.goto(`${base}/object.html?ark=${encodeURIComponent(deposits.fr)}`));
  assert.deepEqual(answers.filter((a) => a.status !== 200), []);
  // The viewer takes the screen's width.
  assert.equal(await page.evaluate(() => document.querySelector(".openseadragon-container").clientWidth >= 360), true);
  assert.equal(await noSidewaysScroll(page), true);
  await page.screenshot({ path: join(artifacts, "web-object-phone.png"), fullPage: true });

  await page.goto(`${base}/deposit.html`);
  assert.equal(await noSidewaysScroll(page), true);
  await page.screenshot({ path: join(artifacts, "web-deposit-phone.png"), fullPage: true });
  await page.context().close();
});

test("no script error on any page", () => {
  assert.deepEqual(scriptErrors, []);
});
