// The editing page of a document, edit.html?ark={ARK}: its description (the 15 Dublin Core
// elements, each with any number of values in a language, the licence, the holding institution,
// the shelfmark, the collections, the access policy, the viewing direction, "paged"), saved
// with one PATCH /api/v1/objects/{ark} of what changed; its pages and table of contents
// (edit_pages.js, edit_contents.js). An editor of another institution sees the document
// read-only; the API refuses their changes anyway. A reader may not read it (the API's 403): the
// page says so in its own words, in its language, and shows no form.
import { h, setUpPage, tell } from "./common.js";
import { loadPages, setPagesReadOnly, setPagesVersion, setUpPages } from "./edit_pages.js";
import "./edit_texts.js";
import { t } from "./i18n.js";
import { licenceChoices, licenceName } from "./licences.js";
import { api, forgetSignIn, setUpSignIn } from "./signin.js";

setUpPage("edit");

const $ = (id) => document.getElementById(id);
const arkPattern = /^ark:\/?[0-9a-z]+\/[^?#\s]+$/i;
const elements = ["title", "creator", "subject", "description", "publisher", "contributor", "date", "type",
  "format", "identifier", "source", "language", "relation", "coverage", "rights"];
const directions = ["left-to-right", "right-to-left", "top-to-bottom", "bottom-to-top"];
// Behaviours of which a manifest has one at most: "paged" replaces the others.
const layouts = ["unordered", "individuals", "continuous", "paged"];
const languageTag = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;

const requested = new URLSearchParams(location.search).get("ark");
const ark = requested && arkPattern.test(requested) ? requested.replace(/^ark:(?!\/)/, "ark:/") : null;
const objectPath = `/api/v1/objects/${ark}`;

let me = null;  // the session answer
let saved = null;  // the description as last read or saved, in the form's shape
let draft = null;  // the Dublin Core values being edited: {element: [{value, lang}]}

// A refused sign-in takes the page back to its sign-in forms; another error is said in `status`.
function failed(status, key, error) {
  if (error.status === 401) {
    forgetSignIn();
    tell($("signin-status"), t("signin.again"), true);
    return;
  }
  tell(status, t(key, { reason: error.message }), true);
}

// ---- the description ------------------------------------------------------------------------

// The API's metadata in the form's shape: every key, "" or [] when not stated.
function described(metadata) {
  const shape = {};
  for (const element of elements) {
    shape[element] = (metadata[element] || []).map(({ value, lang }) => (lang ? { value, lang } : { value }));
  }
  for (const key of ["license", "provider", "shelfmark", "access", "viewingDirection"]) {
    shape[key] = metadata[key] || "";
  }
  shape.sets = metadata.sets || [];
  shape.behavior = metadata.behavior || [];
  return shape;
}

// The form's description, in the same shape.
function formDescription() {
  const shape = {};
  for (const element of elements) {
    shape[element] = draft[element].filter((item) => item.value.trim()).map((item) => (item.lang.trim()
      ? { value: item.value.trim(), lang: item.lang.trim() } : { value: item.value.trim() }));
  }
  shape.license = $("edit-license").value;
  shape.provider = $("edit-provider").value.trim();
  shape.shelfmark = $("edit-shelfmark").value.trim();
  shape.access = $("edit-access").value;
  shape.viewingDirection = $("edit-direction").value;
  shape.sets = Array.from($("edit-sets").querySelectorAll("input:checked"), (box) => box.value);
  const paged = $("edit-paged").checked;
  const others = saved.behavior.filter((name) => name !== "paged" && !(paged && layouts.includes(name)));
  shape.behavior = paged ? [...others, "paged"] : others;
  return shape;
}

// What changed, as the PATCH's body: a key emptied is null (removed).
function changes() {
  const now = formDescription();
  const patch = {};
  for (const [key, value] of Object.entries(now)) {
    if (JSON.stringify(value) === JSON.stringify(saved[key])) continue;
    patch[key] = value.length === 0 ? null : value;
  }
  return patch;
}

const valueId = (element, index) => `dc-${element}-${index}`;

function valueRow(element, index) {
  const item = draft[element][index];
  const name = t(`dc.${element}`);
  const n = index + 1;
  const field = h(element === "description" ? "textarea" : "input", {
    id: valueId(element, index), class: "dc-value", "aria-label": t("edit.valueLabel", { name, n }),
    maxlength: "10000", rows: element === "description" ? "3" : undefined,
    type: element === "description" ? undefined : "text",
    oninput: (event) => { item.value = event.target.value; } });
  field.value = item.value;
  const lang = h("input", { id: `${valueId(element, index)}-lang`, class: "dc-lang", type: "text",
    list: "language-tags", maxlength: "35", spellcheck: "false", autocomplete: "off", value: item.lang,
    "aria-label": t("edit.langLabel", { name, n }), "aria-describedby": "lang-hint",
    oninput: (event) => {
      item.lang = event.target.value;
      event.target.removeAttribute("aria-invalid");
    } });
  const remove = h("button", { type: "button", class: "icon", "aria-label": t("edit.removeValue", { name, n }),
    title: t("edit.removeValue", { name, n }), onclick: () => removeValue(element, index) }, "×");
  return h("li", { class: "dc-row" }, field, lang, remove);
}

function renderElement(element) {
  $(`dc-${element}-values`).replaceChildren(...draft[element].map((_, index) => valueRow(element, index)));
}

function addValue(element) {
  draft[element].push({ value: "", lang: "" });
  renderElement(element);
  $(valueId(element, draft[element].length - 1)).focus();
}

function removeValue(element, index) {
  draft[element].splice(index, 1);
  renderElement(element);
  const next = Math.min(index, draft[element].length - 1);
  (next >= 0 ? $(`${valueId(element, next)}`) : $(`dc-${element}-add`)).focus();
}

function fillSelect(select, choices, chosen) {
  // A value the record has but the list does not offer stays, under its own name.
  if (chosen && !choices.some(([value]) => value === chosen)) choices.push([chosen, chosen]);
  select.replaceChildren(...choices.map(([value, text]) => h("option", { value }, text)));
  select.value = chosen;
}

function showDescription(metadata) {
  saved = described(metadata);
  draft = {};
  for (const element of elements) {
    draft[element] = saved[element].map(({ value, lang }) => ({ value, lang: lang || "" }));
  }
  $("dc-fields").replaceChildren(
    h("p", { id: "lang-hint", class: "hint" }, t("edit.langHint")),
    ...elements.map((element) => h("fieldset", { class: "dc-field" },
      h("legend", {}, t(`dc.${element}`)),
      h("ol", { id: `dc-${element}-values`, class: "dc-values" }),
      h("button", { type: "button", id: `dc-${element}-add`, class: "secondary small",
        onclick: () => addValue(element) }, t("edit.addValue", { name: t(`dc.${element}`) })))));
  elements.forEach(renderElement);
  fillSelect($("edit-license"), [["", t("meta.noLicense")], ...licenceChoices.map((uri) => [uri, licenceName(uri)])],
    saved.license);
  fillSelect($("edit-access"), [["", t("edit.accessDefault")], ...(me.policies || []).map((name) => [name, name])],
    saved.access);
  fillSelect($("edit-direction"), [["", t("edit.directionNone")], ...directions.map((d) => [d, t(`direction.${d}`)])],
    saved.viewingDirection);
  $("edit-provider").value = saved.provider;
  $("edit-shelfmark").value = saved.shelfmark;
  $("edit-paged").checked = saved.behavior.includes("paged");
  const sets = (me.sets || []).map((set) => [set.spec, set.name || set.spec]);
  for (const spec of saved.sets) if (!sets.some(([known]) => known === spec)) sets.push([spec, spec]);
  const legend = $("edit-sets").querySelector("legend");
  $("edit-sets").replaceChildren(legend, ...(sets.length ? sets.map(([spec, name]) => h("div", { class: "check" },
    h("input", { type: "checkbox", id: `set-${spec}`, value: spec, checked: saved.sets.includes(spec) }),
    h("label", { for: `set-${spec}` }, name))) : [h("p", { class: "muted" }, t("edit.noSets"))]));
}

// The first language tag of the wrong shape: its field, or null.
function badLanguage() {
  for (const element of elements) {
    for (const [index, item] of draft[element].entries()) {
      if (item.value.trim() && item.lang.trim() && !languageTag.test(item.lang.trim())) {
        return { field: $(`${valueId(element, index)}-lang`), name: t(`dc.${element}`), n: index + 1, tag: item.lang };
      }
    }
  }
  return null;
}

$("description-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("description-status");
  const bad = badLanguage();
  if (bad) {
    bad.field.setAttribute("aria-invalid", "true");
    tell(status, t("edit.badLanguage", bad), true);
    bad.field.focus();
    return;
  }
  const patch = changes();
  if (Object.keys(patch).length === 0) {
    tell(status, t("edit.nothingChanged"));
    return;
  }
  tell(status, t("edit.saving"));
  try {
    const record = await api(objectPath, { method: "PATCH", body: patch });
    showDescription(record.metadata);
    setPagesVersion(record.version);
    tell(status, t("edit.descriptionSaved"));
  } catch (error) {
    failed(status, "edit.notSaved", error);
  }
});

// ---- the document, as the signed-in account sees it -------------------------------------------

setUpPages({ ark, failed });

// Administrators change every document; editors their institution's (a document without an
// institution is the home institution's, which the API knows: it says so if it refuses).
function mayChange(record) {
  if (me.role === "administrator") return true;
  return me.role === "editor" && (!record.institution || record.institution === me.account_institution?.id);
}

function setReadOnly(readOnly, reason) {
  for (const id of ["description-fields", "pages-fields", "contents-fields"]) $(id).disabled = readOnly;
  $("save-description").disabled = readOnly;
  $("save-pages").disabled = readOnly;
  $("readonly-note").hidden = !readOnly;
  $("readonly-note").textContent = reason || "";
  setPagesReadOnly(readOnly);
}

async function showSignedIn(session) {
  me = session;
  $("editor").hidden = true;
  if (!me) return;
  const status = $("load-status");
  if (!ark) {
    tell(status, t("edit.noArk"), true);
    return;
  }
  tell(status, t("edit.loading"));
  let record;
  try {
    record = await api(objectPath);
  } catch (error) {
    // A 403 is the role's (only editors and administrators read documents): the API's English
    // words would add nothing.
    if (error.status === 403) tell(status, t("edit.mayNotRead"), true);
    else failed(status, "edit.loadFailed", error);
    return;
  }
  const title = record.metadata.title?.[0]?.value;
  $("edit-heading").textContent = title ? t("edit.headingOf", { title }) : t("edit.heading");
  showDescription(record.metadata);
  setReadOnly(!mayChange(record), me.role === "editor" ? t("edit.otherInstitution") : t("edit.readerOnly"));
  if (await loadPages()) {
    tell(status, "");
    $("editor").hidden = false;
  }
}

if (ark) {
  $("object-ark").textContent = ark;
  $("object-link").href = `/object.html?ark=${encodeURIComponent(ark)}`;
  $("object-link-row").hidden = false;
}
setUpSignIn({ onChange: showSignedIn, focusAfter: "content" });
