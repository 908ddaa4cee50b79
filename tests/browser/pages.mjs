// What the web pages' browser tests share: Debian's Chromium as they launch it, axe-core's
// WCAG checks, the phone's checks (no sideways scroll, targets a finger can hit), and reaching
// a control with the keyboard only.
import { createRequire } from "node:module";

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

export const launchOptions = {
  executablePath: process.env.IIIF_CHROMIUM,
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
};

// axe-core's WCAG 2.0/2.1 A and AA rules on the page (minus `exclude`): the violations, as
// "rule: element" lines, which must be none.
export async function accessibilityViolations(page, exclude = []) {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async (excluded) => {
    const result = await window.axe.run({ include: [["body"]], exclude: excluded.map((s) => [s]) },
      { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`));
  }, exclude);
}

export async function noSidewaysScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

// The buttons of the page's content shown less than 44 px high (a finger's target): their
// texts, which must be none.
export async function smallButtons(page) {
  return page.$$eval("#content button", (buttons) => buttons
    .filter((b) => b.offsetParent !== null && b.getBoundingClientRect().height < 44)
    .map((b) => b.textContent));
}

// Keyboard only: presses Tab until the focused element matches `selector` (at most `limit`
// presses), so that reaching a control is what a keyboard user does.
export async function tabTo(page, selector, limit = 60) {
  const focused = () => page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector);
  if (await focused()) return;
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press("Tab");
    if (await focused()) return;
  }
  throw new Error(`${selector} was not reached with ${limit} presses of Tab`);
}

// A page in a fresh context of `browser` (a language, a screen) that may use the clipboard on
// `base`; its script errors are pushed to `scriptErrors`.
export async function clipboardPage(browser, base, scriptErrors, locale, viewport, extra = {}) {
  const context = await browser.newContext({ locale, viewport, ...extra });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  const page = await context.newPage();
  page.on("pageerror", (error) => scriptErrors.push(`${page.url()}: ${error.message}`));
  return page;
}
