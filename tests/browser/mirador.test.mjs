// The object's landing page as a reader sees it: object.html?manifest={3.0 manifest} in
// Debian's headless Chromium shows the object in Mirador, one thumbnail per page, the pages'
// pixels drawn from the Image API's tiles; and the object's bare ARK leads there.
//
// Run by run_manifest_test.sh, which sets IIIF_BASE (the test nginx), IIIF_ARK (the object),
// IIIF_PAGES ("WIDTH HEIGHT R G B;" per page, in page order), IIIF_ARTIFACTS (where the
// screenshots go), IIIF_CHROMIUM and IIIF_BROWSER_PROFILE (a fresh user data directory).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

const base = process.env.IIIF_BASE;
const ark = process.env.IIIF_ARK;
const artifacts = process.env.IIIF_ARTIFACTS;
const pages = process.env.IIIF_PAGES.split(";")
  .filter((page) => page.trim() !== "")
  .map((page) => page.trim().split(/\s+/).map(Number))
  .map(([width, height, r, g, b]) => ({ width, height, colour: [r, g, b] }));

const manifestUrl = `${base}/iiif/3/${ark}/manifest`;
const landingUrl = `${base}/object.html?manifest=${encodeURIComponent(manifestUrl)}`;
const arkUrl = `${base}/${ark}`;
// An image request of the Image API 3.0: {id}/{region}/{size}/{rotation}/{quality}.{format}.
const imageRequest = /^\/iiif\/3\/.+\/([^/]+)\/([^/]+)\/!?\d+(\.\d+)?\/[a-z]+\.(jpg|png|webp)$/;
const tileRegion = /^\d+,\d+,\d+,\d+$/;

// Mirador's thumbnail strip (far-bottom): one grid cell per canvas.
const thumbnails = '[role="grid"] [data-canvas-index]';

let context;
let manifest;
// Every answer to a request under /iiif/3/ made by the pages, every request that failed, and
// every uncaught script error.
const iiifResponses = [];
const failedRequests = [];
const scriptErrors = [];

async function newPage() {
  const page = await context.newPage();
  page.on("response", (response) => {
    const url = new URL(response.url());
    if (url.origin === base && url.pathname.startsWith("/iiif/3/")) {
      iiifResponses.push({ path: url.pathname, status: response.status() });
    }
  });
  page.on("requestfailed", (request) => {
    failedRequests.push(`${request.url()}: ${request.failure()?.errorText}`);
  });
  page.on("pageerror", (error) => scriptErrors.push(String(error)));
  return page;
}

async function thumbnailCount(page) {
  await page.waitForFunction(
    ([selector, count]) => document.querySelectorAll(selector).length >= count,
    [thumbnails, pages.length],
    { timeout: 30000 },
  );
  return page.locator(thumbnails).count();
}

// Whether an RGB colour is within `tolerance` of `expected` on each channel (the tiles are JPEG).
function near(colour, expected, tolerance = 12) {
  return colour.length === 3 &&
    colour.every((value, i) => Math.abs(value - expected[i]) <= tolerance);
}

// The colour at the centre of OpenSeadragon's canvas, read from a screenshot of it (saved as
// `name`) with vips; polled until it is `expected` within `tolerance` (the viewer blends tiles
// in), at most 20 s. Returns the last colour read.
async function centreColour(page, name, expected, tolerance = 12) {
  const file = join(artifacts, name);
  const deadline = Date.now() + 20000;
  let colour = [];
  for (;;) {
    const canvas = page.locator(".openseadragon-canvas").first();
    await canvas.screenshot({ path: file });
    const box = await canvas.boundingBox();
    const point = execFileSync("vips", [
      "getpoint", file, String(Math.floor(box.width / 2)), String(Math.floor(box.height / 2)),
    ]).toString();
    colour = point.trim().split(/\s+/).slice(0, 3).map(Number);
    if (near(colour, expected, tolerance) || Date.now() > deadline) return colour;
    await page.waitForTimeout(250);
  }
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  const response = await fetch(manifestUrl, { signal: AbortSignal.timeout(10000) });
  assert.equal(response.status, 200, `GET ${manifestUrl}`);
  manifest = await response.json();
  context = await chromium.launchPersistentContext(process.env.IIIF_BROWSER_PROFILE, {
    executablePath: process.env.IIIF_CHROMIUM,
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    viewport: { width: 1280, height: 800 },
  });
});

after(async () => {
  await context?.close();
});

test("the landing page shows the manifest in Mirador, one thumbnail per canvas (3)", async () => {
  const page = await newPage();
  const response = await page.goto(landingUrl, { timeout: 20000 });
  assert.equal(response.status(), 200);
  assert.equal(pages.length, 3);
  assert.equal(manifest.items.length, pages.length);
  assert.equal(await thumbnailCount(page), manifest.items.length);
  // The side bar's index lists them too, by label.
  const index = page.locator('[role="menuitem"]');
  await index.nth(pages.length - 1).waitFor({ timeout: 10000 });
  assert.equal(await index.count(), manifest.items.length);
  assert.equal(await page.locator("#object-title").textContent(), "Three colours");
  assert.equal(await page.title(), "Three colours — Digital collections");
  // The licence as a badge linking to it, and the source mention, beside the object.
  const license = page.locator("#license");
  assert.equal(await license.textContent(), "CC BY-SA 4.0");
  assert.equal(await license.getAttribute("href"), "http://creativecommons.org/licenses/by-sa/4.0/");
  assert.equal(await license.getAttribute("rel"), "license");
  assert.equal(await page.locator("#source").textContent(), "Source: Test Library");
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  assert.equal(await page.locator("main").count(), 1); // Mirador's, the only main landmark

  const colour = await centreColour(page, "mirador-page1-canvas.png", pages[0].colour);
  console.log(`landing page: the viewer's centre is ${colour} (page 1: ${pages[0].colour})`);
  await page.screenshot({ path: join(artifacts, "mirador-page1.png") });
  assert.ok(near(colour, pages[0].colour),
    `the viewer's centre is ${colour}, page 1's colour is ${pages[0].colour}`);
  await page.close();
});

test("choosing the second thumbnail shows page 2's pixels", async () => {
  const page = await newPage();
  await page.goto(landingUrl, { timeout: 20000 });
  await thumbnailCount(page);
  await page.locator(thumbnails).nth(1).click();
  const colour = await centreColour(page, "mirador-page2-canvas.png", pages[1].colour);
  console.log(`second thumbnail: the viewer's centre is ${colour} (page 2: ${pages[1].colour})`);
  await page.screenshot({ path: join(artifacts, "mirador-page2.png") });
  assert.ok(near(colour, pages[1].colour),
    `the viewer's centre is ${colour}, page 2's colour is ${pages[1].colour}`);
  await page.close();
});

test("the bare ARK redirects (302) to the landing page, which loads the manifest", async () => {
  const page = await newPage();
  const response = await page.goto(arkUrl, { timeout: 20000 });
  const redirect = response.request().redirectedFrom();
  assert.ok(redirect, `GET ${arkUrl} was not redirected`);
  const first = await redirect.response();
  assert.equal(first.status(), 302);
  assert.equal(first.headers().location, landingUrl);
  assert.equal(response.status(), 200);
  assert.equal(page.url(), landingUrl);
  assert.equal(await thumbnailCount(page), manifest.items.length);
  const colour = await centreColour(page, "mirador-ark-canvas.png", pages[0].colour);
  console.log(`from the ARK: the viewer's centre is ${colour} (page 1: ${pages[0].colour})`);
  await page.screenshot({ path: join(artifacts, "mirador-ark.png") });
  assert.ok(near(colour, pages[0].colour),
    `the viewer's centre is ${colour}, page 1's colour is ${pages[0].colour}`);
  await page.close();
});

test("without ?ark= or ?manifest= the landing page says what it expects", async () => {
  const page = await newPage();
  const response = await page.goto(`${base}/object.html`, { timeout: 20000 });
  assert.equal(response.status(), 200);
  assert.equal(await page.locator("#status").textContent(),
    "No document to show: this page expects ?ark= followed by an ARK, or ?manifest= followed " +
    "by the address of a IIIF manifest.");
  assert.equal(await page.locator("#object-links").isHidden(), true);
  await page.close();
});

test("every /iiif/3/ request of the pages answered 200, tiles included, no script error", () => {
  assert.deepEqual(scriptErrors, []);
  assert.deepEqual(failedRequests, []);
  assert.deepEqual(iiifResponses.filter((r) => r.status !== 200), []);
  const manifests = iiifResponses.filter((r) => r.path.endsWith("/manifest"));
  const infos = iiifResponses.filter((r) => r.path.endsWith("/info.json"));
  const images = iiifResponses.filter((r) => imageRequest.test(r.path));
  const tiles = images.filter((r) => tileRegion.test(r.path.match(imageRequest)[1]));
  console.log(`/iiif/3/ answers: ${iiifResponses.length} (manifests ${manifests.length}, ` +
    `info.json ${infos.length}, images ${images.length} of which tiles ${tiles.length})`);
  assert.ok(manifests.length >= 3, `manifest requests: ${manifests.length}`);
  assert.ok(infos.length >= 1, `info.json requests: ${infos.length}`);
  assert.ok(tiles.length >= 1, `tile requests: ${tiles.length}`);
});
