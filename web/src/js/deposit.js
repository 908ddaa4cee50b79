// The deposit page: sign in (an account through the IIIF auth service's window, or an API
// key), files dropped or chosen and put in page order, an optional description, then one
// POST /api/v1/objects whose upload progress and whose job (GET /api/v1/jobs/{id}: each
// file's state, conversion progress and refusal reason) drive a progress bar per file. At the
// end: the ARK, the IIIF image and manifest addresses with copy buttons, and the document's page.
// A refused file never costs the others: it is refused here before sending when it is over the
// server's limits, and by the server (not an image, damaged) without stopping the rest.
import { copyField, encodeIdentifier, h, setUpPage } from "./common.js";
import { formatBytes, t, tCount } from "./i18n.js";
import { licenceChoices, licenceName } from "./licences.js";
import { followJob, reasonParams, refusalText, sendDeposit } from "./deposits.js";
import { setUpSignIn } from "./signin.js";

setUpPage("deposit");

const $ = (id) => document.getElementById(id);
const fileInput = $("file-input");
const fileList = $("file-list");
const filesStatus = $("files-status");
const submitButton = $("submit");
const submitStatus = $("submit-status");
const result = $("result");
const form = $("deposit-form");

// ---- signing in -------------------------------------------------------------------------------

let auth = null;  // the session answer: {via, user, groups, limits, sets, institution, policies}

function showSignedIn(session) {
  auth = session;
  if (!auth) return;
  const limits = auth.limits || {};
  $("files-hint").textContent = t("files.hint", {
    size: formatBytes(limits.max_file_bytes), count: limits.max_files_per_object });
  $("meta-provider-hint").textContent = auth.institution
    ? t("meta.providerHint", { institution: auth.institution }) : "";
  const setSelect = $("meta-set");
  setSelect.replaceChildren(setSelect.options[0]);
  for (const set of auth.sets || []) {
    setSelect.append(h("option", { value: set.spec }, set.name || set.spec));
  }
  checkLimits();
  renderFiles();
}

// ---- the files ----------------------------------------------------------------------------------

// Each entry: {key, file, state, progress, reason, reasonParams, page, row parts}. States:
// ready, uploading, queued, converting, done, refused, failed.
let entries = [];
let nextKey = 1;
let busy = false;  // a deposit is under way: the list is fixed
let finished = false;

const previewable = /^image\/(jpeg|png|gif|webp)$/;

function makeRow(entry) {
  const name = entry.file.name;
  const nameId = `file-${entry.key}-name`;
  const statusId = `file-${entry.key}-status`;
  entry.statusText = h("span", { id: statusId, class: "file-status" });
  entry.bar = h("progress", { max: "100", value: "0", "aria-labelledby": `${nameId} ${statusId}` });
  entry.up = h("button", { type: "button", class: "icon", "aria-label": t("files.up", { name }),
    title: t("files.up", { name }), onclick: () => move(entry, -1) }, "↑");
  entry.down = h("button", { type: "button", class: "icon", "aria-label": t("files.down", { name }),
    title: t("files.down", { name }), onclick: () => move(entry, 1) }, "↓");
  entry.remove = h("button", { type: "button", class: "icon", "aria-label": t("files.remove", { name }),
    title: t("files.remove", { name }), onclick: () => removeEntry(entry) }, "×");
  const placeholder = () => h("span", { class: "preview none", "aria-hidden": "true" }, "?");
  let preview = placeholder();
  if (previewable.test(entry.file.type)) {
    preview = h("img", { class: "preview", alt: "", src: (entry.previewUrl = URL.createObjectURL(entry.file)) });
    // What the browser cannot show (a damaged file) gets the placeholder, not a broken picture.
    preview.addEventListener("error", () => preview.replaceWith(placeholder()), { once: true });
  }
  entry.row = h("li", { class: "file", "data-key": entry.key },
    preview,
    h("div", { class: "file-main" },
      h("span", { class: "file-name", id: nameId }, name),
      h("span", { class: "file-size" }, formatBytes(entry.file.size)),
      entry.bar, entry.statusText),
    h("div", { class: "file-actions" }, entry.up, entry.down, entry.remove));
}

function statusOf(entry) {
  switch (entry.state) {
    case "uploading": return t("state.uploading", { p: Math.round(entry.upload * 100) });
    case "queued": return t("state.queued");
    case "converting": return t("state.converting", { p: entry.conversion });
    case "done": return t("state.done", { page: entry.page });
    case "refused": return t("state.refused", { reason: t(`reason.${entry.reason}`, entry.reasonParams) });
    case "failed": return t("state.failed", { reason: t(`reason.${entry.reason || "internal"}`, entry.reasonParams) });
    default: return t("state.ready");
  }
}

// The bar: the upload is its first half, the conversion its second.
function progressOf(entry) {
  switch (entry.state) {
    case "uploading": return Math.round(entry.upload * 50);
    case "queued": return 50;
    case "converting": return 50 + Math.round(entry.conversion / 2);
    case "done": return 100;
    default: return 0;
  }
}

function updateRow(entry) {
  entry.row.dataset.state = entry.state;
  entry.bar.value = progressOf(entry);
  entry.bar.hidden = entry.state === "ready" || entry.state === "refused" || entry.state === "failed";
  entry.statusText.textContent = statusOf(entry);
}

function renderFiles() {
  $("files-empty").hidden = entries.length > 0;
  const focused = document.activeElement;
  fileList.replaceChildren(...entries.map((entry) => entry.row));
  entries.forEach((entry, index) => {
    const fixed = busy || finished;
    entry.up.disabled = fixed || index === 0;
    entry.down.disabled = fixed || index === entries.length - 1;
    entry.remove.disabled = fixed;
    entry.up.parentElement.hidden = finished;  // the list is what was deposited now
    updateRow(entry);
  });
  // Moving a row takes the focus away in some browsers: give it back.
  if (focused && focused !== document.activeElement && document.contains(focused)) {
    (focused.disabled ? focused.parentElement.querySelector("button:not(:disabled)") : focused)?.focus();
  }
}

// What can be told before sending: too large, or more files than a document may have.
function checkLimits() {
  const limits = auth?.limits;
  if (!limits) return;
  let accepted = 0;
  for (const entry of entries) {
    if (entry.state === "refused" && entry.local) {
      entry.state = "ready";  // checked again: the limits may have changed with the sign-in
      entry.local = false;
    }
    if (entry.state !== "ready") continue;
    if (entry.file.size > limits.max_file_bytes) {
      Object.assign(entry, { state: "refused", local: true, reason: "too_large",
        reasonParams: { size: formatBytes(entry.file.size), limit: formatBytes(limits.max_file_bytes) } });
    } else if (++accepted > limits.max_files_per_object) {
      Object.assign(entry, { state: "refused", local: true, reason: "too_many_pages",
        reasonParams: { limit: limits.max_files_per_object } });
    }
  }
}

function addFiles(files) {
  if (busy) return;
  if (finished) reset();
  const added = Array.from(files);
  for (const file of added) {
    const entry = { key: nextKey++, file, state: "ready", upload: 0, conversion: 0 };
    makeRow(entry);
    entries.push(entry);
  }
  checkLimits();
  renderFiles();
  if (added.length) filesStatus.textContent = tCount("files.added", added.length);
}

function move(entry, step) {
  const from = entries.indexOf(entry);
  const to = from + step;
  if (busy || to < 0 || to >= entries.length) return;
  entries.splice(from, 1);
  entries.splice(to, 0, entry);
  renderFiles();
  (step < 0 ? entry.up : entry.down).disabled
    ? (step < 0 ? entry.down : entry.up).focus()
    : (step < 0 ? entry.up : entry.down).focus();
  filesStatus.textContent = t("files.moved", { name: entry.file.name, n: to + 1 });
}

function removeEntry(entry) {
  if (busy) return;
  const index = entries.indexOf(entry);
  entries.splice(index, 1);
  if (entry.previewUrl) URL.revokeObjectURL(entry.previewUrl);
  checkLimits();
  renderFiles();
  filesStatus.textContent = t("files.removed", { name: entry.file.name });
  const neighbour = entries[Math.min(index, entries.length - 1)];
  (neighbour ? neighbour.remove : $("choose")).focus();
}

$("choose").addEventListener("click", () => fileInput.click());
fileInput.addEventListener("change", () => {
  addFiles(fileInput.files);
  fileInput.value = "";
});

const dropzone = $("dropzone");
dropzone.addEventListener("dragover", (event) => {
  event.preventDefault();
  event.dataTransfer.dropEffect = "copy";
  dropzone.classList.add("over");
});
dropzone.addEventListener("dragleave", () => dropzone.classList.remove("over"));
dropzone.addEventListener("drop", (event) => {
  event.preventDefault();
  dropzone.classList.remove("over");
  addFiles(event.dataTransfer.files);
});
// A file dropped beside the zone must not replace the page (and the list) with that file.
for (const type of ["dragover", "drop"]) {
  window.addEventListener(type, (event) => {
    if (!dropzone.contains(event.target)) event.preventDefault();
  });
}

// ---- the description ------------------------------------------------------------------------

const licenceSelect = $("meta-license");
for (const uri of licenceChoices) licenceSelect.append(h("option", { value: uri }, licenceName(uri)));

// The API's metadata: only what was filled in.
function metadata() {
  const value = (id) => $(id).value.trim();
  const fields = {};
  for (const [key, id] of [["title", "meta-title"], ["creator", "meta-creator"], ["date", "meta-date"],
    ["description", "meta-description"], ["provider", "meta-provider"], ["license", "meta-license"]]) {
    if (value(id)) fields[key] = value(id);
  }
  if (value("meta-set")) fields.sets = [value("meta-set")];
  return fields;
}

// ---- sending and following the job -----------------------------------------------------------

function setBusy(value) {
  busy = value;
  submitButton.disabled = value;
  submitButton.textContent = t(value ? "submit.sending" : "submit.button");
  renderFiles();
}

function upload(sent) {
  const body = new FormData();
  body.append("metadata", JSON.stringify(metadata()));
  for (const entry of sent) body.append("file", entry.file, entry.file.name);
  // Where each file lies in the body, near enough (the multipart framing is small).
  const total = sent.reduce((sum, entry) => sum + entry.file.size, 0) || 1;
  let start = 0;
  for (const entry of sent) {
    entry.range = [start, start + entry.file.size];
    start += entry.file.size;
    entry.state = "uploading";
    entry.upload = 0;
    updateRow(entry);
  }
  return sendDeposit(body, (part) => {
    const position = part * total;
    for (const entry of sent) {
      const [from, to] = entry.range;
      entry.upload = Math.max(0, Math.min(1, (position - from) / Math.max(1, to - from)));
      updateRow(entry);
    }
  });
}

// Follows the job until it ends, mapping its files (in the order sent) onto the entries.
function follow(statusUrl, sent) {
  return followJob(statusUrl, (job) => {
    (job.files || []).forEach((file, index) => {
      const entry = sent[index];
      if (!entry) return;
      entry.state = file.state;
      entry.conversion = Number.isFinite(file.progress) ? file.progress : 0;
      entry.page = file.page;
      entry.reason = file.reason || (file.state === "failed" ? "internal" : "");
      entry.reasonParams = reasonParams(entry.reason, entry.file, auth?.limits);
      updateRow(entry);
    });
  });
}

function showResult(job, sent) {
  const origin = location.origin;
  const ark = job.ark;
  const live = $("copy-status");
  const done = sent.filter((entry) => entry.state === "done");
  const firstPage = done.reduce((lowest, entry) => Math.min(lowest, entry.page), Infinity);
  $("result-summary").textContent = t("result.summary", { done: done.length, total: entries.length });
  const links = [
    ["result-ark", t("result.ark"), `${origin}/${ark}`],
    ["result-image", t("result.image"), `${origin}/iiif/3/${encodeIdentifier(`${ark}/f${firstPage}`)}/info.json`],
    ["result-manifest", t("result.manifest"), `${origin}/iiif/3/${ark}/manifest`],
  ];
  $("result-links").replaceChildren(...links.map(([id, label, url]) =>
    h("div", { class: "link-row" }, h("dt", {}, label), h("dd", {}, copyField(id, url, label, live)))));
  $("result-object").href = `/object.html?ark=${encodeURIComponent(ark)}`;
  result.hidden = false;
  result.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (busy) return;
  submitStatus.classList.remove("error");
  if (!auth) {
    submitStatus.textContent = t("submit.signInFirst");
    $("account-signin").focus();
    return;
  }
  checkLimits();
  renderFiles();
  const sent = entries.filter((entry) => entry.state === "ready");
  if (sent.length === 0) {
    submitStatus.textContent = t(entries.length ? "submit.nothingLeft" : "submit.noFiles");
    $("choose").focus();
    return;
  }
  result.hidden = true;
  submitStatus.textContent = t("submit.sending");
  setBusy(true);
  const { status, answer } = await upload(sent);
  if (status !== 202 || !answer?.status_url) {
    // Nothing was deposited: every file goes back to ready, for another try.
    for (const entry of sent) {
      entry.state = "ready";
      updateRow(entry);
    }
    setBusy(false);
    submitStatus.classList.add("error");
    submitStatus.textContent = refusalText(status, answer);
    return;
  }
  for (const entry of sent) {
    entry.state = "queued";
    updateRow(entry);
  }
  let job;
  try {
    job = await follow(answer.status_url, sent);
  } catch (error) {
    setBusy(false);
    submitStatus.classList.add("error");
    submitStatus.textContent = t("signin.error", { reason: error.message });
    return;
  }
  finished = true;
  setBusy(false);
  if (job.state === "done") {
    submitStatus.textContent = "";
    showResult(job, sent);
  } else {
    submitStatus.classList.add("error");
    submitStatus.textContent = t("submit.failed");
  }
});

function reset() {
  for (const entry of entries) if (entry.previewUrl) URL.revokeObjectURL(entry.previewUrl);
  entries = [];
  finished = false;
  result.hidden = true;
  submitStatus.textContent = "";
  form.reset();
  renderFiles();
}

$("again").addEventListener("click", () => {
  reset();
  $("choose").focus();
});

// ---- start: a session already open, or a key given earlier in this tab -------------------------

setUpSignIn({ onChange: showSignedIn, focusAfter: "choose" }).then(renderFiles);
