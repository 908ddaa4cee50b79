// The import page as librarians use it, in Debian's headless Chromium against the real nginx,
// iiifd and redis (run_import_test.sh). The templates: the server's CSV (its first headers) and
// the .xlsx the page makes (headers, notes, the help sheet). An .xlsx of three documents, the
// second wrong (licence "CC-XYZ", date "sometime"), with the folder of their images: the dry
// run's table, row by row; then the two right rows deposited, each with its ARK, and through the
// API exactly two objects with their titles, shelfmarks and page labels. A .csv in French, with
// single images and the keyboard only: its dry run (a missing file), a deposit that fails and
// the next one made all the same. A .csv with blank lines, in French: its rows numbered as
// `iiifd import` numbers them (IIIF_IIIFD, IIIF_IIIFD_CONFIG), its problems said in French, its
// right rows deposited once however often the button is pressed or the sheet checked again. A
// phone's screen; axe-core's WCAG 2.1 A and AA rules on each view. Screenshots:
// IIIF_ARTIFACTS/web-import-*.png.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";

import { chromium } from "playwright-core";

import {
  accessibilityViolations, clipboardPage, launchOptions, noSidewaysScroll, tabTo,
} from "./pages.mjs";

const base = process.env.IIIF_BASE;
const adminKey = process.env.IIIF_KEY;
const artifacts = process.env.IIIF_ARTIFACTS;
const files = process.env.IIIF_FILES;
const ExcelJS = createRequire(join(process.env.IIIF_WEB_MODULES, "exceljs", "package.json"))("exceljs");

let browser;
let api;  // requests of the administrator's key, outside the page
const scriptErrors = [];
const xlsxPath = join(files, "documents.xlsx");
const csvPath = join(files, "documents.csv");
const blankLinesPath = join(files, "blank-lines.csv");

// The three documents: row 3 is wrong twice over; row 2's date a number, row 4's a date.
async function writeXlsx() {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet("Documents");
  sheet.addRow(["Title", "Creator", "Date", "Licence", "Shelfmark", "Folder", "Files", "Page labels"]);
  sheet.addRow(["Rohan Hours", "Maître de Rohan", 1430, "CC BY 4.0", "Ms. 9471", "rohan", null, "folio"]);
  sheet.addRow(["Bad row", null, "sometime", "CC-XYZ", "Ms. 1", "rohan", null, null]);
  sheet.addRow(["Atlas of plates", null, new Date(Date.UTC(1925, 2, 2)), "CC0", "Atlas 12", "atlas",
    "plate-2.png | plate-1.png", "Frontispiece | Plate I"]);
  await workbook.xlsx.writeFile(xlsxPath);
}

// French headers, ";" between cells, quotes: the single images; row 2's is no image (its
// deposit fails), row 4's is missing.
async function writeCsv() {
  await writeFile(csvPath, "\uFEFFTitre;Date;Licence;Cote;Fichiers;Foliotation\r\n"
    + "Faux feuillet;1804;CC0;Res. 5;broken.jpg;\r\n"
    + "\"Reliure; plats\";1802;CC0;Res. 3;cover.jpg | back.jpg;Plat | Dos\r\n"
    + "Feuillets perdus;1803;CC0;Res. 4;lost.jpg;\r\n");
}

// Lines 1 to 7: the header, a row, a blank line, a row, a blank line, a line of spaces, a row
// wrong twice over. The files are named from the sheet's folder, where `iiifd import` finds them.
async function writeBlankLinesCsv() {
  await writeFile(blankLinesPath, "Titre;Date;Licence;Fichiers\r\n"
    + "Plat supérieur;1801;CC0;single/cover.jpg\r\n"
    + "\r\n"
    + "Plat inférieur;1801;CC0;single/back.jpg\r\n"
    + "\r\n"
    + "   \r\n"
    + "Reliure perdue;sometime;CC-XYZ;single/cover.jpg\r\n");
}

before(async () => {
  await writeXlsx();
  await writeCsv();
  await writeBlankLinesCsv();
  browser = await chromium.launch(launchOptions);
  api = await browser.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${adminKey}` } });
});

after(async () => {
  await api?.close();
  await browser?.close();
});

function newPage(locale, viewport = { width: 1280, height: 900 }) {
  return clipboardPage(browser, base, scriptErrors, locale, viewport, { acceptDownloads: true });
}

async function signInWithKey(page) {
  await page.fill("#api-key", adminKey);
  await page.click("#key-form button[type=submit]");
  await page.waitForSelector("#signed-in:not([hidden])");
}

// The dry run's table: per row its number, title, state, what it makes, errors and warnings.
function tableRows(page) {
  return page.$$eval("#rows-table tbody tr", (rows) => rows.map((row) => ({
    row: row.cells[0].textContent,
    title: row.cells[1].textContent,
    state: row.cells[2].textContent,
    makes: Array.from(row.cells[3].querySelectorAll("span"), (s) => s.textContent).join(" / ")
      || row.cells[3].textContent,
    errors: Array.from(row.querySelectorAll("li.error .problem-text"), (li) => li.textContent),
    warnings: Array.from(row.querySelectorAll("li.warning .problem-text"), (li) => li.textContent),
  })));
}

async function chooseXlsxAndFolder(page) {
  await page.setInputFiles("#sheet-input", xlsxPath);
  await page.setInputFiles("#folder-input", join(files, "scans"));
  await page.waitForFunction(() => document.querySelectorAll("#chosen li").length === 2);
}

const xlsxTable = [
  { row: "2", title: "Rohan Hours", state: "Right",
    makes: "3 pages / Page labels: f. 1r, f. 1v… / Licence: CC BY 4.0 / Shelfmark: Ms. 9471",
    errors: [], warnings: [] },
  { row: "3", title: "Bad row", state: "Wrong: skipped", makes: "Nothing",
    errors: ['date: not a date: "sometime"', 'licence: unknown licence: "CC-XYZ"'], warnings: [] },
  { row: "4", title: "Atlas of plates", state: "Right",
    makes: "2 pages / Page labels: 2 given / Licence: CC0 1.0 / Shelfmark: Atlas 12",
    errors: [], warnings: [] },
];

test("the templates: the server's CSV and the .xlsx made in the page; the deposit page's link", async () => {
  const page = await newPage("en-GB");
  await page.goto(`${base}/deposit.html`);
  await page.click("text=Import a spreadsheet of documents");
  await page.waitForURL(`${base}/import.html`);
  assert.equal(await page.textContent("h1"), "Import a spreadsheet of documents");
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.deepEqual(await accessibilityViolations(page), []);

  const [csv] = await Promise.all([page.waitForEvent("download"), page.click("#template-csv")]);
  assert.equal(csv.suggestedFilename(), "documents-template.csv");
  const text = await readFile(await csv.path(), "utf8");
  assert.ok(text.startsWith("\uFEFF"));
  const headers = text.slice(1, text.indexOf("\r\n")).split(",").map((cell) => cell.replace(/^"|"$/g, ""));
  assert.equal(headers.length, 23);
  assert.deepEqual(headers.slice(0, 6), ["Title", "Creator", "Contributor", "Publisher", "Date", "Description"]);
  assert.deepEqual(headers.slice(-3), ["Folder", "Files", "Page labels"]);

  const [xlsx] = await Promise.all([page.waitForEvent("download"), page.click("#template-xlsx")]);
  assert.equal(xlsx.suggestedFilename(), "documents-template.xlsx");
  assert.equal(await page.textContent("#template-status"),
    "The template documents-template.xlsx was made: see your downloads.");
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(await xlsx.path());
  assert.deepEqual(workbook.worksheets.map((sheet) => sheet.name), ["Documents", "Help"]);
  const sheet = workbook.worksheets[0];
  assert.deepEqual(sheet.getRow(1).values.slice(1, 5), ["Title", "Creator", "Contributor", "Publisher"]);
  assert.equal(sheet.getRow(1).values.length - 1, 23);
  assert.equal(sheet.getCell("E2").value, "vers 1430");
  const note = sheet.getCell("A1").note;
  assert.match(typeof note === "string" ? note : note.texts.map((t) => t.text).join(""), /the title/);
  assert.deepEqual(workbook.worksheets[1].getRow(2).values.slice(1, 3), ["Title", "Titre"]);
  await page.context().close();
});

test("an .xlsx of three documents: the dry run, then the two right rows deposited", async () => {
  const before = await (await api.request.get(`${base}/api/v1/objects`)).json();
  const page = await newPage("en-GB");
  await page.goto(`${base}/import.html`);
  await signInWithKey(page);
  await chooseXlsxAndFolder(page);
  assert.deepEqual(await page.$$eval("#chosen li", (items) => items.map((i) => i.textContent)),
    ["documents.xlsx: 3 rows.", "Folder scans: 5 images."]);
  await page.click("#check");
  await page.waitForSelector("#dry-run:not([hidden])");
  assert.equal(await page.textContent("#dry-run-summary"), "3 rows, 1 wrong.");
  assert.equal(await page.textContent("#check-status"), "3 rows, 1 wrong.");
  assert.deepEqual(await tableRows(page), xlsxTable);
  assert.equal(await page.textContent("#skipped"),
    "The wrong row (3) will be skipped: correct it in the spreadsheet, then import it on its own.");
  assert.equal(await page.textContent("#deposit"), "Deposit the 2 right rows");
  assert.equal(await page.evaluate(() => document.activeElement.id), "dry-run");
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: `${artifacts}/web-import-dry-run.png`, fullPage: true });

  await page.click("#deposit");
  await page.waitForSelector("#again:not([hidden])", { timeout: 90000 });
  assert.equal(await page.textContent("#run-status"), "2 documents deposited. 1 wrong row skipped (3).");
  const runRows = await page.$$eval("#run-list li.run-row", (items) => items.map((item) => ({
    name: item.querySelector(".run-name").textContent, state: item.dataset.state,
    status: item.querySelector(".run-state").textContent,
    ark: item.querySelector(".run-ark")?.textContent,
    object: item.querySelector(".run-object")?.getAttribute("href") })));
  assert.deepEqual(runRows.map(({ name, state, status }) => [name, state, status]), [
    ["Row 2: Rohan Hours", "done", "Deposited: 3 pages."],
    ["Row 4: Atlas of plates", "done", "Deposited: 2 pages."],
  ]);
  for (const row of runRows) {
    assert.match(row.ark, /^ark:\/\d+\/fk4[\w-]+$/);
    assert.equal(row.object, `/object.html?ark=${encodeURIComponent(row.ark)}`);
  }
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: `${artifacts}/web-import-deposited.png`, fullPage: true });

  // Through the API: two objects more, those two, and nothing of row 3.
  const after = await (await api.request.get(`${base}/api/v1/objects`)).json();
  const listed = (answer) => answer.objects ?? answer.items ?? answer;
  assert.equal(listed(after).length, listed(before).length + 2, JSON.stringify(after).slice(0, 400));
  const expected = [
    { ark: runRows[0].ark, title: "Rohan Hours", shelfmark: "Ms. 9471", date: "1430",
      labels: ["f. 1r", "f. 1v", "f. 2r"], files: ["f001.jpg", "f002.jpg", "f003.jpg"] },
    { ark: runRows[1].ark, title: "Atlas of plates", shelfmark: "Atlas 12", date: "1925-03-02",
      labels: ["Frontispiece", "Plate I"], files: ["plate-2.png", "plate-1.png"] },
  ];
  for (const want of expected) {
    const object = await (await api.request.get(`${base}/api/v1/objects/${want.ark}`)).json();
    const metadata = object.metadata ?? object;
    assert.deepEqual(metadata.title.map((v) => v.value), [want.title], JSON.stringify(object).slice(0, 600));
    assert.equal(metadata.shelfmark, want.shelfmark);
    assert.deepEqual(metadata.date.map((v) => v.value), [want.date]);
    const pages = await (await api.request.get(`${base}/api/v1/objects/${want.ark}/pages`)).json();
    assert.deepEqual(pages.pages.map((p) => p.label), want.labels, JSON.stringify(pages).slice(0, 600));
    assert.deepEqual(pages.pages.map((p) => p.file), want.files);
  }
  const titles = JSON.stringify(after);
  assert.equal(titles.includes("Bad row"), false);
  await page.context().close();
});

test("a .csv in French with single images, with the keyboard only: the dry run, a failed deposit and the next", async () => {
  const page = await newPage("fr-FR");
  await page.goto(`${base}/import.html`);
  assert.equal(await page.getAttribute("html", "lang"), "fr");
  assert.equal(await page.textContent("h1"), "Importer un tableur de documents");
  assert.equal(await page.textContent("#template-csv"), "Télécharger le modèle (CSV)");
  await tabTo(page, "#api-key");
  await page.keyboard.type(adminKey);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#signed-in:not([hidden])");
  assert.equal(await page.evaluate(() => document.activeElement.id), "sheet-input");
  // The files are given as a file chooser would (no keyboard reaches the system's dialog).
  await page.setInputFiles("#sheet-input", csvPath);
  await page.setInputFiles("#images-input", ["cover.jpg", "back.jpg", "broken.jpg"].map((name) => join(files, "single", name)));
  await page.waitForFunction(() => document.querySelectorAll("#chosen li").length === 2);
  assert.deepEqual(await page.$$eval("#chosen li", (items) => items.map((i) => i.textContent)),
    ["documents.csv : 3 lignes.", "3 images isolées."]);
  await tabTo(page, "#check");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#dry-run:not([hidden])");
  assert.equal(await page.evaluate(() => document.activeElement.id), "dry-run");
  assert.equal(await page.textContent("#dry-run-summary"), "3 lignes, 1 incorrecte(s).");
  assert.deepEqual(await tableRows(page), [
    { row: "2", title: "Faux feuillet", state: "Correcte",
      makes: "1 page / Foliotation : aucune / Licence : CC0 1.0 / Cote : Res. 5", errors: [], warnings: [] },
    { row: "3", title: "Reliure; plats", state: "Correcte",
      makes: "2 pages / Foliotation : 2 étiquettes données / Licence : CC0 1.0 / Cote : Res. 3",
      errors: [], warnings: [] },
    { row: "4", title: "Feuillets perdus", state: "Incorrecte : ignorée", makes: "Rien",
      errors: ["files: fichier absent : lost.jpg"], warnings: [] },
  ]);
  assert.equal(await page.textContent("#deposit"), "Déposer les 2 lignes correctes");
  assert.deepEqual(await accessibilityViolations(page), []);

  // The deposit with the keyboard: row 2's fails, row 3's is deposited all the same.
  const objects = async () => {
    const answer = await (await api.request.get(`${base}/api/v1/objects`)).json();
    return (answer.objects ?? answer.items ?? answer).length;
  };
  const before = await objects();
  await tabTo(page, "#deposit");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#again:not([hidden])", { timeout: 90000 });
  assert.equal(await page.evaluate(() => document.activeElement.id), "run");
  assert.equal(await page.textContent("#run-status"),
    "1 document déposé. 1 en échec. 1 ligne incorrecte ignorée (4).");
  const runRows = await page.$$eval("#run-list li.run-row", (items) => items.map((item) => [
    item.querySelector(".run-name").textContent, item.dataset.state,
    item.querySelector(".run-state").textContent,
    Array.from(item.querySelectorAll(".run-refused li"), (li) => li.textContent)]));
  assert.deepEqual(runRows, [
    ["Ligne 2 : Faux feuillet", "failed", "Échec : Aucun fichier n’a pu être déposé.",
      ["broken.jpg : ce fichier n’est pas une image dans un format accepté (JPEG, PNG, TIFF, JPEG 2000, WebP, GIF)."]],
    ["Ligne 3 : Reliure; plats", "done", "Déposé : 2 pages.", []],
  ]);
  assert.equal(await objects(), before + 1);
  await page.screenshot({ path: `${artifacts}/web-import-fr-csv.png`, fullPage: true });
  await page.context().close();
});

const objectCount = async () => {
  const answer = await (await api.request.get(`${base}/api/v1/objects`)).json();
  return (answer.objects ?? answer.items ?? answer).length;
};

test("a .csv with blank lines, in French: rows numbered as iiifd import numbers them, deposited once only", async () => {
  // `iiifd import`'s dry run of the same sheet: its rows and what is wrong with them.
  const cli = await promisify(execFile)(process.env.IIIF_IIIFD,
    ["import", blankLinesPath, "--dry-run", "-c", process.env.IIIF_IIIFD_CONFIG]).catch((error) => error);
  assert.equal(cli.code, 1, cli.stderr);
  assert.equal(cli.stdout,
    "row 2: ok: Plat supérieur, 1 file(s)\n"
    + "row 4: ok: Plat inférieur, 1 file(s)\n"
    + "row 7: error: date: not a date: \"sometime\"\n"
    + "row 7: error: licence: unknown licence: \"CC-XYZ\"\n"
    + "3 row(s), 1 wrong\n"
    + "nothing deposited: correct the rows above first\n");

  const page = await newPage("fr-FR");
  await page.goto(`${base}/import.html`);
  await signInWithKey(page);
  await page.setInputFiles("#sheet-input", blankLinesPath);
  await page.setInputFiles("#images-input", ["cover.jpg", "back.jpg"].map((name) => join(files, "single", name)));
  await page.waitForFunction(() => document.querySelectorAll("#chosen li").length === 2);
  assert.deepEqual(await page.$$eval("#chosen li", (items) => items.map((i) => i.textContent)),
    ["blank-lines.csv : 3 lignes.", "2 images isolées."]);
  await page.click("#check");
  await page.waitForSelector("#dry-run:not([hidden])");
  assert.deepEqual(await tableRows(page), [
    { row: "2", title: "Plat supérieur", state: "Correcte",
      makes: "1 page / Foliotation : aucune / Licence : CC0 1.0", errors: [], warnings: [] },
    { row: "4", title: "Plat inférieur", state: "Correcte",
      makes: "1 page / Foliotation : aucune / Licence : CC0 1.0", errors: [], warnings: [] },
    { row: "7", title: "Reliure perdue", state: "Incorrecte : ignorée", makes: "Rien",
      errors: ["date: pas une date : « sometime »", "licence: licence inconnue : « CC-XYZ »"], warnings: [] },
  ]);
  assert.equal(await page.textContent("#deposit"), "Déposer les 2 lignes correctes");

  // The button pressed, then pressed again while the deposits are under way (forced: it is
  // disabled): two documents, once each.
  const before = await objectCount();
  await page.click("#deposit");
  assert.equal(await page.$eval("#deposit", (button) => button.disabled), true);
  await page.$eval("#deposit", (button) => {
    button.disabled = false;
    button.click();
  });
  await page.waitForSelector("#again:not([hidden])", { timeout: 90000 });
  assert.equal(await page.textContent("#run-status"), "2 documents déposés. 1 ligne incorrecte ignorée (7).");
  const arks = await page.$$eval("#run-list .run-ark", (links) => links.map((link) => link.textContent));
  assert.equal(arks.length, 2);
  assert.equal(await objectCount(), before + 2);
  // The dry run says so: rows 2 and 4 done, with their ARKs; nothing left to deposit.
  const done = () => page.$$eval("#rows-table tbody tr", (rows) => rows.map((row) => [
    row.cells[0].textContent, row.cells[2].textContent, row.querySelector(".done-ark")?.getAttribute("href") ?? null]));
  const doneRows = [
    ["2", `Déjà déposée : ${arks[0]}`, `/object.html?ark=${encodeURIComponent(arks[0])}`],
    ["4", `Déjà déposée : ${arks[1]}`, `/object.html?ark=${encodeURIComponent(arks[1])}`],
    ["7", "Incorrecte : ignorée", null],
  ];
  assert.deepEqual(await done(), doneRows);
  assert.equal(await page.isVisible("#deposit"), false);

  // Checked again: the same, and a click forced on the hidden button sends nothing.
  await Promise.all([page.waitForResponse((r) => r.url().endsWith("/api/v1/imports/check")), page.click("#check")]);
  await page.waitForSelector("#run", { state: "hidden" });
  assert.equal(await page.textContent("#check-status"), "3 lignes, 1 incorrecte(s).");
  assert.deepEqual(await done(), doneRows);
  assert.equal(await page.textContent("#already"),
    "2 lignes ont déjà été déposées (2, 4) : elles ne seront pas déposées de nouveau.");
  assert.equal(await page.isVisible("#deposit"), false);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: `${artifacts}/web-import-done.png`, fullPage: true });
  await page.$eval("#deposit", (button) => {
    button.hidden = false;
    button.click();
  });
  assert.equal(await page.isVisible("#run"), false);
  assert.equal(await objectCount(), before + 2);
  await page.context().close();
});

test("a phone's screen: one column, 44 px targets, nothing sideways", async () => {
  const page = await newPage("en-GB", { width: 375, height: 740 });
  await page.goto(`${base}/import.html`);
  await signInWithKey(page);
  await chooseXlsxAndFolder(page);
  await page.click("#check");
  await page.waitForSelector("#dry-run:not([hidden])");
  assert.deepEqual(await tableRows(page), xlsxTable);
  assert.equal(await noSidewaysScroll(page), true);
  const small = await page.$$eval("button:not([hidden]), a.button-link, input[type=file], .run-links a",
    (items) => items.filter((item) => item.offsetParent && item.getBoundingClientRect().height < 44)
      .map((item) => item.id || item.textContent));
  assert.deepEqual(small, []);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: `${artifacts}/web-import-phone.png`, fullPage: true });
  await page.context().close();
});

test("no script error on any page", () => {
  assert.deepEqual(scriptErrors, []);
});
