// IIIF Authorization Flow 2.0 (https://iiif.io/api/auth/2.0/) through a browser: a 2000x1500
// image under a token policy (group "readers", degraded_size 300) met by auth-client.html, a
// viewer's client, in Debian's headless Chromium. Before signing in the probe says 401 and offers
// a 300-pixel substitute; alice signs in in the access service's window (a wrong password
// first); the token service's frame posts a token; the probe says 200 and the image comes in
// full; the logout service takes it back. Each test is one step of that flow, in order.
//
// What the server answers this browser is checked past its cache, in a new context holding the
// browser's cookies (an <img> of full/max) and with fetch(cache: "no-store"): controlled answers
// are Cache-Control: private, max-age=3600, so a cached one would tell what the server said
// earlier. Whether the browser's cache then shows the right version is checked on its own.
// nginx's access log is read after each step: the image requests it made, with their statuses.
//
// Run by run_auth_test.sh, which sets IIIF_BASE (nginx: images, /auth/ and the client page on
// one origin), IIIF_ARK (the object), IIIF_PASSWORD (alice's), IIIF_ACCESS_LOG (nginx's access
// log, "METHOD URI STATUS CACHE_STATUS" lines), IIIF_ARTIFACTS (screenshots) and IIIF_CHROMIUM.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

import { launchOptions } from "./pages.mjs";

const base = process.env.IIIF_BASE;
const ark = process.env.IIIF_ARK;
const artifacts = process.env.IIIF_ARTIFACTS;
const password = process.env.IIIF_PASSWORD;
const accessLog = process.env.IIIF_ACCESS_LOG;

const authContext = "http://iiif.io/api/auth/2/context.json";
// An image id as the service writes it in URLs (iiif::encode_identifier): every byte but
// RFC 3986's unreserved characters and ":" percent-encoded.
function encodeIdentifier(id) {
  return Array.from(new TextEncoder().encode(id), (byte) => {
    const c = String.fromCharCode(byte);
    return /[A-Za-z0-9\-._~:]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
}
const imagePath = `/iiif/3/${encodeIdentifier(`${ark}/f1`)}`;
const serviceId = `${base}${imagePath}`;
const probeId = `${serviceId}/probe`;
const fullMax = `${serviceId}/full/max/0/default.jpg`;
// A tile at full resolution: finer than the 300 pixels outsiders may see.
const fullTile = `${serviceId}/0,0,512,512/512,/0/default.jpg`;
const clientUrl = `${base}/auth-client.html?service=${encodeURIComponent(serviceId)}`;
// As nginx logs them: the request's path below the image service.
const FULL = "GET /full/max/0/default.jpg";
const TILE = "GET /0,0,512,512/512,/0/default.jpg";

// What the policy's defaults make the services and the probe say (common/access.cpp).
const heading = { en: ["This image is shown at a reduced size"] };
const note = { en: ["Signed-in readers can see it in full."] };

const viewport = { width: 1000, height: 900 };

let browser;
let context; // the reader's browser
let page; // the client, in it
let info; // info.json as anyone gets it
let substitute; // the probe's substitute
let token; // the access token the token service posted
const authAnswers = []; // { method, path, status, type } of every /auth/ answer
const scriptErrors = [];

// The client's last log entry of `step`.
function last(step) {
  return page.evaluate((s) => window.client.log.findLast((entry) => entry.step === s), step);
}

function count(step) {
  return page.evaluate((s) => window.client.log.filter((entry) => entry.step === s).length, step);
}

// The session cookie as the browser keeps it, or undefined.
async function sessionCookie() {
  return (await context.cookies(base)).find((cookie) => cookie.name === "iiif_access");
}

// `url` past the browser's cache: the <img> of its image document in a new context that holds
// the browser's cookies (and nothing in its cache). Saves a screenshot as `screenshot`.
async function freshImage(url, screenshot) {
  const fresh = await browser.newContext({ viewport, storageState: await context.storageState() });
  try {
    const view = await fresh.newPage();
    const response = await view.goto(url, { timeout: 20000 });
    const image = view.locator("img");
    const size = {
      status: response.status(),
      width: await image.evaluate((img) => img.naturalWidth),
      height: await image.evaluate((img) => img.naturalHeight),
    };
    if (screenshot) await view.screenshot({ path: join(artifacts, screenshot) });
    return size;
  } finally {
    await fresh.close();
  }
}

// `url` fetched by the client past the cache: { status, width, height }.
function fetchedImage(url) {
  return page.evaluate((u) => window.client.imageSize(u), url);
}

// The image requests nginx logged since the last call ("METHOD PATH STATUS": how many), once
// its log has stopped growing (it writes each line as its request ends).
let logged = 0;
async function imageRequests() {
  let lines = [];
  for (let stable = 0, tries = 0; stable < 3 && tries < 40; tries++) {
    const now = readFileSync(accessLog, "utf8").split("\n").filter(Boolean);
    stable = now.length === lines.length ? stable + 1 : 0;
    lines = now;
    await sleep(100);
  }
  const counts = {};
  for (const line of lines.slice(logged)) {
    const [method, uri, status] = line.split(" ");
    if (!uri.startsWith(`${imagePath}/`)) continue;
    const path = uri.slice(imagePath.length);
    if (path === "/info.json" || path === "/probe") continue;
    counts[`${method} ${path} ${status}`] = (counts[`${method} ${path} ${status}`] ?? 0) + 1;
  }
  logged = lines.length;
  return counts;
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await chromium.launch(launchOptions);
  context = await browser.newContext({ viewport });
  context.on("response", (response) => {
    const url = new URL(response.url());
    if (url.origin === base && url.pathname.startsWith("/auth/")) {
      authAnswers.push({
        method: response.request().method(),
        path: url.pathname,
        status: response.status(),
        type: response.headers()["content-type"],
      });
    }
  });
  page = await context.newPage();
  page.on("pageerror", (error) => scriptErrors.push(String(error)));
});

after(async () => {
  await browser?.close();
});

test("info.json declares the probe service, its access service (active), token and logout",
  async () => {
    const response = await fetch(`${serviceId}/info.json`, { signal: AbortSignal.timeout(10000) });
    assert.equal(response.status, 200);
    info = await response.json();
    assert.equal(info.id, serviceId);
    assert.equal(info.width, 2000);
    assert.equal(info.height, 1500);
    const access = info.service?.[0]?.service?.[0];
    const logout = access?.service?.[1];
    // The labels' wording is checked below.
    assert.deepEqual(info.service, [{
      id: probeId,
      type: "AuthProbeService2",
      service: [{
        id: `${base}/auth/login`,
        type: "AuthAccessService2",
        profile: "active",
        label: access?.label,
        heading,
        note,
        confirmLabel: { en: ["Sign in"] },
        service: [
          { id: `${base}/auth/token`, type: "AuthAccessTokenService2" },
          { id: `${base}/auth/logout`, type: "AuthLogoutService2", label: logout?.label },
        ],
      }],
    }]);
    assert.equal(typeof access.label.en[0], "string");
    assert.equal(typeof logout.label.en[0], "string");
  });

test("info.json's @context lists the Auth 2.0 context before the Image API's (spec 2.1)", () => {
  assert.deepEqual(info["@context"], [authContext, "http://iiif.io/api/image/3/context.json"]);
});

test("the access and logout services' labels name the institution (spec 3.3.1, 6.1)", () => {
  const access = info.service[0].service[0];
  const labels = [access.label.en[0], access.service[1].label.en[0]];
  assert.deepEqual(labels.map((label) => label.includes("Test Library")), [true, true],
    `labels of the access and logout services: ${JSON.stringify(labels)}`);
});

test("before sign-in the probe says 401 with a substitute, a heading and a note", async () => {
  const response = await page.goto(clientUrl, { timeout: 20000 });
  assert.equal(response.status(), 200);
  await page.evaluate(() => window.client.ready);
  assert.equal(await page.locator("#status").textContent(), "Ready: probe status 401.");
  const probe = await last("probe");
  substitute = probe.body.substitute?.[0];
  // The probe's own HTTP status is 200 whatever it says (spec 5.2, status).
  assert.equal(probe.httpStatus, 200);
  assert.deepEqual(probe.body, {
    "@context": authContext,
    id: probeId,
    type: "AuthProbeResult2",
    status: 401,
    substitute: [{ id: substitute?.id, type: "Image", format: "image/jpeg" }],
    heading,
    note,
  });
  assert.ok(substitute.id.startsWith(`${serviceId}/`), substitute.id);
  assert.equal(await page.locator("#heading").textContent(), heading.en[0]);
  assert.equal(await page.locator("#note").textContent(), note.en[0]);
  assert.equal(await page.locator("#confirm").textContent(), "Sign in");
});

test("the client shows the substitute, 300 pixels wide", async () => {
  assert.deepEqual(await last("show"), {
    step: "show", url: substitute.id, naturalWidth: 300, naturalHeight: 225,
  });
  assert.equal(await page.locator("#image").evaluate((img) => img.naturalWidth), 300);
  await page.screenshot({ path: join(artifacts, "auth-before-sign-in.png") });
  assert.deepEqual(await imageRequests(), {
    [`GET ${new URL(substitute.id).pathname.slice(imagePath.length)} 200`]: 1,
  });
});

test("the substitute has a URI of its own, not full/max's, which readers get in full " +
  "(spec 1 and 7.1: each version at a distinct URI)", () => {
  assert.notEqual(substitute.id, fullMax);
});

test("before sign-in, past the cache: the <img> of full/max is 300 wide, a full tile 401",
  async () => {
    assert.equal(await sessionCookie(), undefined);
    assert.deepEqual(await freshImage(fullMax), { status: 200, width: 300, height: 225 });
    assert.deepEqual(await fetchedImage(fullMax), { status: 200, width: 300, height: 225 });
    assert.deepEqual(await fetchedImage(fullTile), { status: 401, width: 0, height: 0 });
    assert.deepEqual(await imageRequests(), { [`${FULL} 200`]: 2, [`${TILE} 401`]: 1 });
  });

let popup;

test("the confirm button opens the access service in a new window, with ?origin=: a form",
  async () => {
    const opened = page.waitForEvent("popup", { timeout: 10000 });
    await page.locator("#confirm").click();
    popup = await opened;
    await popup.waitForLoadState("load");
    assert.equal(popup.url(), `${base}/auth/login?origin=${base}`);
    assert.equal(await popup.locator("h1").textContent(), "Sign in");
    assert.equal(await popup.locator("#username").count(), 1);
    assert.equal(await popup.locator("#password").getAttribute("type"), "password");
    assert.deepEqual(authAnswers, [
      { method: "GET", path: "/auth/login", status: 200, type: "text/html; charset=utf-8" },
    ]);
    await popup.screenshot({ path: join(artifacts, "auth-login-popup.png") });
  });

test("a wrong password: 401, the form again with an error, the window stays open", async () => {
  await popup.locator("#username").fill("alice");
  await popup.locator("#password").fill(`not ${password}`);
  const answer = popup.waitForResponse(
    (r) => new URL(r.url()).pathname === "/auth/login" && r.request().method() === "POST",
    { timeout: 10000 });
  await popup.locator("#password").press("Enter");
  assert.equal((await answer).status(), 401);
  await popup.waitForLoadState("load");
  assert.equal(await popup.locator(".error").textContent(), "Wrong user name or password.");
  assert.equal(await popup.locator("#username").inputValue(), "alice");
  await sleep(300); // a window that closed itself would be gone by now
  assert.equal(popup.isClosed(), false);
  assert.equal(await sessionCookie(), undefined);
  await popup.screenshot({ path: join(artifacts, "auth-login-wrong-password.png") });
});

test("the right password: 200 and the session cookie, and the window closes itself",
  async () => {
    await popup.locator("#password").fill(password);
    const closed = popup.waitForEvent("close", { timeout: 10000 });
    await popup.locator("#password").press("Enter");
    await closed;
    assert.deepEqual(authAnswers.slice(1, 3), [
      { method: "POST", path: "/auth/login", status: 401, type: "text/html; charset=utf-8" },
      { method: "POST", path: "/auth/login", status: 200, type: "text/html; charset=utf-8" },
    ]);
    const cookie = await sessionCookie();
    assert.ok(cookie, "no iiif_access cookie after signing in");
    assert.equal(cookie.path, "/");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Lax"); // over http; over https: Secure; SameSite=None
  });

test("the token service, in a hidden frame, posts an AuthAccessToken2 with the messageId",
  async () => {
    await page.waitForFunction(
      () => window.client.log.some((entry) => entry.step === "token"), null, { timeout: 10000 });
    const received = await last("token");
    const messageIds = await page.evaluate(() => window.client.messageIds);
    assert.equal(messageIds.length, 1);
    assert.equal(received.messageId, messageIds[0]);
    assert.equal(received.origin, base);
    token = received.message.accessToken;
    assert.match(token, /^[A-Za-z0-9_-]{40,}$/);
    assert.deepEqual(received.message, {
      "@context": authContext,
      type: "AuthAccessToken2",
      accessToken: token,
      expiresIn: 3600,
      messageId: messageIds[0],
    });
    assert.equal(await page.locator("#messageFrame").isHidden(), true);
    assert.equal(await page.locator("#messageFrame").getAttribute("src"),
      `${base}/auth/token?messageId=${messageIds[0]}&origin=${base}`);
    // An HTML page, 200 (spec 4.3).
    assert.deepEqual(authAnswers.slice(3), [
      { method: "GET", path: "/auth/token", status: 200, type: "text/html; charset=utf-8" },
    ]);
  });

test("with the token the probe says 200", async () => {
  await page.waitForFunction(
    () => window.client.log.filter((entry) => entry.step === "probe").length === 2, null,
    { timeout: 10000 });
  assert.deepEqual(await last("probe"), {
    step: "probe", withToken: true, httpStatus: 200,
    body: { "@context": authContext, id: probeId, type: "AuthProbeResult2", status: 200 },
  });
});

test("signed in, the client shows full/max: its <img> is 2000 pixels wide", async () => {
  await page.waitForFunction(() => window.client.log.some(
    (entry) => entry.step === "status" && entry.status === "Signed in: full image."), null,
  { timeout: 10000 });
  assert.equal(await count("show"), 2);
  await page.screenshot({ path: join(artifacts, "auth-after-sign-in.png") });
  const shown = await last("show");
  // The browser fetches it unless it has an image of that URL already (the substitute?).
  const requests = await imageRequests();
  assert.ok(Object.keys(requests).every((key) => key === `${FULL} 200`) &&
    (requests[`${FULL} 200`] ?? 0) <= 1, JSON.stringify(requests));
  assert.deepEqual(shown, { step: "show", url: fullMax, naturalWidth: 2000, naturalHeight: 1500 },
    `the client shows full/max at ${shown.naturalWidth} pixels (nginx saw ` +
    `${requests[`${FULL} 200`] ?? 0} request of it)`);
});

test("signed in, past the cache: the <img> of full/max is 2000 wide, the full tile 200",
  async () => {
    assert.deepEqual(await freshImage(fullMax, "auth-after-sign-in-full-max.png"),
      { status: 200, width: 2000, height: 1500 });
    assert.deepEqual(await fetchedImage(fullMax), { status: 200, width: 2000, height: 1500 });
    assert.deepEqual(await fetchedImage(fullTile), { status: 200, width: 512, height: 512 });
    assert.deepEqual(await imageRequests(), { [`${FULL} 200`]: 2, [`${TILE} 200`]: 1 });
  });

test("signed in, the browser's cache gives no degraded answer: full/max and info.json in full",
  async () => {
    // A new page of the same browser, as a viewer opened after signing in would be.
    const other = await context.newPage();
    try {
      await other.goto(fullMax, { timeout: 20000 });
      const width = await other.locator("img").evaluate((img) => img.naturalWidth);
      const infos = await page.evaluate(async (url) => {
        const cached = await (await fetch(url)).json();
        const fresh = await (await fetch(url, { cache: "no-store" })).json();
        return { cached, fresh };
      }, `${serviceId}/info.json`);
      // Outsiders' info.json says maxWidth 300; readers' does not.
      assert.equal(info.maxWidth, 300);
      assert.notEqual(infos.fresh.maxWidth, 300);
      assert.deepEqual({ fullMaxWidth: width, info: infos.cached },
        { fullMaxWidth: 2000, info: infos.fresh },
        "what the browser shows of full/max in a new page, and what fetch() gives of info.json");
    } finally {
      await other.close();
      await imageRequests(); // what the cache let through depends on it
    }
  });

test("the logout service, in a new window, clears the cookie: full/max 300 wide again",
  async () => {
    const opened = page.waitForEvent("popup", { timeout: 10000 });
    await page.locator("#logout").click();
    const logout = await opened;
    await logout.waitForLoadState("load");
    assert.equal(logout.url(), `${base}/auth/logout`);
    assert.equal(await logout.locator("h1").textContent(), "You are signed out");
    assert.deepEqual(authAnswers.slice(4), [
      { method: "GET", path: "/auth/logout", status: 200, type: "text/html; charset=utf-8" },
    ]);
    await logout.close();
    assert.equal(await sessionCookie(), undefined);
    assert.equal(await page.evaluate(() => window.client.token), null);
    // The same requests that gave 2000 pixels a moment ago, from the same browser.
    assert.deepEqual(await freshImage(fullMax), { status: 200, width: 300, height: 225 });
    assert.deepEqual(await fetchedImage(fullMax), { status: 200, width: 300, height: 225 });
    assert.deepEqual(await fetchedImage(fullTile), { status: 401, width: 0, height: 0 });
    assert.deepEqual(await imageRequests(), { [`${FULL} 200`]: 2, [`${TILE} 401`]: 1 });
  });

test("signed out, the browser's cache gives no full answer: full/max 300 wide in a new page",
  async () => {
    const other = await context.newPage();
    try {
      await other.goto(fullMax, { timeout: 20000 });
      assert.equal(await other.locator("img").evaluate((img) => img.naturalWidth), 300);
    } finally {
      await other.close();
      await imageRequests();
    }
  });

test("without a session the token service posts AuthAccessTokenError2, missingAspect",
  async () => {
    const { messageId, origin, message } =
      await page.evaluate(() => window.client.requestToken());
    assert.equal(origin, base);
    assert.deepEqual(message, {
      "@context": authContext,
      type: "AuthAccessTokenError2",
      profile: "missingAspect",
      heading: { en: ["You are not signed in"], fr: ["Vous n’êtes pas connecté"] },
      note: {
        en: ["Sign in to see the images in full."],
        fr: ["Connectez-vous pour voir les images en entier."],
      },
      messageId,
    });
    assert.deepEqual(authAnswers.slice(5), [
      { method: "GET", path: "/auth/token", status: 200, type: "text/html; charset=utf-8" },
    ]);
    assert.deepEqual(await imageRequests(), {});
    assert.deepEqual(scriptErrors, []);
  });
