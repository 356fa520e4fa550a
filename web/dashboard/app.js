// The operator's dashboard: signs in with an API key (kept in sessionStorage for this tab only,
// never in localStorage or a URL), then shows the screens the key's scopes allow.

import { Api, problem } from "./api.js";
import { el, busy } from "./dom.js";
import * as fields from "./fields.js";
import * as users from "./users.js";
import * as webhooks from "./webhooks.js";

const SESSION = "userfields-dashboard";
const SCREENS = { fields, users, webhooks };
const main = document.getElementById("main");

function stored() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION) || "null");
  } catch {
    return null;
  }
}

/** Checks a key with the API: its scopes, or the message to show. */
async function check(credentials) {
  const api = new Api(credentials);
  const answer = await api.call("GET", api.env("/apiKeys/current"));
  return answer.ok ? { api, key: answer.data } : { error: problem(answer) };
}

function signInForm(error) {
  document.getElementById("nav").hidden = true;
  document.getElementById("who").hidden = true;
  const params = new URLSearchParams(location.search);
  const previous = stored() || {};
  const field = (id, label, attrs) => el("div", { class: "row" }, el("label", { for: id, text: label }), el("input", { id, name: id, required: true, ...attrs }));
  const message = el("p", { id: "signin-error", class: "error", role: "alert", text: error || "" });
  const submit = el("button", { type: "submit", text: "Sign in" });
  const form = el("form", { id: "signin", "aria-describedby": "signin-error" },
    el("h2", { text: "Sign in with an API key" }),
    el("p", { text: "The key stays in this tab only, and is forgotten when the tab closes." }),
    field("api-base", "API address", { type: "url", value: params.get("api") || previous.base || location.origin, autocomplete: "url" }),
    field("environment-id", "Environment ID", { value: params.get("environmentId") || previous.environmentId || "", autocomplete: "off", spellcheck: "false" }),
    field("api-key", "API key", { type: "password", autocomplete: "off", spellcheck: "false" }),
    message, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const credentials = {
      base: form.elements["api-base"].value.trim(),
      environmentId: form.elements["environment-id"].value.trim(),
      key: form.elements["api-key"].value.trim(),
    };
    busy(submit, async () => {
      message.textContent = "";
      const result = await check(credentials);
      if (result.error) {
        message.textContent = result.error;
        return form.elements["api-key"].focus();
      }
      sessionStorage.setItem(SESSION, JSON.stringify(credentials));
      start(result);
    });
  });
  main.replaceChildren(form);
  (form.elements["environment-id"].value ? form.elements["api-key"] : form.elements["environment-id"]).focus();
}

function signOut() {
  sessionStorage.removeItem(SESSION);
  location.hash = "";
  signInForm();
}

/** The signed-in dashboard: who, the navigation, and the screen the hash names. */
function start({ api, key }) {
  const scopes = new Set(key.scopes);
  const who = document.getElementById("who");
  who.replaceChildren(
    el("span", { text: `Environment ${api.environmentId} · key ${key.apiKeyId}` }),
    el("button", { type: "button", class: "quiet", text: "Sign out", on: { click: signOut } }));
  who.hidden = false;
  document.getElementById("nav").hidden = false;
  const context = { api, scopes, can: (scope) => scopes.has(scope) };
  const show = () => {
    const name = location.hash.slice(1) in SCREENS ? location.hash.slice(1) : "fields";
    for (const link of document.querySelectorAll("#nav a")) {
      if (link.dataset.screen === name) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    const screen = el("div", { class: "screen", "data-screen": name });
    main.replaceChildren(screen);
    SCREENS[name].mount(screen, context);
  };
  window.onhashchange = show;
  show();
}

async function boot() {
  const credentials = stored();
  if (!credentials?.key) return signInForm();
  const result = await check(credentials);
  if (result.error) return signInForm(result.error);
  start(result);
}

boot();
