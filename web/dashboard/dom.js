// DOM helpers for the dashboard. Data only ever reaches the page as text nodes and attribute
// values (never as HTML), so nothing a user typed into a profile can run here.

/**
 * `el("button", {type: "button", text: "Save", on: {click}}, ...children)`: `text` sets
 * textContent, `on` adds listeners, `false`/`null`/`undefined` attributes are left out, `true`
 * ones are set empty; `null`/`false` children are skipped.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === undefined || value === null) continue;
    if (key === "text") node.textContent = value;
    else if (key === "on") for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    else if (key === "checked" || key === "value" || key === "selected") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.flat().filter((c) => c !== null && c !== false && c !== undefined));
  return node;
}

/** "firstName" -> "First name", as the profile element labels a field without a label. */
export function humanise(name) {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Runs `work` with `control` disabled and marked busy (its loading state). */
export async function busy(control, work) {
  const region = control.closest("section") || control;
  control.disabled = true;
  region.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    control.disabled = false;
    region.removeAttribute("aria-busy");
  }
}

/** A status line that announces what it is given. */
export function statusLine(attrs = {}) {
  return el("p", { class: "status", role: "status", "aria-live": "polite", ...attrs });
}

/** 1204 -> "1,204 users", 1 -> "1 user". */
export function users(n) {
  return `${n.toLocaleString("en-US")} ${n === 1 ? "user" : "users"}`;
}
