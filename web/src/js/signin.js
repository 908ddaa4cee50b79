// Signing in, for the pages that call the API (deposit, accounts, edit, import, access): an
// account, through the IIIF auth service's window at /auth/login, which sets a session cookie;
// or an API key, kept in sessionStorage (this tab only) and sent as "Authorization: Bearer".
// The document page only asks who is signed in (currentSession), to offer the edit page.
// The page's sign-in section holds its own #signin-intro, then src/signin.html; `onChange`
// hears of the session answer (null: signed out).
import { jsonOf } from "./common.js";
import { t } from "./i18n.js";

const keyStorage = "iiif-api-key";
const $ = (id) => document.getElementById(id);

let auth = null;  // GET /api/v1/session's answer
let apiKey = null;
let changed = () => {};

export function authHeaders() {
  return apiKey ? { Authorization: `Bearer ${apiKey}` } : {};
}

// A call of the API as the signed-in account: JSON in (when `body` is given) and out (null for
// 204); an Error with the API's reason and `status` otherwise. Changes carry the page's Origin,
// as browsers send it with every fetch that is not a GET.
export async function api(path, { method = "GET", body } = {}) {
  const headers = { ...authHeaders() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 204) return null;
  return jsonOf(response);
}

// The header's links for some roles only (data-roles="editor administrator"): shown on the pages
// that sign in, once signed in with one of those roles.
function showRoleLinks() {
  for (const item of document.querySelectorAll("[data-roles]")) {
    item.hidden = !auth || !item.dataset.roles.split(" ").includes(auth.role);
  }
}

function show() {
  showRoleLinks();
  $("signin-intro").hidden = Boolean(auth);
  $("signin-forms").hidden = Boolean(auth);
  $("signed-in").hidden = !auth;
  if (auth) {
    $("signed-in-as").textContent = auth.via === "session" && auth.user
      ? t("signin.asUser", { user: auth.user }) : t("signin.asKey");
  }
  changed(auth);
}

function keep(key) {
  try {
    if (key) sessionStorage.setItem(keyStorage, key);
    else sessionStorage.removeItem(keyStorage);
  } catch {
    // without storage the key lasts as long as the page
  }
}

// Asks iiifd who we are: with the key when one is given, else with the session cookie.
async function checkSession(key) {
  const headers = key ? { Authorization: `Bearer ${key}` } : {};
  const response = await fetch("/api/v1/session", { headers, credentials: "same-origin" });
  if (response.status === 401 || response.status === 403) {
    return { refused: response.status };
  }
  return { session: await jsonOf(response) };
}

// The API key this tab keeps, or null.
function storedKey() {
  try {
    return sessionStorage.getItem(keyStorage);
  } catch {
    return null;
  }
}

// Who the visitor is, for a page without the sign-in forms (the document page): the session
// answer for the key this tab keeps, else for the session cookie; null when neither is one (a
// 401, which a visitor who never signed in gets).
export async function currentSession() {
  const stored = storedKey();
  for (const key of stored ? [stored, null] : [null]) {
    try {
      const answer = await checkSession(key);
      if (answer.session) return answer.session;
    } catch {
      // not answered: as far as this page knows, not signed in
    }
  }
  return null;
}

// Signs in with `key` (null: the session cookie); true when it was accepted. `quiet`: no
// message when it was not (the page's first look).
async function signIn(key, quiet) {
  const status = $("signin-status");
  if (key && !quiet) status.textContent = t("signin.checking");
  try {
    const answer = await checkSession(key);
    if (answer.refused) {
      if (!quiet) {
        status.textContent = t(answer.refused === 403 ? "signin.notDepositor"
          : key ? "signin.refused" : "signin.noSession");
      }
      return false;
    }
    apiKey = key;
    auth = answer.session;
    if (key) keep(key);
    status.textContent = "";  // #signed-in-as says it (a status region too)
    show();
    return true;
  } catch (error) {
    if (!quiet) status.textContent = t("signin.error", { reason: error.message });
    return false;
  }
}

// The sign-in was refused later (a 401): the page goes back to its sign-in forms.
export function forgetSignIn() {
  keep(null);
  apiKey = null;
  auth = null;
  show();
}

// Wires the sign-in section; `focusAfter` is the id of what takes the focus once signed in.
// Resolves once a session already open, or a key given earlier in this tab, has been tried.
export async function setUpSignIn({ onChange, focusAfter }) {
  changed = onChange;
  const status = $("signin-status");
  $("key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const field = $("api-key");
    const key = field.value.trim();
    if (!key) {
      status.textContent = t("signin.refused");
      field.focus();
      return;
    }
    if (await signIn(key, false)) {
      field.value = "";
      $(focusAfter).focus();
    }
  });

  // The account: the auth service's sign-in page (the IIIF access service) in its own window;
  // when it closes, the session cookie it set is asked about.
  $("account-signin").addEventListener("click", () => {
    const popup = window.open("/auth/login", "iiif-signin", "width=520,height=680");
    if (!popup) {
      status.textContent = t("signin.popupBlocked");
      return;
    }
    const timer = setInterval(async () => {
      if (!popup.closed) return;
      clearInterval(timer);
      window.focus();  // back from the sign-in window
      if (await signIn(null, false)) $(focusAfter).focus();
    }, 400);
  });

  $("signout").addEventListener("click", async () => {
    if (auth?.via === "session") {
      await fetch("/auth/logout", { credentials: "same-origin" }).catch(() => null);
    }
    status.textContent = "";
    forgetSignIn();
    $("account-signin").focus();
  });

  const stored = storedKey();
  if (!(stored && (await signIn(stored, true)))) await signIn(null, true);
  if (!auth) show();
}
