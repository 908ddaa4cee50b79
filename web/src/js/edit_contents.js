// The edit page's table of contents: sections (the API's ranges), each with a title, its pages
// (chosen among the document's, in page order) and its sub-sections, added, renamed, removed
// and moved up or down. It is saved with the pages (edit_pages.js: PUT .../pages).
import { h } from "./common.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const maxDepth = 8;  // iiifd's kMaxRangeDepth

let tree = [];  // [{uid, label, pages: [names], ranges: [...]}]
let pageList = [];  // the document's pages as edited: [{page, label}], in order
let nextUid = 1;

const fromApi = (range) => ({ uid: nextUid++, label: range.label || "", pages: [...(range.pages || [])],
  ranges: (range.ranges || []).map(fromApi) });

function toApi(range) {
  const order = pageList.map((p) => p.page);
  return { label: range.label.trim(), pages: order.filter((name) => range.pages.includes(name)),
    ranges: range.ranges.map(toApi) };
}

export const pageTitle = (page) => (page.label.trim() ? `${page.label.trim()} (${page.page})` : page.page);

// Focus moves to the element of id `focus` after the tree is drawn again, else stays where it was.
function render(focus) {
  const kept = focus || document.activeElement?.id;
  $("contents-tree").replaceChildren(...tree.map((range, i) => rangeItem(range, tree, i, `${i + 1}`, 1)));
  $("contents-empty").hidden = tree.length > 0;
  if (kept && $(kept) && document.activeElement?.id !== kept) {
    const target = $(kept);
    (target.disabled ? target.closest(".range-actions")?.querySelector("button:not(:disabled)") : target)?.focus();
  }
}

function say(key, params) {
  $("contents-live").textContent = t(key, params);
}

function move(siblings, index, step) {
  const [range] = siblings.splice(index, 1);
  siblings.splice(index + step, 0, range);
  render(`range-${range.uid}-${step < 0 ? "up" : "down"}`);
  say("edit.rangeMoved", { label: range.label || "—", n: index + step + 1 });
}

function remove(siblings, index, parent) {
  const [range] = siblings.splice(index, 1);
  render(parent ? `range-${parent.uid}-add` : "add-range");
  say("edit.rangeRemoved", { label: range.label || "—" });
}

function add(siblings) {
  const range = fromApi({ label: "" });
  siblings.push(range);
  render(`range-${range.uid}-label`);
}

function rangeItem(range, siblings, index, number, depth, parent = null) {
  const id = (part) => `range-${range.uid}-${part}`;
  const button = (part, text, label, onclick, disabled = false) => h("button", { type: "button", id: id(part),
    class: "secondary small", "aria-label": label, title: label, disabled, onclick }, text);
  const label = h("input", { id: id("label"), type: "text", maxlength: "200", value: range.label,
    oninput: (event) => { range.label = event.target.value; } });
  const pageBoxes = pageList.map((page) => h("div", { class: "check" },
    h("input", { type: "checkbox", id: id(`page-${page.page}`), value: page.page,
      checked: range.pages.includes(page.page),
      onchange: (event) => {
        range.pages = range.pages.filter((name) => name !== page.page);
        if (event.target.checked) range.pages.push(page.page);
      } }),
    h("label", { for: id(`page-${page.page}`) }, pageTitle(page))));
  return h("li", { class: "range", "data-uid": range.uid },
    h("div", { class: "field" }, h("label", { for: id("label") }, t("edit.rangeLabel", { number })), label),
    h("fieldset", { class: "range-pages choices" }, h("legend", {}, t("edit.rangePages", { number })), pageBoxes),
    h("div", { class: "range-actions" },
      button("up", "↑", t("edit.rangeUp", { number }), () => move(siblings, index, -1), index === 0),
      button("down", "↓", t("edit.rangeDown", { number }), () => move(siblings, index, 1),
        index === siblings.length - 1),
      depth < maxDepth ? button("add", t("edit.addSubRange"), t("edit.addSubRangeOf", { number }),
        () => add(range.ranges)) : null,
      button("remove", t("edit.removeRange"), t("edit.removeRangeOf", { number }),
        () => remove(siblings, index, parent))),
    range.ranges.length ? h("ol", { class: "contents-tree" }, range.ranges.map((child, i) =>
      rangeItem(child, range.ranges, i, `${number}.${i + 1}`, depth + 1, range))) : null);
}

// The table of contents as read from the API (GET or PUT .../pages).
export function showContents(structures) {
  tree = (structures || []).map(fromApi);
  render();
}

// The pages as edited: their order orders each section's pages, their labels name the choices.
export function setContentsPages(pages) {
  pageList = pages;
  render();
}

// A page taken out of the document leaves every section.
export function dropContentsPage(name) {
  const walk = (ranges) => ranges.forEach((range) => {
    range.pages = range.pages.filter((page) => page !== name);
    walk(range.ranges);
  });
  walk(tree);
  render();
}

// The table of contents for PUT .../pages.
export const contentsStructures = () => tree.map(toApi);

$("add-range").addEventListener("click", () => add(tree));
