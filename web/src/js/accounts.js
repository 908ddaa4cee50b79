// The accounts page. Everyone signed in: their account (name, role, institution), how they are
// named and reached, their password, their API keys. Administrators also: every account (made,
// given a role and an institution, disabled or enabled, a new password, its keys), the
// institutions (added, renamed) and the audit log; editors the audit log of their institution.
// What a role may not do is not shown; the API refuses it anyway.
import { h, setUpPage, tell } from "./common.js";
import { t } from "./i18n.js";
import { formatTime, showKeys } from "./keys.js";
import { api, forgetSignIn, setUpSignIn } from "./signin.js";

setUpPage("accounts");

const $ = (id) => document.getElementById(id);
const roles = ["reader", "editor", "administrator"];
const auditPage = 20;

let me = null;  // the session answer
let institutions = [];
let managed = null;  // the account whose detail is open

const accountPath = (name) => `/api/v1/accounts/${encodeURIComponent(name)}`;
const isAdministrator = () => me?.role === "administrator";

function institutionName(id) {
  const known = institutions.find((institution) => institution.id === id);
  return known ? t("institutions.item", { name: known.name, id }) : id;
}

// A refused sign-in (a key revoked meanwhile, the session ended) takes the page back to the
// sign-in forms; any other error is said in `status`.
function failed(status, key, error) {
  if (error.status === 401) {
    forgetSignIn();
    tell($("signin-status"), t("signin.again"), true);
    $("account-signin").focus();
    return;
  }
  tell(status, t(key, { reason: error.message }), true);
}

function fillSelect(select, choices, chosen) {
  select.replaceChildren(...choices.map(([value, text]) => h("option", { value }, text)));
  if (chosen !== undefined) select.value = chosen;
}

const roleChoices = () => roles.map((role) => [role, t(`role.${role}`)]);
const institutionChoices = () => institutions.map((i) => [i.id, institutionName(i.id)]);

const nameOf = (name, display) => (display ? t("me.nameWith", { name, display }) : name);

// ---- My account ---------------------------------------------------------------------------------

async function showMe() {
  $("me-name").textContent = nameOf(me.user, me.display_name);
  $("me-role").textContent = t(`role.${me.role}`);
  const own = me.account_institution;
  $("me-institution").textContent = own ? t("institutions.item", { name: own.name, id: own.id }) : "";
  $("profile-display-name").value = me.display_name || "";
  $("me").hidden = false;
  try {
    const account = await api(accountPath(me.user));
    $("profile-email").value = account.email || "";
  } catch (error) {
    failed($("profile-status"), "me.loadFailed", error);
  }
  await showKeys($("my-keys"), me.user, "my-keys", refreshAudit);
}

$("profile-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("profile-status");
  try {
    const account = await api(accountPath(me.user), { method: "PATCH", body: {
      display_name: $("profile-display-name").value.trim(), email: $("profile-email").value.trim() } });
    me.display_name = account.display_name;
    $("me-name").textContent = nameOf(me.user, account.display_name);
    tell(status, t("me.profileSaved"));
    if (isAdministrator()) await loadAccounts();
    await refreshAudit();
  } catch (error) {
    failed(status, "me.saveFailed", error);
  }
});

$("password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("password-status");
  const current = $("password-current");
  const fresh = $("password-new");
  try {
    await api(accountPath(me.user), { method: "PATCH",
      body: { password: fresh.value, current_password: current.value } });
    current.value = "";
    fresh.value = "";
    tell(status, t("me.passwordChanged"));
    await refreshAudit();
  } catch (error) {
    failed(status, "me.saveFailed", error);
  }
});

// ---- Accounts (administrators) ---------------------------------------------------------------------

function stateOf(account) {
  return t(account.disabled ? "account.disabled" : "account.active");
}

function accountRow(account) {
  const cell = (labelKey, ...content) => h("td", { "data-label": t(labelKey) }, ...content);
  return h("tr", { "data-name": account.name },
    cell("account.name", account.name),
    cell("account.displayName", account.display_name),
    cell("account.role", t(`role.${account.role}`)),
    cell("account.institution", institutionName(account.institution)),
    cell("account.state", stateOf(account)),
    h("td", {}, h("button", { type: "button", class: "secondary",
      "aria-label": t("accounts.manageLabel", { name: account.name }),
      onclick: () => openDetail(account.name) }, t("accounts.manage"))));
}

async function loadAccounts() {
  const { accounts } = await api("/api/v1/accounts");
  $("accounts-table").tBodies[0].replaceChildren(...accounts.map(accountRow));
  return accounts;
}

async function loadInstitutions() {
  ({ institutions } = await api("/api/v1/institutions"));
  $("institutions-list").replaceChildren(...institutions.map((institution) =>
    h("li", { "data-id": institution.id }, institutionName(institution.id),
      institution.homepage ? [" — ", h("a", { href: institution.homepage }, institution.homepage)] : null)));
  fillSelect($("create-institution"), institutionChoices(), $("create-institution").value || me.account_institution?.id);
  fillSelect($("detail-institution"), institutionChoices());
}

// The detail of one account: its role and institution, its state, a new password, its keys.
async function openDetail(name, focus = true) {
  const status = $("detail-status");
  let account;
  try {
    account = await api(accountPath(name));
  } catch (error) {
    failed(status, "detail.failed", error);
    return;
  }
  managed = account;
  $("detail-heading").textContent = t("detail.heading", { name });
  fillSelect($("detail-role"), roleChoices(), account.role);
  fillSelect($("detail-institution"), institutionChoices(), account.institution);
  $("detail-toggle").textContent = t(account.disabled ? "detail.enable" : "detail.disable");
  const detail = $("account-detail");
  if (detail.hidden || focus) tell(status, "");
  detail.hidden = false;
  if (focus) detail.focus();
  await showKeys($("detail-keys"), name, "detail-keys", refreshAudit);
}

async function changeManaged(body, doneKey) {
  const status = $("detail-status");
  try {
    const account = await api(accountPath(managed.name), { method: "PATCH", body });
    await loadAccounts();
    await openDetail(account.name, false);
    await refreshAudit();
    tell(status, t(doneKey, { name: account.name, state: stateOf(account) }));
    return true;
  } catch (error) {
    failed(status, "detail.failed", error);
    return false;
  }
}

$("detail-form").addEventListener("submit", (event) => {
  event.preventDefault();
  changeManaged({ role: $("detail-role").value, institution: $("detail-institution").value }, "detail.saved");
});

$("detail-toggle").addEventListener("click", async () => {
  await changeManaged({ disabled: !managed.disabled }, "detail.stateChanged");
  $("detail-toggle").focus();
});

$("detail-password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const field = $("detail-password");
  if (await changeManaged({ password: field.value }, "detail.passwordSet")) field.value = "";
});

$("detail-close").addEventListener("click", () => {
  const name = managed?.name;
  $("account-detail").hidden = true;
  managed = null;
  $("accounts-table").querySelector(`tr[data-name="${CSS.escape(name)}"] button`)?.focus();
});

$("create-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("create-status");
  const value = (id) => $(id).value.trim();
  const body = { name: value("create-name"), display_name: value("create-display-name"),
    email: value("create-email"), role: $("create-role").value, institution: $("create-institution").value,
    groups: value("create-groups").split(",").map((group) => group.trim()).filter(Boolean) };
  if ($("create-password").value) body.password = $("create-password").value;
  try {
    const account = await api("/api/v1/accounts", { method: "POST", body });
    event.target.reset();
    fillSelect($("create-role"), roleChoices(), "reader");
    fillSelect($("create-institution"), institutionChoices(), me.account_institution?.id);
    await loadAccounts();
    tell(status, t("create.done", { name: account.name }));
    await refreshAudit();
  } catch (error) {
    failed(status, "create.failed", error);
  }
});

// ---- Institutions (administrators) --------------------------------------------------------------

$("institution-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("institution-status");
  const id = $("institution-id").value.trim();
  const known = institutions.some((institution) => institution.id === id);
  try {
    await api(`/api/v1/institutions/${encodeURIComponent(id)}`, { method: "PUT", body: {
      name: $("institution-name").value.trim(), homepage: $("institution-homepage").value.trim() } });
    event.target.reset();
    await loadInstitutions();
    await loadAccounts();
    tell(status, t(known ? "institutions.renamed" : "institutions.added", { id }));
    await refreshAudit();
  } catch (error) {
    failed(status, "institutions.failed", error);
  }
});

// ---- The audit log (administrators: all; editors: their institution's) -----------------------------

let auditBefore = null;  // where the next older page ends; null: none older

function detailText(detail) {
  return Object.entries(detail || {}).map(([key, value]) =>
    `${key}: ${Array.isArray(value) ? value.join(", ") : value}`).join("; ");
}

function auditRow(entry) {
  const cell = (labelKey, ...content) => h("td", { "data-label": t(labelKey) }, ...content);
  return h("tr", {},
    cell("audit.time", h("time", { datetime: entry.time }, entry.time.replace("T", " ").replace("Z", ""))),
    cell("audit.actor", entry.via ? t("audit.actorVia", { actor: entry.actor, via: entry.via }) : entry.actor),
    cell("audit.action", h("code", {}, entry.action)),
    cell("audit.target", entry.target),
    cell("audit.institution", entry.institution),
    cell("audit.detail", detailText(entry.detail)));
}

// The most recent entries (`older`: the page before those shown, added below them).
async function loadAudit(older = false) {
  const status = $("audit-status");
  const body = $("audit-table").tBodies[0];
  const query = new URLSearchParams({ limit: auditPage });
  if (older) query.set("before", auditBefore);
  try {
    const { entries, next_before: next } = await api(`/api/v1/audit?${query}`);
    if (older) body.append(...entries.map(auditRow));
    else body.replaceChildren(...entries.map(auditRow));
    auditBefore = next;
    $("audit-older").hidden = next === null;
    tell(status, older ? t("audit.added", { n: entries.length }) : "");
    if (!body.rows.length) tell(status, t("audit.none"));
  } catch (error) {
    failed(status, "audit.failed", error);
  }
}

// After a change: the log shown again from its most recent entry, when it is shown at all.
async function refreshAudit() {
  if (!$("audit-section").hidden) await loadAudit();
}

$("audit-older").addEventListener("click", async () => {
  const shown = $("audit-table").tBodies[0].rows.length;
  await loadAudit(true);
  // The first of the rows added takes the focus: the reader goes on where they were.
  const first = $("audit-table").tBodies[0].rows[shown];
  if (first) {
    first.tabIndex = -1;
    first.focus();
  } else if ($("audit-older").hidden) {
    $("audit-heading").focus();
  }
});

// ---- Signed in, signed out ----------------------------------------------------------------------------

async function showSignedIn(session) {
  me = session;
  for (const id of ["me", "accounts-section", "institutions-section", "audit-section", "account-detail"]) {
    $(id).hidden = true;
  }
  managed = null;
  if (!me) return;
  $("audit-intro").textContent = isAdministrator() ? t("audit.introAll")
    : t("audit.introInstitution", { institution: me.account_institution?.name || "" });
  await showMe();
  if (isAdministrator()) {
    try {
      await loadInstitutions();
      fillSelect($("create-role"), roleChoices(), "reader");
      await loadAccounts();
      $("accounts-section").hidden = false;
      $("institutions-section").hidden = false;
    } catch (error) {
      failed($("create-status"), "accounts.loadFailed", error);
    }
  }
  if (isAdministrator() || me.role === "editor") {
    $("audit-section").hidden = false;
    await loadAudit();
  }
}

setUpSignIn({ onChange: showSignedIn, focusAfter: "me" });
