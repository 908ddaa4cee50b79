// A book as a reader sees it: a 4-page object whose pages were labelled by folio at deposit is
// relabelled through the API (PUT /api/v1/objects/{ark}/pages) with a cover and a two-level table
// of contents; its Presentation 3.0 manifest names the canvases by those labels and nests the
// ranges, and object.html?manifest={manifest} shows it in Mirador in Debian's headless Chromium:
// the page labels in the thumbnail strip, the item list and the canvas navigation, the table of
// contents' ranges (the nested one once its parent is opened), and a range chosen there moves the
// viewer to its page.
//
// Run by run_manifest_test.sh, which sets IIIF_BASE (the test nginx), IIIF_API (iiifd's API),
// IIIF_KEY (the administrator's API key), IIIF_BOOK (the book's ARK), IIIF_ARTIFACTS (where the
// screenshots go) and IIIF_CHROMIUM.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

import { launchOptions } from "./pages.mjs";

const base = process.env.IIIF_BASE;
const api = process.env.IIIF_API;
const key = process.env.IIIF_KEY;
const book = process.env.IIIF_BOOK;
const artifacts = process.env.IIIF_ARTIFACTS;

const manifestUrl = `${base}/iiif/3/${book}/manifest`;
const landingUrl = `${base}/object.html?manifest=${encodeURIComponent(manifestUrl)}`;
const pagesUrl = `${api}/api/v1/objects/${book}/pages`;

// The change: the first page is the cover, the folios start on the second; the calendar (f. 1r)
// holds January (f. 1v), the Hours of the Virgin begin on f. 2r.
const labels = ["Cover", "f. 1r", "f. 1v", "f. 2r"];
const change = {
  pages: labels.map((label, i) => ({ page: `f${i + 1}`, label })),
  structures: [
    { label: "Calendar", pages: ["f2"], ranges: [{ label: "January", pages: ["f3"] }] },
    { label: "Hours of the Virgin", pages: ["f4"] },
  ],
};

let browser;
const scriptErrors = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await chromium.launch(launchOptions);
});

after(async () => {
  await browser?.close();
});

async function bookManifest() {
  const response = await fetch(manifestUrl, { signal: AbortSignal.timeout(10000) });
  assert.equal(response.status, 200, `GET ${manifestUrl}`);
  return response.json();
}

// A language map with one string, as the manifests label pages and ranges.
const none = (label) => ({ none: [label] });

test("the deposit's pages part labels the pages by folio", async () => {
  const manifest = await bookManifest();
  assert.deepEqual(manifest.label, none("Book of hours"));
  assert.deepEqual(manifest.behavior, ["paged"]);
  assert.deepEqual(manifest.items.map((canvas) => canvas.label),
    ["f. 1r", "f. 1v", "f. 2r", "f. 2v"].map(none));
  assert.equal(manifest.structures, undefined);
});

test("PUT .../pages relabels the pages and sets a two-level table of contents", async () => {
  const response = await fetch(pagesUrl, {
    method: "PUT",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify(change),
    signal: AbortSignal.timeout(10000),
  });
  const answer = await response.json();
  assert.equal(response.status, 200, JSON.stringify(answer));
  assert.equal(answer.version, 2);
  assert.deepEqual(answer.pages.map(({ page, label }) => ({ page, label })), change.pages);
  assert.deepEqual(answer.structures, [
    { label: "Calendar", pages: ["f2"], ranges: [{ label: "January", pages: ["f3"], ranges: [] }] },
    { label: "Hours of the Virgin", pages: ["f4"], ranges: [] },
  ]);

  const manifest = await bookManifest();
  const canvases = manifest.items.map((canvas) => canvas.id);
  assert.deepEqual(manifest.items.map((canvas) => canvas.label), labels.map(none));
  assert.ok(manifest.items.every((canvas) => canvas.thumbnail?.[0]?.type === "Image"));
  const [calendar, hours] = manifest.structures;
  assert.equal(manifest.structures.length, 2);
  assert.deepEqual(calendar.label, none("Calendar"));
  assert.deepEqual(calendar.items[0], { id: canvases[1], type: "Canvas" });
  assert.equal(calendar.items[1].type, "Range");
  assert.deepEqual(calendar.items[1].label, none("January"));
  assert.deepEqual(calendar.items[1].items, [{ id: canvases[2], type: "Canvas" }]);
  assert.deepEqual(hours.label, none("Hours of the Virgin"));
  assert.deepEqual(hours.items, [{ id: canvases[3], type: "Canvas" }]);
});

const thumbnails = '[role="grid"] [data-canvas-index]';
const shownPage = ".mirador-osd-info";  // the canvas navigation's caption: "3 of 4 • f. 1v"

// The caption once it reads `expected` (at most 10 s), else as it is then.
async function captionOnceItIs(page, expected) {
  await page.waitForFunction(
    ([selector, text]) => document.querySelector(selector)?.textContent === text,
    [shownPage, expected], { timeout: 10000 },
  ).catch(() => {});
  return page.locator(shownPage).first().textContent();
}

// The texts of what matches `selector`, once there are `count` of them (at most 10 s).
async function textsOf(page, selector, count) {
  await page.locator(selector).nth(count - 1).waitFor({ timeout: 10000 });
  return (await page.locator(selector).allInnerTexts()).map((text) => text.trim());
}

// A paged book opens in Mirador's book view: the cover alone, then the openings (f. 1r beside
// f. 1v, and f. 2r), one thumbnail each, each captioned with its pages' labels.
test("Mirador shows the page labels and the ranges; a range leads to its page", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("pageerror", (error) => scriptErrors.push(String(error)));
  const response = await page.goto(landingUrl, { timeout: 20000 });
  assert.equal(response.status(), 200);
  assert.deepEqual(await textsOf(page, '[role="grid"] [role="gridcell"]', 3),
    ["Cover", "f. 1r\nf. 1v", "f. 2r"]);
  assert.equal(await page.locator(thumbnails).count(), 3);
  assert.equal(await page.locator("#object-title").textContent(), "Book of hours");
  assert.equal(await captionOnceItIs(page, "1 of 4 • Cover"), "1 of 4 • Cover");

  // The index opens on the table of contents: its two ranges, the calendar closed.
  const contents = page.getByRole("tab", { name: "Table of contents" });
  await contents.waitFor({ timeout: 10000 });
  assert.equal(await contents.getAttribute("aria-selected"), "true");
  const tree = page.getByRole("tree");
  const calendar = tree.getByRole("treeitem", { name: "Calendar" });
  const hours = tree.getByRole("treeitem", { name: "Hours of the Virgin" });
  const january = calendar.getByRole("treeitem", { name: "January" });
  // A tree item's text begins with its label, then its ranges' when it is open.
  const topLevel = await textsOf(page, '[role="tree"] > [role="treeitem"]', 2);
  assert.deepEqual(topLevel.map((text) => text.split("\n")[0]),
    ["Calendar", "Hours of the Virgin"]);
  assert.equal(await calendar.getAttribute("aria-expanded"), "false");
  assert.equal(await january.isVisible(), false);

  // A range without ranges inside leads to its page; one with ranges opens (Mirador's choice).
  await hours.click();
  assert.equal(await captionOnceItIs(page, "4 of 4 • f. 2r"), "4 of 4 • f. 2r");
  await calendar.click();
  await january.waitFor({ timeout: 10000 });
  assert.equal(await calendar.getAttribute("aria-expanded"), "true");
  await january.click();
  assert.equal(await captionOnceItIs(page, "3 of 4 • f. 1v"), "3 of 4 • f. 1v");
  await page.screenshot({ path: join(artifacts, "mirador-book-contents.png") });

  // The item list names every page.
  const itemList = page.getByRole("tab", { name: "Item list" });
  await itemList.click();
  assert.equal(await itemList.getAttribute("aria-selected"), "true");
  assert.deepEqual(await textsOf(page, '[role="menuitem"]', 4), labels);
  await page.close();
  assert.deepEqual(scriptErrors, []);
});
