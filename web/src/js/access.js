// The sets and access policies page. Administrators: the default policy, the access policies
// (made, changed, deleted once confirmed) and the OAI-PMH sets (the same); editors see them
// read-only; a reader is told the API's refusal. What a role may not do is not shown; the API
// refuses it anyway.
import "./access_texts.js";
import { h, setUpPage, tell } from "./common.js";
import { t } from "./i18n.js";
import { api, forgetSignIn, setUpSignIn } from "./signin.js";

setUpPage("access");

const $ = (id) => document.getElementById(id);
const kinds = ["public", "network", "token", "restricted"];
// The policy form's fields that only some kinds take; the others are sent empty.
const kindFields = {
  networks: ["network", "token"],
  groups: ["token"],
  degraded: ["network", "token", "restricted"],
  unauthorised: ["network", "token", "restricted"],
  heading: ["network", "token", "restricted"],
  note: ["network", "token", "restricted"],
};
// The built-in policy, which lets everyone in: its kind cannot change.
const everyone = "public";

let me = null;  // the session answer
let policies = [];
let watermarks = [];
let defaultPolicy = everyone;
let sets = [];

const isAdministrator = () => me?.role === "administrator";
const policyPath = (name) => `/api/v1/policies/${encodeURIComponent(name)}`;
// A spec's ":" are its hierarchy, kept as they are in the path.
const setPath = (spec) => `/api/v1/sets/${spec.split(":").map(encodeURIComponent).join(":")}`;

// A refused sign-in (a key revoked meanwhile, the session ended) takes the page back to the
// sign-in forms; any other error is said in `status`.
function failed(status, key, error, params = {}) {
  if (error.status === 401) {
    forgetSignIn();
    tell($("signin-status"), t("signin.again"), true);
    $("account-signin").focus();
    return;
  }
  tell(status, t(key, { ...params, reason: error.message }), true);
}

function fillSelect(select, choices, chosen) {
  select.replaceChildren(...choices.map(([value, text]) => h("option", { value }, text)));
  if (chosen !== undefined) select.value = chosen;
}

// Values typed in a field: networks one a line (or separated by spaces or commas), groups by
// commas.
const networksOf = (text) => text.split(/[\s,]+/).filter(Boolean);
const groupsOf = (text) => text.split(",").map((group) => group.trim()).filter(Boolean);

const watermarkName = (name) => (name === "institution" ? t("watermark.institution") : name);
const watermarkChoices = () => [["", t("watermark.none")], ...watermarks.map((name) => [name, watermarkName(name)])];

const cell = (labelKey, ...content) => h("td", { "data-label": t(labelKey) }, ...content);

// A row's Change and Delete buttons (administrators).
function rowActions(what, name, change, remove) {
  return h("td", { class: "row-actions" },
    h("button", { type: "button", class: "secondary", "aria-label": t(`${what}.changeLabel`, { name }),
      onclick: change }, t("access.change")),
    remove ? h("button", { type: "button", class: "secondary", "aria-label": t(`${what}.deleteLabel`, { name }),
      onclick: remove }, t("access.delete")) : null);
}

// ---- Access policies ------------------------------------------------------------------------------

function membersOf(policy) {
  const networks = policy.networks.join(", ");
  if (policy.kind === "public") return t("members.everyone");
  if (policy.kind === "network") return t("members.networks", { networks });
  if (policy.kind === "restricted") return t("members.keys");
  const users = policy.groups.length ? t("members.groups", { groups: policy.groups.join(", ") })
    : t("members.signedIn");
  return policy.networks.length ? t("members.usersAndNetworks", { users, networks }) : users;
}

function watermarkOf(policy) {
  if (!policy.watermark) return t("watermark.none");
  const name = watermarkName(policy.watermark);
  return policy.watermark_unauthorised_only ? t("watermark.unauthorisedOnly", { name }) : name;
}

function policyRow(policy) {
  return h("tr", { "data-name": policy.name },
    cell("policy.name", policy.name),
    cell("policy.kind", t(`kind.${policy.kind}`)),
    cell("policy.members", membersOf(policy)),
    cell("policy.degraded", policy.degraded_size ? t("policy.pixels", { n: policy.degraded_size }) : t("access.none")),
    cell("policy.watermark", watermarkOf(policy)),
    cell("policy.label", policy.label),
    isAdministrator() ? rowActions("policies", policy.name, () => editPolicy(policy),
      policy.builtin ? null : () => deletePolicy(policy.name)) : null);
}

function showDefault() {
  $("default-name").textContent = defaultPolicy;
  fillSelect($("default-policy"), policies.map(({ name }) => [name, name]), defaultPolicy);
}

async function loadPolicies() {
  const answer = await api("/api/v1/policies");
  ({ policies, watermarks } = answer);
  defaultPolicy = answer.default;
  $("policies-table").tBodies[0].replaceChildren(...policies.map(policyRow));
  showDefault();
  fillSelect($("policy-watermark"), watermarkChoices(), $("policy-watermark").value);
  fillSelect($("set-policy"), [["", t("set.noPolicy")], ...policies.map(({ name }) => [name, name])],
    $("set-policy").value);
  fillSelect($("set-watermark"), watermarkChoices(), $("set-watermark").value);
}

// The form shows the fields the chosen kind takes; the built-in policy's kind stays public.
function showKindFields() {
  const kindSelect = $("policy-kind");
  const builtin = $("policy-name").value.trim() === everyone;
  if (builtin) kindSelect.value = everyone;
  kindSelect.disabled = builtin;
  const kind = kindSelect.value;
  for (const [field, shownFor] of Object.entries(kindFields)) {
    $(`policy-${field}-field`).hidden = !shownFor.includes(kind);
  }
  $("policy-kind-hint").textContent = t(builtin ? "kindHint.builtin" : `kindHint.${kind}`);
}

function editPolicy(policy) {
  $("policy-name").value = policy.name;
  $("policy-kind").value = policy.kind;
  $("policy-networks").value = policy.networks.join("\n");
  $("policy-groups").value = policy.groups.join(", ");
  $("policy-degraded").value = String(policy.degraded_size);
  $("policy-watermark").value = policy.watermark;
  $("policy-unauthorised").checked = policy.watermark_unauthorised_only;
  $("policy-label").value = policy.label;
  $("policy-heading").value = policy.heading;
  $("policy-note").value = policy.note;
  showKindFields();
  tell($("policy-status"), t("policyForm.editing", { name: policy.name }));
  $("policy-name").focus();
}

// The form as PUT /api/v1/policies/{name}'s body: what the kind does not take is empty.
function policyBody() {
  const kind = $("policy-kind").value;
  const takes = (field) => kindFields[field].includes(kind);
  const text = (id) => $(id).value.trim();
  return {
    kind,
    networks: takes("networks") ? networksOf($("policy-networks").value) : [],
    groups: takes("groups") ? groupsOf($("policy-groups").value) : [],
    degraded_size: takes("degraded") ? Number($("policy-degraded").value || 0) : 0,
    watermark: $("policy-watermark").value,
    watermark_unauthorised_only: takes("unauthorised") && $("policy-unauthorised").checked,
    label: text("policy-label"),
    heading: takes("heading") ? text("policy-heading") : "",
    note: takes("note") ? text("policy-note") : "",
  };
}

$("policy-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("policy-status");
  const name = $("policy-name").value.trim();
  const known = policies.some((policy) => policy.name === name);
  try {
    await api(policyPath(name), { method: "PUT", body: policyBody() });
    event.target.reset();
    await loadPolicies();
    tell(status, t(known ? "policyForm.changed" : "policyForm.created", { name }));
  } catch (error) {
    failed(status, "policyForm.failed", error);
  }
});

// A reset puts the form back to a new public policy's (a select's first choice, a box unticked).
$("policy-form").addEventListener("reset", () => {
  setTimeout(showKindFields);
  tell($("policy-status"), "");
});
$("policy-kind").addEventListener("change", showKindFields);
$("policy-name").addEventListener("input", showKindFields);

async function deletePolicy(name) {
  const status = $("policies-status");
  if (!window.confirm(t("policies.deleteConfirm", { name }))) return;
  try {
    await api(policyPath(name), { method: "DELETE" });
    await loadPolicies();
    tell(status, t("policies.deleted", { name }));
    $("policies-heading").focus();
  } catch (error) {
    failed(status, "policies.notDeleted", error, { name });
  }
}

$("default-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("default-status");
  try {
    const answer = await api("/api/v1/default-policy", { method: "PUT", body: { policy: $("default-policy").value } });
    defaultPolicy = answer.default;
    showDefault();
    tell(status, t("policies.defaultSaved", { name: defaultPolicy }));
  } catch (error) {
    failed(status, "policies.defaultFailed", error);
  }
});

// ---- Sets -----------------------------------------------------------------------------------------

function setRow(set) {
  return h("tr", { "data-spec": set.spec },
    cell("set.spec", set.spec),
    cell("set.name", set.name),
    cell("set.description", set.description),
    cell("set.policy", set.policy || t("access.none")),
    cell("policy.watermark", set.watermark ? watermarkName(set.watermark) : t("watermark.none")),
    isAdministrator() ? rowActions("sets", set.spec, () => editSet(set), () => deleteSet(set.spec)) : null);
}

async function loadSets() {
  ({ sets } = await api("/api/v1/sets"));
  $("sets-table").tBodies[0].replaceChildren(...sets.map(setRow));
  $("sets-table").hidden = sets.length === 0;
  $("sets-none").hidden = sets.length > 0;
}

function editSet(set) {
  $("set-spec").value = set.spec;
  $("set-name").value = set.name;
  $("set-description").value = set.description;
  $("set-policy").value = set.policy;
  $("set-watermark").value = set.watermark;
  tell($("set-status"), t("setForm.editing", { spec: set.spec }));
  $("set-spec").focus();
}

$("set-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("set-status");
  const spec = $("set-spec").value.trim();
  const known = sets.some((set) => set.spec === spec);
  const text = (id) => $(id).value.trim();
  try {
    await api(setPath(spec), { method: "PUT", body: { name: text("set-name"), description: text("set-description"),
      policy: $("set-policy").value, watermark: $("set-watermark").value } });
    event.target.reset();
    await loadSets();
    tell(status, t(known ? "setForm.changed" : "setForm.created", { spec }));
  } catch (error) {
    failed(status, "setForm.failed", error);
  }
});

$("set-form").addEventListener("reset", () => tell($("set-status"), ""));

async function deleteSet(spec) {
  const status = $("sets-status");
  if (!window.confirm(t("sets.deleteConfirm", { spec }))) return;
  try {
    await api(setPath(spec), { method: "DELETE" });
    await loadSets();
    tell(status, t("sets.deleted", { spec }));
    $("sets-heading").focus();
  } catch (error) {
    failed(status, "sets.notDeleted", error, { spec });
  }
}

// ---- Signed in, signed out ----------------------------------------------------------------------------

async function showSignedIn(session) {
  me = session;
  $("manager").hidden = true;
  const status = $("load-status");
  tell(status, "");
  if (!me) return;
  tell(status, t("access.loading"));
  try {
    await loadPolicies();
    await loadSets();
  } catch (error) {
    failed(status, error.status === 403 ? "access.mayNotRead" : "access.loadFailed", error);
    return;
  }
  const administrator = isAdministrator();
  for (const id of ["default-form", "policy-form", "set-form"]) $(id).hidden = !administrator;
  for (const column of document.querySelectorAll(".actions-column")) column.hidden = !administrator;
  $("readonly-note").hidden = administrator;
  tell(status, "");
  $("manager").hidden = false;
}

fillSelect($("policy-kind"), kinds.map((kind) => [kind, t(`kind.${kind}`)]));
showKindFields();
setUpSignIn({ onChange: showSignedIn, focusAfter: "content" });
