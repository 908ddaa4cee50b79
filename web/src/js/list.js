// The list page (/): recent documents, those of a collection (?set=), or those whose title
// matches a search (?q=), from iiifd's public listing (/api/v1/public/objects), and the
// collections with their counts (/api/v1/public/sets: harvested objects are in one collection
// per partner, named after it).
import { h, jsonOf, setUpPage, textOf } from "./common.js";
import { t, tCount } from "./i18n.js";

setUpPage("list");

const params = new URLSearchParams(location.search);
const query = (params.get("q") || "").trim();
const setSpec = params.get("set") || "";
const pageSize = 24;

const heading = document.getElementById("results-heading");
const statusLine = document.getElementById("list-status");
const list = document.getElementById("objects");
const more = document.getElementById("more");
const setsList = document.getElementById("sets-list");
document.getElementById("q").value = query;

let shown = 0;
let cursor = null;

// A described object (no images: harvested without them) leads to its page here, which shows its
// description and the link to the original, rather than to where the platform shows it (its
// landing: the partner's page).
function card(object) {
  const title = textOf(object.title) || t("list.untitled");
  const href = object.has_images === false
    ? `/object.html?ark=${encodeURIComponent(object.ark)}` : object.landing;
  const details = [textOf(object.creator), textOf(object.date),
    object.pages ? tCount("list.pages", object.pages) : ""].filter(Boolean);
  const picture = object.thumbnail
    ? h("img", { src: object.thumbnail, alt: "", loading: "lazy", decoding: "async" })
    : h("span", { class: "no-thumbnail", "aria-hidden": "true" });
  return h("li", { class: "card" },
    h("a", { href, class: "card-link" }, picture,
      h("span", { class: "card-title" }, title)),
    details.length ? h("p", { class: "card-details" }, details.join(" · ")) : null);
}

function describe() {
  if (shown === 0) {
    statusLine.textContent = query ? t("list.noMatch", { q: query }) : t("list.none");
  } else {
    statusLine.textContent = tCount("list.count", shown);
  }
}

async function loadObjects() {
  const url = new URL("/api/v1/public/objects", location.origin);
  url.searchParams.set("limit", String(pageSize));
  if (query) url.searchParams.set("q", query);
  if (setSpec) url.searchParams.set("set", setSpec);
  if (cursor) url.searchParams.set("cursor", cursor);
  more.disabled = true;
  try {
    const answer = await jsonOf(await fetch(url, { credentials: "same-origin" }));
    const first = list.children.length;
    for (const object of answer.objects) list.append(card(object));
    shown += answer.objects.length;
    cursor = answer.next_cursor || null;
    more.hidden = !cursor;
    describe();
    // After "Show more", the first new document takes the focus, so keyboard readers go on.
    if (first > 0 && list.children[first]) list.children[first].querySelector("a").focus();
  } catch (error) {
    statusLine.textContent = t("list.error", { reason: error.message });
    statusLine.classList.add("error");
  } finally {
    more.disabled = false;
  }
}

async function loadSets() {
  try {
    const answer = await jsonOf(await fetch("/api/v1/public/sets", { credentials: "same-origin" }));
    const sets = answer.sets.filter((set) => set.count > 0);
    if (setSpec || query) {
      setsList.append(h("li", {}, h("a", { href: "/" }, t("list.allDocuments"))));
    }
    for (const set of sets) {
      const link = h("a", { href: `/?set=${encodeURIComponent(set.spec)}` }, set.name || set.spec);
      if (set.spec === setSpec) {
        link.setAttribute("aria-current", "page");
        heading.textContent = t("list.inSet", { name: set.name || set.spec });
      }
      setsList.append(h("li", {}, link, " ", h("span", { class: "count" }, `(${set.count})`)));
    }
    if (sets.length === 0) setsList.append(h("li", { class: "muted" }, t("list.noSets")));
  } catch (error) {
    setsList.append(h("li", { class: "error" }, t("list.error", { reason: error.message })));
  }
}

if (query) heading.textContent = t("list.results", { q: query });
else if (setSpec) heading.textContent = t("list.inSet", { name: setSpec });
statusLine.textContent = t("list.loading");
more.addEventListener("click", loadObjects);
loadObjects();
loadSets();
