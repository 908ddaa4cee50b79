// What every page shares: the translated header, IIIF language maps read in the page's
// language, element building, and copying to the clipboard.
import { lang, setUpLanguageSwitch, t, translatePage } from "./i18n.js";

export function setUpPage(current) {
  translatePage();
  setUpLanguageSwitch();
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === current) link.setAttribute("aria-current", "page");
  }
}

// An element with attributes and children (strings become text, never HTML).
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// An image id as the image service writes it in its URLs (iiif::encode_identifier): every byte
// but RFC 3986's unreserved characters and ":" percent-encoded.
export function encodeIdentifier(id) {
  return Array.from(new TextEncoder().encode(id), (byte) => {
    const c = String.fromCharCode(byte);
    return /[A-Za-z0-9\-._~:]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
}

// A IIIF Presentation 3.0 language map ({"en": ["..."], "none": [...]}), a 2.1 value (string,
// {"@value", "@language"} or a list), or the API's [{"value", "lang"}], in the page's language
// when it is there, else values without a language, else the first language given.
export function textOf(value) {
  if (!value) return "";
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    if (value.length === 0) return "";
    if (typeof value[0] === "object" && value[0] !== null && "value" in value[0]) {
      const mine = value.filter((entry) => entry.lang === lang || entry.lang?.startsWith(lang + "-"));
      const plain = value.filter((entry) => !entry.lang);
      return (mine.length ? mine : plain.length ? plain : [value[0]]).map((e) => e.value).join(" ; ");
    }
    const preferred = value.find((entry) => entry && entry["@language"] === lang);
    return textOf(preferred || value[0]);
  }
  if (typeof value["@value"] === "string") return value["@value"];
  const values = value[lang] || value.none || value[Object.keys(value)[0]] || [];
  return values.join(" ; ");
}

// The JSON of a response, or an Error whose message is the API's {"error"} or the status.
export async function jsonOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = new Error(body?.error || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

// Copies `text`, then says so in `live` (a role="status" element). Without the Clipboard API
// (a page served over plain http from another host than localhost), the field is selected so
// that the reader can copy it.
export async function copyText(text, what, live, field) {
  try {
    await navigator.clipboard.writeText(text);
    live.textContent = t("copy.done", { what });
  } catch {
    if (field) {
      field.focus();
      field.select();
    }
    live.textContent = t("copy.failed");
  }
}

// A read-only address with its copy button, in a <dd>.
export function copyField(id, value, what, live) {
  const field = h("input", { id, class: "address", type: "text", readonly: true, value,
    "aria-label": what, spellcheck: "false" });
  const button = h("button", { type: "button", class: "copy", "aria-label": t("copy.label", { what }),
    onclick: () => copyText(field.value, what, live, field) }, t("copy.button"));
  return h("div", { class: "copy-row" }, field, button);
}

// Says `text` in a status region, as an error (in the error colour) when `failed`.
export function tell(status, text, failed = false) {
  status.classList.toggle("error", failed);
  status.textContent = text;
}
