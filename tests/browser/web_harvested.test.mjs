// Harvested objects on the web pages, in Debian's headless Chromium against the real nginx, iiifd
// and redis (run_harvested_test.sh): the partner "BM Test" (institution "Bibliothèque municipale
// de Test") gave three records, harvested as described objects (no images), "Record 1" and
// "Record 2" with their page at the partner, "Record 3" without; "Plan de Test" was deposited with
// one image. A described object's page shows its description, licence, source and a link to the
// original with the exact address, and no viewer; reached by its bare ARK (no manifest: the
// landing page falls back to its description) it still shows; a deposited object's page is as it
// was (Mirador, the manifest, no original); the list page has one collection for the partner,
// named after it, whose cards lead to the documents' pages. Every page passes axe-core's WCAG 2.1
// A and AA rules (Mirador's own interface aside). Screenshots: IIIF_ARTIFACTS/web-harvested-*.png.
import assert from "node:assert/strict";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

import { accessibilityViolations, launchOptions } from "./pages.mjs";

const base = process.env.IIIF_BASE;
const deposited = process.env.IIIF_ARK;
const partnerPages = process.env.IIIF_PARTNER_PAGES;
const artifacts = process.env.IIIF_ARTIFACTS;
const institution = "Bibliothèque municipale de Test";

let browser;
const scriptErrors = [];
const harvested = {};  // title -> the card of the public listing

before(async () => {
  browser = await chromium.launch(launchOptions);
  const context = await browser.newContext();
  const answer = await context.request.get(`${base}/api/v1/public/objects?set=partner:bm-test`);
  assert.equal(answer.status(), 200);
  for (const card of (await answer.json()).objects) harvested[card.title[0].value] = card;
  await context.close();
  assert.deepEqual(Object.keys(harvested).sort(), ["Record 1", "Record 2", "Record 3"]);
});

after(async () => {
  await browser?.close();
});

// A page whose requests to the partner's site are answered here (the test has no network): the
// original's address is followed exactly as the link gives it.
async function newPage(locale, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ locale, viewport });
  await context.route(`${new URL(partnerPages).origin}/**`, (route) =>
    route.fulfill({ contentType: "text/html", body: "<!doctype html><title>At the partner</title>" }));
  const page = await context.newPage();
  page.on("pageerror", (error) => scriptErrors.push(`${page.url()}: ${error.message}`));
  page.iiifAnswers = [];
  page.on("response", (response) => {
    if (response.url().includes("/iiif/")) {
      page.iiifAnswers.push({ url: response.url(), status: response.status() });
    }
  });
  return page;
}

async function pairs(page) {
  return page.$$eval("#metadata .pair", (items) =>
    items.map((item) => [item.querySelector("dt").textContent, item.querySelector("dd").textContent]));
}

// The page of a document without pages, once shown: no viewer was started.
async function assertNoViewer(page) {
  assert.equal(await page.isVisible("#viewer"), false);
  assert.equal(await page.locator("#viewer *").count(), 0);
  assert.equal(await page.locator(".mirador-viewer, .openseadragon-container").count(), 0);
}

test("a described object's page: its description, licence, source and the original's link, no viewer", async () => {
  const { ark } = harvested["Record 2"];
  const page = await newPage("en-GB");
  await page.goto(`${base}/object.html?ark=${encodeURIComponent(ark)}`);
  await page.waitForSelector("#object-info:not([hidden])");
  assert.equal(await page.textContent("#object-title"), "Record 2");
  assert.equal(await page.title(), "Record 2 — Digital collections");
  assert.equal(await page.isVisible("#object-original"), true);
  assert.equal(await page.getAttribute("#original", "href"), `${partnerPages}0002`);
  assert.equal(await page.textContent("#original"), `See the original at ${institution}`);
  assert.equal(await page.textContent("#status"), "This document has no pages to show here.");
  await assertNoViewer(page);
  // The partner's default licence, and the holding institution as the source.
  assert.equal(await page.textContent("#license"), "CC BY-NC-ND 4.0");
  assert.equal(await page.getAttribute("#license", "href"), "http://creativecommons.org/licenses/by-nc-nd/4.0/");
  assert.equal(await page.textContent("#source"), `Source: ${institution}`);
  assert.deepEqual(await pairs(page), [["Title", "Record 2"], ["Creator", "Creator & Co"],
    ["Date", "2024-01-02"], ["Identifier", `${partnerPages}0002`]]);
  // Its ARK and OAI-PMH record; no manifest, so neither its address nor the IIIF link.
  assert.equal(await page.inputValue("#link-ark"), `${base}/${ark}`);
  assert.equal(await page.locator("#link-manifest").count(), 0);
  assert.equal(await page.locator("#link-record").count(), 1);
  assert.equal(await page.isVisible("#iiif-drag"), false);
  // The one IIIF request: the manifest it does not have.
  assert.deepEqual(page.iiifAnswers, [{ url: `${base}/iiif/3/${ark}/manifest`, status: 404 }]);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-harvested-described.png"), fullPage: true });

  await Promise.all([page.waitForURL(`${partnerPages}0002`), page.click("#original")]);
  assert.equal(await page.title(), "At the partner");
  await page.context().close();
});

test("keyboard only, French: the original's link is reached and followed with the keyboard", async () => {
  const { ark } = harvested["Record 1"];
  const page = await newPage("fr-FR");
  await page.goto(`${base}/object.html?ark=${encodeURIComponent(ark)}`);
  await page.waitForSelector("#object-info:not([hidden])");
  assert.equal(await page.textContent("#original"), `Voir l’original : ${institution}`);
  assert.equal(await page.textContent("#status"), "Ce document n’a pas de pages à montrer ici.");
  assert.equal(await page.textContent("#source"), `Source : ${institution}`);
  assert.deepEqual(await pairs(page), [["Titre", "Notice 1"], ["Créateur", "Creator & Co"],
    ["Date", "2024-01-01"], ["Identifiant", `${partnerPages}0001`]]);
  let reached = false;
  for (let i = 0; i < 20 && !reached; i += 1) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate(() => document.activeElement?.id === "original");
  }
  assert.ok(reached, "the original's link was not reached with Tab");
  await Promise.all([page.waitForURL(`${partnerPages}0001`), page.keyboard.press("Enter")]);
  await page.context().close();
});

test("a described object without a page at the partner, by its bare ARK: its description, no original", async () => {
  const { ark } = harvested["Record 3"];
  const page = await newPage("en-GB");
  // The resolver leads to the landing page, which names the manifest it does not have.
  await page.goto(`${base}/${ark}`);
  assert.equal(new URL(page.url()).pathname, "/object.html");
  assert.equal(new URL(page.url()).searchParams.get("manifest"), `${base}/iiif/3/${ark}/manifest`);
  await page.waitForSelector("#object-info:not([hidden])");
  assert.equal(await page.textContent("#object-title"), "Record 3");
  assert.equal(await page.isVisible("#object-original"), false);
  assert.equal(await page.textContent("#source"), `Source: ${institution}`);
  await assertNoViewer(page);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.context().close();
});

test("a deposited object's page is as it was: Mirador, its manifest, no original", async () => {
  const page = await newPage("en-GB");
  await page.goto(`${base}/object.html?ark=${encodeURIComponent(deposited)}`);
  await page.waitForSelector(".openseadragon-canvas canvas", { timeout: 30000 });
  assert.equal(await page.textContent("#object-title"), "Plan de Test");
  assert.equal(await page.isVisible("#viewer"), true);
  assert.equal(await page.isVisible("#object-original"), false);
  assert.equal(await page.isVisible("#status"), false);
  assert.equal(await page.textContent("#source"), "Source: Test Library");
  const manifestUrl = `${base}/iiif/3/${deposited}/manifest`;
  assert.equal(await page.inputValue("#link-manifest"), manifestUrl);
  assert.equal(await page.isVisible("#iiif-drag"), true);
  assert.equal(await page.getAttribute("#iiif-drag", "href"),
    `${manifestUrl}?manifest=${encodeURIComponent(manifestUrl)}`);
  // Tiles came, and no IIIF request of the page failed.
  for (let i = 0; i < 20 && !page.iiifAnswers.some((a) => /default\.jpg$/.test(a.url)); i += 1) {
    await sleep(250);
  }
  assert.ok(page.iiifAnswers.some((a) => /default\.jpg$/.test(a.url)), JSON.stringify(page.iiifAnswers));
  assert.deepEqual(page.iiifAnswers.filter((a) => a.status !== 200), []);
  assert.deepEqual(await accessibilityViolations(page, ["#viewer"]), []);
  await page.context().close();
});

test("the list page: one collection for the partner, named after it, its cards lead to the documents' pages", async () => {
  const page = await newPage("en-GB");
  await page.goto(`${base}/`);
  await page.waitForSelector("#sets-list a");
  assert.deepEqual(await page.$$eval("#sets-list li", (items) => items.map((i) => i.textContent)),
    ["Maps (1)", "BM Test (3)"]);
  await Promise.all([page.waitForURL(/\?set=partner%3Abm-test$/), page.click("#sets-list a >> text=BM Test")]);
  await page.waitForSelector("#objects .card");
  // The heading names the set once the sets are in (until then it shows the spec): the current
  // set's link is marked in the same step.
  await page.waitForSelector("#sets-list a[aria-current=page]");
  assert.equal(await page.textContent("#results-heading"), "Collection: BM Test");
  assert.deepEqual((await page.$$eval("#objects .card-title", (t) => t.map((x) => x.textContent))).sort(),
    ["Record 1", "Record 2", "Record 3"]);
  const card = page.locator("#objects .card", { hasText: "Record 2" });
  assert.equal(await card.locator("a").getAttribute("href"),
    `/object.html?ark=${encodeURIComponent(harvested["Record 2"].ark)}`);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, "web-harvested-list.png"), fullPage: true });

  await card.locator("a").click();
  await page.waitForSelector("#object-info:not([hidden])");
  assert.equal(await page.getAttribute("#original", "href"), `${partnerPages}0002`);
  await page.context().close();
});

test("no script error on any page", () => {
  assert.deepEqual(scriptErrors, []);
});
