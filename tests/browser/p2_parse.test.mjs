// The object's Presentation 2.1 manifest as Presentation 2 viewers read it: parsed by
// manifesto.js (the parser inside Mirador and the Universal Viewer), its canvases have the
// pages' sizes, and each page's image service @id is the one its info.json declares, so a
// viewer can match the two.
//
// Run by run_manifest_test.sh, which sets IIIF_BASE (the test nginx), IIIF_ARK (the object)
// and IIIF_PAGES ("WIDTH HEIGHT R G B;" per page, in page order).
import assert from "node:assert/strict";
import { before, test } from "node:test";

import manifesto from "manifesto.js";

const base = process.env.IIIF_BASE;
const ark = process.env.IIIF_ARK;
const pages = process.env.IIIF_PAGES.split(";")
  .filter((page) => page.trim() !== "")
  .map((page) => page.trim().split(/\s+/).map(Number))
  .map(([width, height]) => ({ width, height }));

// An image id as the service writes it in URLs (iiif::encode_identifier): every byte but
// RFC 3986's unreserved characters and ":" percent-encoded, so "ark:/99999/x/f1" is
// "ark:%2F99999%2Fx%2Ff1".
function encodeIdentifier(id) {
  return Array.from(new TextEncoder().encode(id), (byte) => {
    const c = String.fromCharCode(byte);
    return /[A-Za-z0-9\-._~:]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
}

const manifestUrl = `${base}/iiif/2/${ark}/manifest`;
const serviceUrl = (page) => `${base}/iiif/2/${encodeIdentifier(`${ark}/f${page}`)}`;

async function getJson(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(10000) });
  assert.equal(response.status, 200, `GET ${url}`);
  return response.json();
}

let manifest;
let canvases;

before(async () => {
  const json = await getJson(manifestUrl);
  manifest = manifesto.parseManifest(json);
  canvases = manifest.getSequences()[0].getCanvases();
});

test("the 2.1 manifest is a Presentation 2 manifest whose @id is its own URL", () => {
  assert.equal(manifest.getProperty("@context"), "http://iiif.io/api/presentation/2/context.json");
  assert.equal(manifest.id, manifestUrl);
  assert.equal(manifest.getSequences().length, 1);
});

test("it has one canvas per page, 3", () => {
  assert.equal(pages.length, 3);
  assert.equal(canvases.length, pages.length);
});

test("each canvas has its page's width and height", () => {
  const sizes = canvases.map((canvas) => ({
    width: canvas.getWidth(),
    height: canvas.getHeight(),
  }));
  assert.deepEqual(sizes, pages);
});

test("each canvas is painted by one image whose service @id is /iiif/2/{encoded page id}", () => {
  canvases.forEach((canvas, index) => {
    const images = canvas.getImages();
    assert.equal(images.length, 1, `canvas ${index + 1}: images`);
    const resource = images[0].getResource();
    assert.equal(resource.getWidth(), pages[index].width, `canvas ${index + 1}: image width`);
    assert.equal(resource.getHeight(), pages[index].height, `canvas ${index + 1}: image height`);
    const services = resource.getServices();
    assert.equal(services.length, 1, `canvas ${index + 1}: services`);
    assert.equal(services[0].id, serviceUrl(index + 1));
    assert.equal(manifesto.Utils.isImageProfile(services[0].getProfile()), true,
      `canvas ${index + 1}: profile ${services[0].getProfile()} is an image profile`);
  });
});

test("each service's info.json has that same @id, and the page's size", async () => {
  for (const [index, canvas] of canvases.entries()) {
    const id = canvas.getImages()[0].getResource().getServices()[0].id;
    const info = await getJson(`${id}/info.json`);
    assert.equal(info["@id"], id);
    assert.equal(info["@context"], "http://iiif.io/api/image/2/context.json");
    assert.deepEqual({ width: info.width, height: info.height }, pages[index]);
  }
});
