// The edit page's pages: a grid of thumbnails, each page with its label, moved by dragging
// (HTML5 drag and drop) or with its ← → buttons, taken out (once confirmed), its image replaced
// (PUT .../pages/fN, a job); new pages added at the end or after a page (POST .../pages, a job).
// The order, the labels, the pages taken out and the table of contents (edit_contents.js) are
// saved together with one PUT .../pages carrying the version they were read at: a 409 means
// someone else changed the document meanwhile, and the pages are read again.
import { encodeIdentifier, h, tell } from "./common.js";
import { contentsStructures, dropContentsPage, pageTitle, setContentsPages, showContents } from "./edit_contents.js";
import { t, tCount } from "./i18n.js";
import { api } from "./signin.js";
import { followJob, sendForm } from "./uploads.js";

const $ = (id) => document.getElementById(id);
const grid = $("page-grid");

let pagesPath = "";
let failed = () => {};
let version = 0;
let pages = [];  // [{page, id, label, width, height, file, stamp, card parts}], in the edited order
let removed = new Set();  // pages taken out here, not saved yet
let readOnly = false;
let busy = 0;  // uploads under way
let dragged = null;
let replaced = null;  // the page whose image the file picker replaces

const replaceInput = h("input", { type: "file", hidden: true, accept: $("add-input").accept });
$("pages-section").append(replaceInput);

const thumbnail = (page) => `/iiif/3/${encodeIdentifier(page.id)}/full/!200,200/0/default.jpg${
  page.stamp ? `?v=${page.stamp}` : ""}`;

function say(text) {
  $("pages-live").textContent = text;
}

function makeCard(page) {
  const id = (part) => `page-${page.page}-${part}`;
  const button = (part, text, onclick, extra = "") => h("button", { type: "button", id: id(part),
    class: `secondary small ${extra}`, onclick }, text);
  page.image = h("img", { src: thumbnail(page), alt: "", draggable: "false", loading: "lazy" });
  page.handle = h("div", { class: "thumb", draggable: "true" }, page.image);
  page.number = h("span", { class: "page-number" });
  page.size = h("span", { class: "page-size" });
  page.input = h("input", { id: id("label"), type: "text", maxlength: "200", value: page.label,
    oninput: (event) => {
      page.label = event.target.value;
      nameControls(page);
    },
    onchange: () => setContentsPages(pages) });
  page.left = button("left", "←", () => move(page, -1), "icon");
  page.right = button("right", "→", () => move(page, 1), "icon");
  page.replace = button("replace", t("edit.replace"), () => {
    replaced = page;
    replaceInput.click();
  });
  page.remove = button("remove", t("edit.removePage"), () => removePage(page));
  page.bar = h("progress", { max: "100", value: "0", hidden: true,
    "aria-labelledby": `${id("name")} ${id("status")}` });
  page.status = h("p", { id: id("status"), class: "status", role: "status" });
  page.card = h("li", { class: "page-card", "data-page": page.page },
    page.handle,
    h("p", { class: "page-head" }, page.number, " ", h("span", { id: id("name"), class: "page-name" }, page.page),
      " ", page.size),
    h("div", { class: "field" }, h("label", { for: id("label") }, t("edit.pageLabel")), page.input),
    h("div", { class: "page-actions" }, page.left, page.right, page.replace, page.remove),
    page.bar, page.status);

  page.handle.addEventListener("dragstart", (event) => {
    if (readOnly) return event.preventDefault();
    dragged = page;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", page.page);
    page.card.classList.add("dragging");
  });
  page.handle.addEventListener("dragend", () => {
    page.card.classList.remove("dragging");
    dragged = null;
  });
  page.card.addEventListener("dragover", (event) => {
    if (!dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    page.card.classList.add("over");
  });
  page.card.addEventListener("dragleave", () => page.card.classList.remove("over"));
  page.card.addEventListener("drop", (event) => {
    event.preventDefault();
    page.card.classList.remove("over");
    if (dragged && dragged !== page) moveTo(dragged, pages.indexOf(page));
  });
  nameControls(page);
  return page;
}

// The names the page's controls say, which follow its label.
function nameControls(page) {
  const title = pageTitle(page);
  for (const [control, key] of [[page.left, "edit.moveLeft"], [page.right, "edit.moveRight"],
    [page.replace, "edit.replaceOf"], [page.remove, "edit.removeOf"]]) {
    control.setAttribute("aria-label", t(key, { page: title }));
    control.title = t(key, { page: title });
  }
  page.image.alt = t("edit.thumbnail", { page: title });
}

function render() {
  const focused = document.activeElement;
  grid.replaceChildren(...pages.map((page) => page.card));
  pages.forEach((page, index) => {
    page.number.textContent = t("edit.pageNumber", { n: index + 1 });
    page.size.textContent = t("edit.pageSize", { width: page.width, height: page.height });
    page.left.disabled = index === 0;
    page.right.disabled = index === pages.length - 1;
    page.remove.disabled = pages.length === 1;
    page.handle.draggable = !readOnly;
  });
  const after = $("add-after");
  const chosen = after.value;
  after.replaceChildren(h("option", { value: "" }, t("edit.addAtEnd")),
    ...pages.map((page) => h("option", { value: page.page }, t("edit.addAfter", { page: pageTitle(page) }))));
  after.value = pages.some((page) => page.page === chosen) ? chosen : "";
  setContentsPages(pages);
  // Moving a card takes the focus away: give it back, to a button that is still enabled.
  if (focused && focused !== document.activeElement && document.contains(focused)) {
    (focused.disabled ? focused.parentElement.querySelector("button:not(:disabled)") : focused)?.focus();
  }
}

function moveTo(page, to) {
  const from = pages.indexOf(page);
  if (to < 0 || to >= pages.length || to === from) return;
  pages.splice(from, 1);
  pages.splice(to, 0, page);
  render();
  say(t("edit.moved", { page: pageTitle(page), n: to + 1 }));
}

function move(page, step) {
  moveTo(page, pages.indexOf(page) + step);
  const button = step < 0 ? page.left : page.right;
  (button.disabled ? (step < 0 ? page.right : page.left) : button).focus();
}

function removePage(page) {
  if (!window.confirm(t("edit.removeConfirm", { page: pageTitle(page) }))) return;
  const index = pages.indexOf(page);
  pages.splice(index, 1);
  removed.add(page.page);
  dropContentsPage(page.page);
  render();
  say(t("edit.removed", { page: pageTitle(page) }));
  pages[Math.min(index, pages.length - 1)].remove.focus();
}

// What the API says of the pages (GET or PUT .../pages): the edited state starts again from it.
function show(answer) {
  version = answer.version;
  removed = new Set();
  pages = answer.pages.map((page) => makeCard({ ...page, label: page.label || "" }));
  showContents(answer.structures);
  render();
}

// After a job: the server's pages, with the order and labels edited here kept, the images (and
// sizes) the server has now, and the pages it has newly, after the page they follow there.
function merge(answer) {
  version = answer.version;
  const fresh = new Map(answer.pages.map((page) => [page.page, page]));
  const kept = pages.filter((page) => fresh.has(page.page));
  for (const page of kept) {
    const { id, width, height, file } = fresh.get(page.page);
    Object.assign(page, { id, width, height, file });
  }
  answer.pages.forEach((page, index) => {
    if (removed.has(page.page) || kept.some((known) => known.page === page.page)) return;
    let at = 0;
    for (let before = index - 1; before >= 0; before -= 1) {
      const found = kept.findIndex((known) => known.page === answer.pages[before].page);
      if (found >= 0) {
        at = found + 1;
        break;
      }
    }
    kept.splice(at, 0, makeCard({ ...page, label: page.label || "" }));
  });
  pages = kept;
  render();
}

// Sends `body` to the API (PUT or POST), shows the progress in `bar` (the upload its first half,
// the conversion its second) and follows the job: resolves with it, or throws the API's reason.
async function upload(method, url, body, bar) {
  bar.hidden = false;
  bar.value = 0;
  busy += 1;
  try {
    const { status, answer } = await sendForm(method, url, body, (fraction) => { bar.value = fraction * 50; });
    if (status !== 202 || !answer?.status_url) {
      const error = new Error(answer?.error || (status ? `HTTP ${status}` : t("submit.network")));
      error.status = status;
      throw error;
    }
    return await followJob(answer.status_url, (job) => {
      const files = job.files || [];
      const done = files.reduce((sum, file) => sum + (Number.isFinite(file.progress) ? file.progress : 0), 0);
      bar.value = 50 + done / Math.max(1, files.length) / 2;
    });
  } finally {
    busy -= 1;
    bar.hidden = true;
  }
}

const fileReason = (file) => t(`reason.${file.reason || "internal"}`, {});

replaceInput.addEventListener("change", async () => {
  const file = replaceInput.files[0];
  const page = replaced;
  replaceInput.value = "";
  if (!file || !page) return;
  const body = new FormData();
  body.append("file", file, file.name);
  tell(page.status, t("edit.replacing"));
  try {
    const job = await upload("PUT", `${pagesPath}/${page.page}`, body, page.bar);
    const result = job.files?.[0];
    if (job.state !== "done" || result?.state !== "done") {
      tell(page.status, t("edit.replaceFailed", { reason: result ? fileReason(result) : job.state }), true);
      return;
    }
    page.stamp = Date.now();
    merge(await api(pagesPath));
    page.image.src = thumbnail(page);
    tell(page.status, t("edit.replaced"));
  } catch (error) {
    failed(page.status, "edit.replaceFailed", error);
  }
});

$("add-pages").addEventListener("click", () => $("add-input").click());
$("add-input").addEventListener("change", async () => {
  const files = Array.from($("add-input").files);
  $("add-input").value = "";
  if (!files.length) return;
  const status = $("add-status");
  const after = $("add-after").value;
  const body = new FormData();
  for (const file of files) body.append("file", file, file.name);
  tell(status, t("edit.adding"));
  try {
    const job = await upload("POST", after ? `${pagesPath}?after=${after}` : pagesPath, body, $("add-progress"));
    merge(await api(pagesPath));
    const refused = (job.files || []).map((file, index) => [files[index]?.name, file])
      .filter(([, file]) => file.state !== "done");
    const added = (job.files || []).length - refused.length;
    tell(status, [tCount("edit.added", added),
      ...refused.map(([file, result]) => t("edit.addRefused", { file, reason: fileReason(result) }))].join(" "),
    refused.length > 0);
  } catch (error) {
    failed(status, "edit.addFailed", error);
  }
});

$("save-pages").addEventListener("click", async () => {
  const status = $("pages-status");
  if (busy) {
    tell(status, t("edit.waitUploads"), true);
    return;
  }
  const body = { version, pages: pages.map((page) => ({ page: page.page, label: page.label.trim() })),
    structures: contentsStructures() };
  tell(status, t("edit.saving"));
  try {
    show(await api(pagesPath, { method: "PUT", body }));
    tell(status, t("edit.pagesSaved"));
  } catch (error) {
    if (error.status !== 409) {
      failed(status, "edit.notSaved", error);
      return;
    }
    await loadPages();
    tell(status, t("edit.conflict", { reason: error.message }), true);
  }
});

// Reads the pages; false (the reason said) when they could not be read.
export async function loadPages() {
  try {
    show(await api(pagesPath));
    return true;
  } catch (error) {
    failed($("load-status"), "edit.loadFailed", error);
    return false;
  }
}

export function setUpPages(options) {
  pagesPath = `/api/v1/objects/${options.ark}/pages`;
  failed = options.failed;
}

// The document's version after another change (the description's PATCH makes one too).
export function setPagesVersion(value) {
  version = value;
}

export function setPagesReadOnly(value) {
  readOnly = value;
  for (const page of pages) page.handle.draggable = !readOnly;
}
