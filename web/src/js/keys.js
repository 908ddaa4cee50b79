// An account's API keys on the accounts page: the list (label, made, state, a revoke button),
// and a form that makes one. A new key's text is answered once by the API: it is shown once,
// with its copy button and a warning, and kept nowhere (a reload shows it no more).
import { copyField, h, tell } from "./common.js";
import { lang, t } from "./i18n.js";
import { api } from "./signin.js";

export function formatTime(unix) {
  return new Date(unix * 1000).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
}

// Fills `container` with the keys of account `name`; `prefix` makes the ids unique on the page
// (two panels: one's own keys and the account an administrator manages). `changed` is called
// once a key was made or revoked.
export async function showKeys(container, name, prefix, changed) {
  const status = h("p", { id: `${prefix}-status`, class: "status", role: "status", "aria-live": "polite" });
  const list = h("ul", { id: `${prefix}-list`, class: "key-list" });
  const fresh = h("div", { id: `${prefix}-new`, class: "new-key", tabindex: "-1", hidden: true });
  const label = h("input", { id: `${prefix}-label`, type: "text", maxlength: "200", autocomplete: "off",
    required: true });
  const form = h("form", { id: `${prefix}-form`, class: "stacked" },
    h("label", { for: label.id }, t("keys.label")),
    h("div", { class: "inline" }, label, h("button", { type: "submit" }, t("keys.make"))));
  const heading = h("h3", { id: `${prefix}-heading` }, t("keys.heading", { name }));
  container.replaceChildren(h("section", { "aria-labelledby": heading.id, class: "keys" },
    heading, list, form, fresh, status));

  async function load() {
    const { keys } = await api(`/api/v1/accounts/${encodeURIComponent(name)}/keys`);
    list.replaceChildren(...keys.map((key) => keyRow(key)));
    if (keys.length === 0) list.append(h("li", { class: "muted" }, t("keys.none")));
  }

  function keyRow(key) {
    const what = key.label || key.id;
    const state = key.revoked
      ? t("keys.revokedOn", { date: formatTime(key.revoked) }) : t("keys.active");
    const revoke = !key.revoked && h("button", { type: "button", class: "secondary",
      "aria-label": t("keys.revokeLabel", { label: what }), onclick: () => revokeKey(key, what) },
    t("keys.revoke"));
    return h("li", { class: "key", "data-id": key.id, "data-state": key.revoked ? "revoked" : "active" },
      h("span", { class: "key-label" }, what),
      h("span", { class: "key-facts" }, t("keys.made", { id: key.id, date: formatTime(key.created) })),
      h("span", { class: "key-state" }, state),
      revoke);
  }

  async function revokeKey(key, what) {
    try {
      await api(`/api/v1/accounts/${encodeURIComponent(name)}/keys/${encodeURIComponent(key.id)}`,
        { method: "DELETE" });
      await load();
      await changed();
      tell(status, t("keys.revoked", { label: what }));
      label.focus();
    } catch (error) {
      tell(status, t("keys.failed", { reason: error.message }), true);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const made = await api(`/api/v1/accounts/${encodeURIComponent(name)}/keys`,
        { method: "POST", body: { label: label.value.trim() } });
      label.value = "";
      const what = t("keys.newKey");
      fresh.replaceChildren(
        h("p", { class: "warning" }, t("keys.once")),
        copyField(`${prefix}-text`, made.key, what, document.getElementById("copy-status")));
      fresh.hidden = false;
      await load();
      await changed();
      tell(status, t("keys.madeStatus", { label: made.label || made.id }));
      document.getElementById(`${prefix}-text`).focus();
    } catch (error) {
      tell(status, t("keys.failed", { reason: error.message }), true);
    }
  });

  try {
    await load();
  } catch (error) {
    tell(status, t("keys.failed", { reason: error.message }), true);
  }
}
