// A document's page, where its ARK leads: object.html?ark={ARK} (its Presentation 3.0 manifest
// from this server) or object.html?manifest={manifest URL} (3.0 or 2.1, from anywhere). Shows
// the manifest in Mirador (one window, the pages' index in its side bar, thumbnails along the
// bottom) and beside it the description (the manifest's metadata: the Dublin Core elements),
// the licence as a badge, the source mention, the ARK, the manifest, the OAI-PMH record, and
// the IIIF drag-and-drop link for other viewers.
// An object harvested from a partner has a link to the original at the partner: the manifest's
// homepage after the object's own (3.0), or its related page after the ARK (2.1). A described
// object (harvested without images) has no manifest, a Manifest needing a Canvas: for an ARK of
// this server whose manifest is 404, the page reads the object's description from
// /api/v1/public/objects/{ARK} (the same properties) and shows it without a viewer, as it shows
// any manifest without canvases.
// An administrator, or an editor of the institution the object belongs to (the "institution" of
// /api/v1/public/objects/{ARK}), signed in on this site (GET /api/v1/session: the key this tab
// keeps, else the session cookie), has a link to the object's edit page.
import { copyField, h, setUpPage, textOf } from "./common.js";
import { lang, t } from "./i18n.js";
import { licenceName } from "./licences.js";
import "./object_texts.js";
import { currentSession } from "./signin.js";

setUpPage("object");

const $ = (id) => document.getElementById(id);
const statusElement = $("status");

function setStatus(text, isError) {
  statusElement.textContent = text;
  statusElement.hidden = text === "";
  statusElement.classList.toggle("error", Boolean(isError));
}

const arkPattern = /^ark:\/?[0-9a-z]+\/[^?#\s]+$/i;

// The document to show: {manifest: its URL, ark: its ARK when it is an object of this server}.
// From ?ark= on this server, or ?manifest= when it is an absolute http(s) URL (anything else,
// javascript: or data:, is refused before it reaches a link or the viewer).
function documentSource() {
  const params = new URLSearchParams(location.search);
  const ark = params.get("ark");
  if (ark && arkPattern.test(ark)) {
    const minted = ark.replace(/^ark:(?!\/)/, "ark:/");
    return { manifest: `${location.origin}/iiif/3/${minted}/manifest`, ark: minted };
  }
  const value = params.get("manifest");
  if (!value) return null;
  try {
    const url = new URL(value, location.href);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    return { manifest: url.href, ark: arkOfManifest(url) };
  } catch {
    return null;
  }
}

// The ARK of a manifest of this server ({origin}/iiif/3/{ARK}/manifest, as the landing page
// names it), else null.
function arkOfManifest(url) {
  const own = `${location.origin}/iiif/3/`;
  if (url.search !== "" || !url.href.startsWith(own) || !url.href.endsWith("/manifest")) return null;
  try {
    const ark = decodeURIComponent(url.href.slice(own.length, -"/manifest".length));
    return arkPattern.test(ark) ? ark : null;
  } catch {
    return null;
  }
}

// The manifest, or for an object of this server without one (404) its description; throws an
// Error carrying the status of what could not be read.
async function loadDocument(source) {
  let response = await fetch(source.manifest);
  let url = source.manifest;
  if (response.status === 404 && source.ark) {
    response = await fetch(`/api/v1/public/objects/${source.ark}`);
    url = null;
  }
  if (!response.ok) {
    const error = new Error(`HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  const body = await response.json();
  return { body, url: url ?? body.manifest ?? null };
}

// The pages to show: a 3.0 manifest's canvases, or those of a 2.1 manifest's first sequence.
function canvasCount(manifest) {
  if (Array.isArray(manifest.items)) return manifest.items.length;
  const canvases = manifest.sequences?.[0]?.canvases;
  return Array.isArray(canvases) ? canvases.length : 0;
}

// The holding institution: the provider (3.0), else the source mention's value or attribution.
function institutionOf(manifest) {
  const provider = Array.isArray(manifest.provider) ? manifest.provider[0]?.label : null;
  return textOf(provider) || textOf(manifest.requiredStatement?.value) || textOf(manifest.attribution);
}

// The original's page at the partner: a homepage (3.0) or related page (2.1) after the first,
// which is the document's own.
function showOriginal(manifest) {
  let pages = manifest.homepage || manifest.related || [];
  if (!Array.isArray(pages)) pages = [pages];
  const href = pages.slice(1).map((page) => page?.id || page?.["@id"])
    .find((id) => typeof id === "string" && /^https?:\/\//.test(id));
  if (!href) return;
  const institution = institutionOf(manifest);
  const link = $("original");
  link.href = href;
  link.textContent = institution ? t("object.original", { institution }) : t("object.originalPlain");
  $("object-original").hidden = false;
}

// The licence (3.0 "rights", 2.1 "license") and the source mention (3.0 "requiredStatement",
// 2.1 "attribution"), shown as the holding institution asks.
function showRights(manifest) {
  const licence = $("license");
  const source = $("source");
  let rights = manifest.rights || manifest.license;
  if (Array.isArray(rights)) rights = rights[0];
  if (typeof rights === "string" && /^https?:\/\//.test(rights)) {
    licence.href = rights;
    licence.textContent = licenceName(rights);
    licence.title = t("object.licenseTitle", { uri: rights });
    licence.hidden = false;
  }
  const statement = manifest.requiredStatement;
  // French sets a space before the colon.
  const mention = statement ? `${textOf(statement.label)}${t("object.colon")}${textOf(statement.value)}`
    : textOf(manifest.attribution);
  if (mention) {
    source.textContent = mention;
    source.hidden = false;
  }
  $("object-rights").hidden = licence.hidden && source.hidden;
}

function showMetadata(manifest) {
  const pairs = Array.isArray(manifest.metadata) ? manifest.metadata : [];
  $("metadata").replaceChildren(...pairs.flatMap((pair) => {
    const label = textOf(pair.label);
    const value = textOf(pair.value);
    return label && value ? [h("div", { class: "pair" }, h("dt", {}, label), h("dd", {}, value))] : [];
  }));
}

function showLinks(manifest, url) {
  const live = $("copy-status");
  const homepage = Array.isArray(manifest.homepage) ? manifest.homepage[0]?.id : null;
  const record = Array.isArray(manifest.seeAlso) ? manifest.seeAlso[0]?.id : null;
  const rows = [];
  if (homepage) {
    rows.push(h("div", { class: "link-row" }, h("dt", {}, t("object.ark")),
      h("dd", {}, copyField("link-ark", homepage, t("object.ark"), live))));
  }
  if (url) {
    rows.push(h("div", { class: "link-row" }, h("dt", {}, t("object.manifest")),
      h("dd", {}, copyField("link-manifest", url, t("object.manifest"), live))));
  }
  if (record) {
    rows.push(h("div", { class: "link-row" }, h("dt", {}, t("object.record")),
      h("dd", {}, h("a", { href: record, id: "link-record" }, t("object.recordLink")))));
  }
  $("link-list").replaceChildren(...rows);
  // IIIF drag and drop: a link to the manifest carrying ?manifest=, which viewers read on drop.
  if (url) $("iiif-drag").href = `${url}?manifest=${encodeURIComponent(url)}`;
  $("iiif-drag").parentElement.hidden = !url;
  $("object-links").hidden = false;
}

// The edit page's link, for those who may change the object `ark` of this server: an
// administrator, or an editor of its institution. `description`: its public description when the
// page read it already (a described object), else it is read here, for an editor only. A visitor
// signed out or a reader makes no request but the session's.
async function showEditLink(ark, description) {
  const me = await currentSession();
  if (me?.role !== "administrator" && me?.role !== "editor") return;
  if (me.role === "editor") {
    const own = me.account_institution?.id;
    if (!own) return;
    let object = description;
    if (!object) {
      const response = await fetch(`/api/v1/public/objects/${ark}`);
      if (!response.ok) return;
      object = await response.json();
    }
    if (object.institution !== own) return;
  }
  $("edit-link").href = `/edit.html?ark=${encodeURIComponent(ark)}`;
  $("object-edit").hidden = false;
}

function showMirador(url) {
  if (typeof Mirador === "undefined") {
    setStatus(t("object.noViewer"), true);
    return;
  }
  Mirador.viewer({
    id: "viewer",
    language: lang,
    window: {
      allowClose: false,
      allowMaximize: false,
      hideWindowTitle: true,  // the page's heading already names the document
      sideBarOpen: window.matchMedia("(min-width: 50em)").matches,
      sideBarPanel: "canvas",
      defaultView: "single",
    },
    windows: [{ manifestId: url, thumbnailNavigationPosition: "far-bottom" }],
    thumbnailNavigation: { defaultPosition: "far-bottom" },
    workspace: { type: "mosaic", allowNewWindows: false },
    workspaceControlPanel: { enabled: false },
  });
}

async function start() {
  const source = documentSource();
  if (!source) {
    setStatus(t("object.noManifest"), true);
    return;
  }
  let manifest;
  let url;
  try {
    ({ body: manifest, url } = await loadDocument(source));
  } catch (error) {
    if (error.status === 404 || error.status === 410) setStatus(t("object.notFound"), true);
    else setStatus(t("object.loadFailed", { reason: error.message }), true);
    return;
  }
  // Beside the rest, which it does not hold up; a failure leaves the link out.
  if (source.ark) showEditLink(source.ark, url === null ? manifest : null).catch(() => {});
  const label = textOf(manifest.label);
  if (label) {
    $("object-title").textContent = label;
    document.title = t("object.title", { label });
  }
  showOriginal(manifest);
  showRights(manifest);
  showMetadata(manifest);
  showLinks(manifest, url);
  $("object-info").hidden = false;
  if (canvasCount(manifest) === 0) {
    // Nothing for a viewer to show (Mirador would open an empty window): the description alone.
    $("viewer").hidden = true;
    $("object-body").classList.add("no-pages");
    setStatus(t("object.noPages"));
    return;
  }
  setStatus("");
  showMirador(url);
}

start();
