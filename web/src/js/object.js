// A document's page, where its ARK leads: object.html?ark={ARK} (its Presentation 3.0 manifest
// from this server) or object.html?manifest={manifest URL} (3.0 or 2.1, from anywhere). Shows
// the manifest in Mirador (one window, the pages' index in its side bar, thumbnails along the
// bottom) and beside it the description (the manifest's metadata: the Dublin Core elements),
// the licence as a badge, the source mention, the ARK, the manifest, the OAI-PMH record, and
// the IIIF drag-and-drop link for other viewers.
import { copyField, h, setUpPage, textOf } from "./common.js";
import { lang, t } from "./i18n.js";
import { licenceName } from "./licences.js";

setUpPage("object");

const $ = (id) => document.getElementById(id);
const statusElement = $("status");

function setStatus(text, isError) {
  statusElement.textContent = text;
  statusElement.hidden = text === "";
  statusElement.classList.toggle("error", Boolean(isError));
}

// The manifest to show: from ?ark= on this server, or ?manifest= when it is an absolute http(s)
// URL (anything else, javascript: or data:, is refused before it reaches a link or the viewer).
function manifestUrl() {
  const params = new URLSearchParams(location.search);
  const ark = params.get("ark");
  if (ark && /^ark:\/?[0-9a-z]+\/[^?#\s]+$/i.test(ark)) {
    return `${location.origin}/iiif/3/${ark.replace(/^ark:(?!\/)/, "ark:/")}/manifest`;
  }
  const value = params.get("manifest");
  if (!value) return null;
  try {
    const url = new URL(value, location.href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
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
  rows.push(h("div", { class: "link-row" }, h("dt", {}, t("object.manifest")),
    h("dd", {}, copyField("link-manifest", url, t("object.manifest"), live))));
  if (record) {
    rows.push(h("div", { class: "link-row" }, h("dt", {}, t("object.record")),
      h("dd", {}, h("a", { href: record, id: "link-record" }, t("object.recordLink")))));
  }
  $("link-list").replaceChildren(...rows);
  // IIIF drag and drop: a link to the manifest carrying ?manifest=, which viewers read on drop.
  $("iiif-drag").href = `${url}?manifest=${encodeURIComponent(url)}`;
  $("object-links").hidden = false;
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
  const url = manifestUrl();
  if (!url) {
    setStatus(t("object.noManifest"), true);
    return;
  }
  let manifest;
  try {
    const response = await fetch(url);
    if (response.status === 404 || response.status === 410) {
      setStatus(t("object.notFound"), true);
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    manifest = await response.json();
  } catch (error) {
    setStatus(t("object.loadFailed", { reason: error.message }), true);
    return;
  }
  const label = textOf(manifest.label);
  if (label) {
    $("object-title").textContent = label;
    document.title = t("object.title", { label });
  }
  showRights(manifest);
  showMetadata(manifest);
  showLinks(manifest, url);
  $("object-info").hidden = false;
  setStatus("");
  showMirador(url);
}

start();
