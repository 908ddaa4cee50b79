// The import page: documents described in a spreadsheet, one row each, deposited at once. Sign
// in as on the deposit page; the template (the server's CSV, or an .xlsx made here from
// GET /api/v1/public/import-columns); the spreadsheet (.xlsx or .csv, read here: sheet.js) and
// the images (a folder, whose subfolders a row's Folder names, and/or single files). A dry run
// always comes first: POST /api/v1/imports/check says what each row makes and what is wrong
// with it, and the page adds what only it can tell (a file the row names that was not chosen, a
// folder without images, the account's limits). Then one deposit per right row, in turn (the
// wrong ones skipped and named), each with its progress, its ARK and its document's link; one
// that fails does not stop the others. A row deposited from the page is not deposited again: a
// later check of the same row (its number, what it says, its files) shows it done, with its ARK.
import { h, setUpPage, tell, textOf } from "./common.js";
import { followJob, imageExtensions, reasonParams, refusalText, sendDeposit } from "./deposits.js";
import { formatBytes, lang, t, tCount } from "./i18n.js";
import { problemText } from "./import_texts.js";
import { licenceName } from "./licences.js";
import { readSheet, templateXlsx } from "./sheet.js";
import { api, forgetSignIn, setUpSignIn } from "./signin.js";

setUpPage("import");

const $ = (id) => document.getElementById(id);
const sheetInput = $("sheet-input");
const folderInput = $("folder-input");
const imagesInput = $("images-input");
const checkStatus = $("check-status");
const dryRun = $("dry-run");
const depositButton = $("deposit");
const run = $("run");
const runStatus = $("run-status");

let auth = null;      // the session answer (its limits)
let sheet = null;     // {name, headers, rows} or {name, error}
let reading = null;   // the spreadsheet's reading under way
let folder = null;    // {name, files: Map of paths inside it → File}
let singles = new Map();  // name → File
let checked = [];     // [{row, ok, check (the server's), files, problems (here), ark (deposited)}]
let busy = false;     // deposits under way
let checking = false; // a check under way
// The rows deposited from this page: rowKey → their ARK, for as long as the page lives.
const depositedArks = new Map();

// A checked row as the deposit would send it: its number, its metadata and pages parts, its files.
const rowKey = (row) => JSON.stringify([row.row, row.check.metadata, row.check.pages,
  row.files.map((file) => [file.name, file.size, file.lastModified])]);
const toDeposit = () => checked.filter((row) => row.ok && !row.ark);

// ---- the template ------------------------------------------------------------------------------

$("template-xlsx").addEventListener("click", async () => {
  const status = $("template-status");
  tell(status, t("template.making"));
  try {
    const response = await fetch("/api/v1/public/import-columns");
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { columns } = await response.json();
    const blob = await templateXlsx(columns, lang === "fr", {
      sheet: t("template.sheet"), helpSheet: t("template.helpSheet"), column: t("template.column"),
      otherName: t("template.otherName"), what: t("template.what"), example: t("template.example"),
    });
    const name = t("template.fileName");
    const link = h("a", { href: URL.createObjectURL(blob), download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    tell(status, t("template.made", { name }));
  } catch (error) {
    tell(status, t("template.failed", { reason: error.message }), true);
  }
});

// ---- what was chosen -------------------------------------------------------------------------

const cleanPath = (path) => path.replace(/\\/g, "/").replace(/^(\.\/|\/)+/, "").replace(/\/+$/, "");
const parentOf = (path) => (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "");
const baseName = (path) => path.slice(path.lastIndexOf("/") + 1);
const isImage = (path) => !baseName(path).startsWith(".") && imageExtensions.test(path);

function showChosen() {
  const items = [];
  if (sheet) {
    items.push(sheet.error ? t("sheet.unreadable", { name: sheet.name, reason: sheet.error })
      : tCount("sheet.read", sheet.rows.length, { name: sheet.name }));
  }
  if (folder) items.push(tCount("sheet.folderChosen", folder.images, { name: folder.name }));
  if (singles.size) items.push(tCount("sheet.imagesChosen", singles.size));
  $("chosen").replaceChildren(...items.map((text) => h("li", {}, text)));
  $("chosen").hidden = items.length === 0;
}

// Whatever changes, the dry run is to be made again.
function changed(what) {
  checked = [];
  dryRun.hidden = true;
  showChosen();
  if (what) tell(checkStatus, what);
}

sheetInput.addEventListener("change", () => {
  const file = sheetInput.files[0];
  sheet = null;
  if (!file) {
    changed("");
    return;
  }
  reading = readSheet(file).then(
    ({ headers, rows }) => {
      sheet = { name: file.name, headers, rows };
    },
    (error) => {
      sheet = { name: file.name, error: error.message || String(error) };
    }).then(() => {
    reading = null;
    changed(sheet.error ? t("sheet.unreadable", { name: sheet.name, reason: sheet.error })
      : tCount("sheet.read", sheet.rows.length, { name: sheet.name }));
  });
});

folderInput.addEventListener("change", () => {
  const files = Array.from(folderInput.files);
  folder = null;
  if (files.length) {
    // "scans/rohan/f001.jpg": the folder chosen is "scans", the path inside it "rohan/f001.jpg".
    const paths = files.map((file) => cleanPath(file.webkitRelativePath || file.name));
    const top = paths[0].includes("/") ? paths[0].slice(0, paths[0].indexOf("/")) : "";
    folder = { name: top, files: new Map(), images: 0 };
    files.forEach((file, index) => {
      const inside = top ? paths[index].slice(top.length + 1) : paths[index];
      folder.files.set(inside, file);
      if (isImage(inside)) folder.images += 1;
    });
  }
  changed(folder ? tCount("sheet.folderChosen", folder.images, { name: folder.name }) : "");
});

imagesInput.addEventListener("change", () => {
  singles = new Map(Array.from(imagesInput.files, (file) => [file.name, file]));
  changed(singles.size ? tCount("sheet.imagesChosen", singles.size) : "");
});

// ---- a row's images --------------------------------------------------------------------------

// The files a checked row names, among those chosen, in page order, and what is wrong with
// them: a missing file, a folder without images, the account's limits.
function rowImages(check) {
  const problems = [];
  const inFolder = folder?.files ?? new Map();
  const dir = cleanPath(check.folder || "");
  // The folder chosen may be the row's folder itself.
  const own = folder && dir === folder.name;
  let files = [];
  if (check.files.length) {
    for (const name of check.files) {
      const path = cleanPath(name);
      const file = inFolder.get(dir ? `${dir}/${path}` : path) ?? (own ? inFolder.get(path) : undefined)
        ?? singles.get(baseName(path));
      if (file) files.push(file);
      else problems.push({ column: "files", message: t("problem.missingFile", { name }) });
    }
  } else if (dir) {
    files = Array.from(inFolder.keys())
      .filter((path) => isImage(path) && (parentOf(path) === dir || (own && parentOf(path) === "")))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((path) => inFolder.get(path));
    if (files.length === 0) problems.push({ column: "folder", message: t("problem.noImages", { name: dir }) });
  }
  const limits = auth?.limits || {};
  const column = check.files.length ? "files" : "folder";
  if (limits.max_files_per_object && files.length > limits.max_files_per_object) {
    problems.push({ column, message: t("problem.tooMany", { n: files.length, limit: limits.max_files_per_object }) });
  }
  for (const file of files) {
    if (limits.max_file_bytes && file.size > limits.max_file_bytes) {
      problems.push({ column, message: t("problem.tooLarge", { name: file.name,
        size: formatBytes(file.size), limit: formatBytes(limits.max_file_bytes) }) });
    }
  }
  return { files, problems };
}

// ---- the dry run -------------------------------------------------------------------------------

const titleOf = (row) => textOf(row.check.metadata?.title) || t("check.untitled");

function labelsText(pages) {
  if (!pages) return t("labels.default");
  if (Array.isArray(pages.labels)) return tCount("labels.given", pages.labels.length);
  const start = pages.start ?? 1;
  return t(`labels.${pages.rule}`, { start, next: start + 1 });
}

function makes(row) {
  if (!row.ok) return [t("check.nothing")];
  const metadata = row.check.metadata || {};
  const lines = [tCount("check.pages", row.files.length), labelsText(row.check.pages),
    metadata.license ? t("check.licence", { name: licenceName(metadata.license) }) : t("check.noLicence")];
  if (metadata.shelfmark) lines.push(t("check.shelfmark", { shelfmark: metadata.shelfmark }));
  return lines;
}

function problemItem(kind, problem) {
  return h("li", { class: kind },
    h("span", { class: "problem-kind" }, t(`check.${kind}`)), " ",
    h("span", { class: "problem-text" }, `${problem.column}: ${problemText(problem)}`));
}

// A row's state: right, wrong, or deposited already (its ARK, a link to its document).
function stateCell(row) {
  const cell = h("td", { "data-label": t("check.state"), class: "state" });
  if (row.ark) {
    cell.append(t("check.done"), " ", h("a", { href: `/object.html?ark=${encodeURIComponent(row.ark)}`,
      class: "done-ark" }, row.ark));
  } else {
    cell.append(t(row.ok ? "check.right" : "check.wrong"));
  }
  return cell;
}

// The dry run's table, what is skipped and what is done already, and the deposit button (for
// the right rows not deposited yet; refused while a check or deposits are under way).
function showRows() {
  const wrong = checked.filter((row) => !row.ok);
  const done = checked.filter((row) => row.ark);
  const right = checked.length - wrong.length;
  const pending = toDeposit();
  const label = (key) => ({ "data-label": t(key) });
  $("rows-table").tBodies[0].replaceChildren(...checked.map((row) => {
    const errors = [...row.check.errors, ...row.problems];
    const problems = [...errors.map((p) => problemItem("error", p)),
      ...row.check.warnings.map((p) => problemItem("warning", p))];
    return h("tr", { "data-row": row.row, class: row.ark ? "right done" : row.ok ? "right" : "wrong" },
      h("th", { scope: "row", ...label("check.row") }, String(row.row)),
      h("td", label("check.title"), titleOf(row)),
      stateCell(row),
      h("td", { ...label("check.creates"), class: "makes" }, h("div", {}, makes(row).map((line) => h("span", {}, line)))),
      h("td", { ...label("check.problems"), class: "problems" },
        problems.length ? h("ul", {}, problems) : t("check.none")));
  }));
  const skipped = $("skipped");
  skipped.hidden = wrong.length === 0;
  skipped.textContent = right === 0 ? t("run.noneRight")
    : tCount("run.skipped", wrong.length, { rows: wrong.map((row) => row.row).join(", ") });
  skipped.classList.toggle("error", right === 0);
  $("already").hidden = done.length === 0;
  $("already").textContent = tCount("check.already", done.length, { rows: done.map((row) => row.row).join(", ") });
  depositButton.hidden = pending.length === 0;
  depositButton.disabled = busy || checking;
  depositButton.textContent = tCount("run.button", pending.length);
}

function showDryRun(answer) {
  const wrong = checked.filter((row) => !row.ok);
  $("dry-run-summary").textContent = tCount("check.summary", checked.length, { wrong: wrong.length });
  const unknown = answer.unknown_headers || [];
  $("unknown-headers").hidden = unknown.length === 0;
  $("unknown-headers").textContent = t("check.unknownHeaders", { names: unknown.join(", ") });
  showRows();
  dryRun.hidden = false;
  run.hidden = true;
  tell(checkStatus, tCount("check.summary", checked.length, { wrong: wrong.length }));
  dryRun.focus();
}

$("sheet-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (busy) return;
  if (!auth) {
    tell(checkStatus, t("submit.signInFirst"), true);
    $("account-signin").focus();
    return;
  }
  const button = $("check");
  button.disabled = true;
  checking = true;
  depositButton.disabled = true;  // the rows are being checked again
  tell(checkStatus, t("sheet.checking"));
  try {
    if (reading) await reading;
    if (!sheet) {
      tell(checkStatus, t("sheet.noSheet"), true);
      sheetInput.focus();
      return;
    }
    if (sheet.error) {
      tell(checkStatus, t("sheet.unreadable", { name: sheet.name, reason: sheet.error }), true);
      sheetInput.focus();
      return;
    }
    if (sheet.rows.length === 0) {
      tell(checkStatus, t("sheet.noRows"), true);
      return;
    }
    const answer = await api("/api/v1/imports/check", { method: "POST",
      body: { headers: sheet.headers, rows: sheet.rows } });
    checked = answer.rows.map((check) => {
      const { files, problems } = check.folder || check.files.length ? rowImages(check)
        : { files: [], problems: [] };
      const row = { row: check.row, check, files, problems, ok: check.ok && problems.length === 0 };
      row.ark = row.ok ? depositedArks.get(rowKey(row)) : undefined;
      return row;
    });
    checking = false;
    showDryRun(answer);
  } catch (error) {
    if (error.status === 401) forgetSignIn();
    tell(checkStatus, t("sheet.checkFailed", { reason: error.message }), true);
  } finally {
    checking = false;
    button.disabled = busy;
    depositButton.disabled = busy;
  }
});

// ---- the deposits ------------------------------------------------------------------------------

function setBusy(value) {
  busy = value;
  for (const control of [sheetInput, folderInput, imagesInput, $("check"), depositButton]) {
    control.disabled = value;
  }
}

function runItem(row) {
  const nameId = `run-${row.row}-name`;
  const statusId = `run-${row.row}-status`;
  row.bar = h("progress", { max: "100", value: "0", "aria-labelledby": `${nameId} ${statusId}` });
  row.status = h("span", { id: statusId, class: "run-state" }, t("run.waiting"));
  row.details = h("div", { class: "run-details" });
  row.item = h("li", { class: "run-row", "data-row": row.row, "data-state": "waiting" },
    h("span", { id: nameId, class: "run-name" }, t("run.rowLabel", { row: row.row, title: titleOf(row) })),
    row.bar, row.status, row.details);
  return row.item;
}

function setRunState(row, state, text, progress) {
  row.item.dataset.state = state;
  row.status.textContent = text;
  if (progress !== undefined) row.bar.value = progress;
  row.bar.hidden = state === "failed" || (state === "done" && progress === undefined);
}

// The row's end: its ARK, its document's page, and each refused file's reason.
function showRowEnd(row, job) {
  const refused = (job.files || []).flatMap((file, index) => (file.state === "done" ? [] : [
    h("li", {}, t("run.refusedFile", { name: row.files[index]?.name ?? "",
      reason: t(`reason.${file.reason || "internal"}`, reasonParams(file.reason, row.files[index], auth?.limits)) })),
  ]));
  const done = (job.files || []).filter((file) => file.state === "done").length;
  if (job.state === "done") {
    setRunState(row, "done", tCount("run.done", done), 100);
    row.details.append(h("p", { class: "run-links" },
      h("span", {}, t("run.ark")), " ",
      h("a", { href: `/${job.ark}`, class: "run-ark" }, job.ark), " ",
      h("a", { href: `/object.html?ark=${encodeURIComponent(job.ark)}`, class: "run-object" },
        t("run.object", { row: row.row }))));
  } else {
    setRunState(row, "failed", t("run.failed", { reason: t("submit.failed") }));
  }
  if (refused.length) row.details.append(h("ul", { class: "run-refused" }, refused));
}

async function depositRow(row) {
  const body = new FormData();
  body.append("metadata", JSON.stringify(row.check.metadata));
  if (row.check.pages) body.append("pages", JSON.stringify(row.check.pages));
  for (const file of row.files) body.append("file", file, file.name);
  setRunState(row, "uploading", t("state.uploading", { p: 0 }), 0);
  const { status, answer } = await sendDeposit(body, (part) => {
    setRunState(row, "uploading", t("state.uploading", { p: Math.round(part * 100) }), Math.round(part * 50));
  });
  if (status !== 202 || !answer?.status_url) {
    setRunState(row, "failed", t("run.failed", { reason: refusalText(status, answer) }));
    return false;
  }
  setRunState(row, "queued", t("state.queued"), 50);
  const job = await followJob(answer.status_url, (state) => {
    if (state.state === "done" || state.state === "failed") return;
    const files = state.files || [];
    const progress = files.length
      ? files.reduce((sum, file) => sum + (file.state === "done" ? 100 : Number(file.progress) || 0), 0) / files.length
      : 0;
    const converting = files.some((file) => file.state !== "queued");
    setRunState(row, converting ? "converting" : "queued",
      converting ? t("state.converting", { p: Math.round(progress) }) : t("state.queued"),
      50 + Math.round(progress / 2));
  });
  showRowEnd(row, job);
  if (job.state !== "done") return false;
  row.ark = job.ark;
  depositedArks.set(rowKey(row), job.ark);
  return true;
}

depositButton.addEventListener("click", async () => {
  // Refused while deposits are under way or the rows are being checked again.
  if (busy || checking) return;
  const right = toDeposit();
  const skipped = checked.filter((row) => !row.ok).map((row) => row.row);
  const earlier = checked.filter((row) => row.ark).map((row) => row.row);
  if (right.length === 0) return;
  setBusy(true);
  $("again").hidden = true;
  $("run-list").replaceChildren(...right.map(runItem));
  run.hidden = false;
  run.focus();
  let deposited = 0;
  for (const [index, row] of right.entries()) {
    tell(runStatus, t("run.busy", { row: row.row, i: index + 1, n: right.length }));
    try {
      if (await depositRow(row)) deposited += 1;
    } catch (error) {
      setRunState(row, "failed", t("run.failed", { reason: error.message }));
    }
  }
  const failed = right.length - deposited;
  const summary = [tCount("run.deposited", deposited)];
  if (failed) summary.push(tCount("run.failedCount", failed));
  if (skipped.length) summary.push(tCount("run.skippedCount", skipped.length, { rows: skipped.join(", ") }));
  if (earlier.length) summary.push(tCount("run.alreadyCount", earlier.length, { rows: earlier.join(", ") }));
  tell(runStatus, summary.join(" "), failed > 0);
  setBusy(false);
  // The dry run says which rows are done now; the button offers the failed ones again.
  showRows();
  $("again").hidden = false;
});

$("again").addEventListener("click", () => {
  $("sheet-form").reset();
  sheet = null;
  folder = null;
  singles = new Map();
  changed("");
  run.hidden = true;
  tell(runStatus, "");
  sheetInput.focus();
});

// ---- start ---------------------------------------------------------------------------------------

setUpSignIn({ onChange: (session) => {
  auth = session;
}, focusAfter: "sheet-input" }).then(showChosen);
