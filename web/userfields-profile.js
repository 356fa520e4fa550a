// <userfields-profile>: sign-in by email code and profile completion for userfields.
// A dependency-free ES module. Embed with one script and one element:
//
//   <script type="module" src="https://your.cdn/userfields-profile.js"></script>
//   <userfields-profile environment-id="..." api-base="https://<end-user api>"></userfields-profile>
//
// It signs the user in by email code when there is no session, then asks for exactly the fields
// the server reports missing (`missingFields`), or the names in the `fields` attribute. A field
// whose `userAccess` is `view` (or a `writeOnce` one already set) is shown read-only and never
// sent; `hidden` fields never reach the element. When everything asked for is saved it dispatches `userfields-complete` (bubbles, composed) with
// `detail: {jwt, user}`. `updateUserWithModal(names, options)` does the same in a modal dialog.
//
// `element.preview = {fields}` shows, with no session and no request, the form an end user
// would get for that field configuration (the operator's dashboard uses it).
//
// Styling, through CSS custom properties on the element (or any ancestor):
//   --userfields-font            font shorthand               (inherit)
//   --userfields-gap             space between rows           (0.75rem)
//   --userfields-radius          corner radius                (6px)
//   --userfields-border          input border colour          (#8a8f98)
//   --userfields-accent          button and focus colour      (#2f5bea)
//   --userfields-accent-text     text on the accent colour    (#ffffff)
//   --userfields-error           error text colour            (#b3261e)
//   --userfields-background      panel background             (transparent)
//   --userfields-readonly        read-only (`view`) fields    (#eef0f3)
// and `::part()` names: form, label, input, error, button, status, required.

const TOKEN_KEY = (env) => `userfields:${env}:jwt`;

const STYLE = `
:host { display: block; font: var(--userfields-font, inherit); }
form { display: grid; gap: var(--userfields-gap, 0.75rem); background: var(--userfields-background, transparent); }
.row { display: grid; gap: 0.25rem; }
label { font-weight: 600; }
input[type=text], input[type=email], select {
  font: inherit; padding: 0.5rem; border: 1px solid var(--userfields-border, #8a8f98);
  border-radius: var(--userfields-radius, 6px);
}
input[disabled], select[disabled] { background: var(--userfields-readonly, #eef0f3); color: inherit; cursor: default; }
input:focus-visible, select:focus-visible, button:focus-visible {
  outline: 2px solid var(--userfields-accent, #2f5bea); outline-offset: 2px;
}
.check { display: flex; gap: 0.5rem; align-items: center; font-weight: normal; }
.error { color: var(--userfields-error, #b3261e); min-height: 1em; font-size: 0.9em; }
button {
  font: inherit; padding: 0.55rem 1rem; border: 0; border-radius: var(--userfields-radius, 6px);
  background: var(--userfields-accent, #2f5bea); color: var(--userfields-accent-text, #fff); cursor: pointer;
}
button[disabled] { opacity: 0.6; cursor: progress; }
.required { color: var(--userfields-error, #b3261e); }
`;

/** "firstName" -> "First name", "tShirtSize" -> "T shirt size". */
function humanise(name) {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === undefined || value === null) continue;
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children);
  return node;
}

/** The stored value of a select option: its key, or its label when it has none. */
const optionValue = (option) => option.key ?? option.label;

export class UserfieldsProfile extends HTMLElement {
  static observedAttributes = ["environment-id", "api-base", "fields"];

  constructor() {
    super();
    const shadow = this.attachShadow({ mode: "open" });
    // A constructed sheet where the browser has them: a page with a strict
    // Content-Security-Policy (no 'unsafe-inline' styles, as the dashboard's) still styles it.
    if ("adoptedStyleSheets" in shadow && "replaceSync" in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      shadow.append(el("style", { text: STYLE }));
    }
    this.root = el("div");
    this.shadowRoot.append(this.root);
    this.uid = Math.random().toString(36).slice(2, 8);
  }

  get environmentId() { return this.getAttribute("environment-id"); }
  get apiBase() { return (this.getAttribute("api-base") || "").replace(/\/$/, ""); }
  /** The field names asked for, or null for "whatever is missing". */
  get requested() {
    const names = (this.getAttribute("fields") || "").split(",").map((s) => s.trim()).filter(Boolean);
    return names.length ? names : null;
  }
  get token() { return sessionStorage.getItem(TOKEN_KEY(this.environmentId)); }
  set token(jwt) {
    if (jwt) sessionStorage.setItem(TOKEN_KEY(this.environmentId), jwt);
    else sessionStorage.removeItem(TOKEN_KEY(this.environmentId));
  }

  connectedCallback() { this.restart(); }
  attributeChangedCallback(_name, old, now) { if (this.isConnected && old !== now) this.restart(); }

  /** Starts over once per task, however many attributes changed together. */
  restart() {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      this.start();
    });
  }

  async call(method, path, body, auth = true) {
    const headers = { "content-type": "application/json" };
    if (auth && this.token) headers.authorization = `Bearer ${this.token}`;
    // Dynamic's end-user protocol: the same routes Dynamic's own client calls.
    const response = await fetch(`${this.apiBase}/sdk/${this.environmentId}${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, data };
  }

  /**
   * Preview mode (the dashboard's): `element.preview = {fields}` shows the form an end user would
   * get for that field configuration (every enabled field they may see), with no session and
   * no request; saving it only says so. `null` ends the preview.
   */
  set preview(config) {
    this.previewConfig = config;
    this.restart();
  }
  get preview() { return this.previewConfig ?? null; }

  async start() {
    if (this.previewConfig) return this.showPreview(this.previewConfig);
    if (!this.environmentId || !this.apiBase) return;
    if (!this.token) return this.showEmailStep();
    // The user (its missing fields) and the form's fields (`kyc` of the settings).
    const [me, settings] = await Promise.all([this.call("GET", "/users"), this.call("GET", "/settings", undefined, false)]);
    if (me.status === 401) {
      this.token = null;
      return this.showEmailStep();
    }
    if (!me.ok) return this.showStatus(me.data.error || "The profile could not be loaded.");
    if (!settings.ok) return this.showStatus(settings.data.error || "The profile could not be loaded.");
    this.showForm({ user: me.data, fields: settings.data.kyc });
  }

  // ---------------------------------------------------------------- steps

  showStatus(text) {
    this.root.replaceChildren(el("p", { part: "status", role: "status", text }));
  }

  /** A one-input form (email or code) with its own error line. */
  singleInput({ id, label, type, autocomplete, inputmode, pattern, button, onSubmit, hint }) {
    const inputId = `${id}-${this.uid}`;
    const errorId = `${inputId}-error`;
    const input = el("input", {
      id: inputId, name: id, type, required: true, autocomplete, inputmode, pattern,
      part: "input", "aria-describedby": errorId,
    });
    const error = el("div", { id: errorId, class: "error", part: "error", "aria-live": "polite" });
    const submit = el("button", { type: "submit", part: "button", text: button });
    const form = el("form", { part: "form", novalidate: true },
      ...(hint ? [el("p", { part: "status", text: hint })] : []),
      el("div", { class: "row" }, el("label", { for: inputId, part: "label", text: label }), input, error),
      submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      input.removeAttribute("aria-invalid");
      if (!input.checkValidity()) {
        error.textContent = input.validationMessage;
        input.setAttribute("aria-invalid", "true");
        return input.focus();
      }
      submit.disabled = true;
      try {
        const problem = await onSubmit(input.value.trim());
        if (problem) {
          error.textContent = problem;
          input.setAttribute("aria-invalid", "true");
          input.focus();
        }
      } finally {
        submit.disabled = false;
      }
    });
    this.root.replaceChildren(form);
    input.focus();
  }

  showEmailStep() {
    this.singleInput({
      id: "email", label: "Email", type: "email", autocomplete: "email", button: "Send code",
      onSubmit: async (email) => {
        const started = await this.call("POST", "/emailVerifications/create", { email }, false);
        if (!started.ok) return started.data.error || "The code could not be sent.";
        this.showCodeStep(email, (code) => this.call("POST", "/emailVerifications/signin",
          { verificationUUID: started.data.verificationUUID, verificationToken: code }, false));
      },
    });
  }

  /** Asks for the code sent to `email`; `verify(code)` answers the server's reply. */
  showCodeStep(email, verify) {
    this.singleInput({
      id: "code", label: "Code", type: "text", autocomplete: "one-time-code", inputmode: "numeric",
      pattern: "[0-9]{6}", button: "Verify", hint: `We sent a 6-digit code to ${email}.`,
      onSubmit: async (code) => {
        const verified = await verify(code);
        if (!verified.ok) return verified.data.error || "The code was not accepted.";
        if (verified.data.minifiedJwt) this.token = verified.data.minifiedJwt;
        await this.start();
      },
    });
  }

  showPreview({ fields }) {
    const shown = (fields || []).filter((f) => f.enabled !== false && (f.userAccess ?? "edit") !== "hidden");
    if (!shown.length) return this.showStatus("No field is collected.");
    this.showForm({ user: {}, fields: shown, wanted: shown, preview: true });
  }

  showForm({ user, fields, wanted: given, preview = false }) {
    const byName = new Map(fields.map((f) => [f.name, f]));
    const wanted = given ? [...given] : this.requested
      ? this.requested.map((name) => byName.get(name)).filter(Boolean)
      : user.missingFields;
    if (!wanted.length) return this.complete(user);
    wanted.sort((a, b) => (a.position ?? 1e9) - (b.position ?? 1e9));
    const rows = wanted.map((field) => this.fieldRow(field, user));
    // A `view` field (or a `writeOnce` one already set) is the operator's to change: shown, never sent.
    if (!rows.some((r) => r.editable)) {
      const note = el("p", { part: "status", role: "status", text: "The rest of your profile is completed by the site's team." });
      return this.root.replaceChildren(el("form", { part: "form", novalidate: true }, ...rows.map((r) => r.row), note));
    }
    const formError = el("div", { class: "error", part: "error", "aria-live": "polite" });
    const submit = el("button", { type: "submit", part: "button", text: "Save" });
    const form = el("form", { part: "form", novalidate: true }, ...rows.map((r) => r.row), formError, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      formError.textContent = "";
      const body = {};
      let firstBad = null;
      for (const row of rows) {
        const problem = row.check();
        row.show(problem);
        if (problem && !firstBad) firstBad = row;
        if (problem || !row.editable) continue;
        const value = row.value();
        if (value === undefined) continue;
        if (row.field.type === "custom") (body.metadata ??= {})[row.field.name] = value;
        else body[row.field.name] = value;
      }
      if (firstBad) return firstBad.focus();
      if (preview) {
        formError.textContent = "Preview: nothing is saved.";
        return;
      }
      submit.disabled = true;
      try {
        await this.save(body, rows, formError);
      } finally {
        submit.disabled = false;
      }
    });
    this.root.replaceChildren(form);
    if (!preview) rows.find((r) => r.editable)?.focus();
  }

  async save(body, rows, formError) {
    const saved = await this.call("PUT", "/users", body);
    if (saved.status === 401) {
      this.token = null;
      return this.showEmailStep();
    }
    if (!saved.ok) {
      const name = String(saved.data.payload?.field || "").replace(/^metadata\./, "");
      const row = rows.find((r) => r.field.name === name);
      const message = saved.data.error || "The profile could not be saved.";
      if (row) {
        row.show(message);
        return row.focus();
      }
      formError.textContent = message;
      return;
    }
    if (saved.data.minifiedJwt) this.token = saved.data.minifiedJwt;
    if (saved.data.nextView === "verify-email") {
      const pending = saved.data.emailVerification;
      return this.showCodeStep(pending.email, (code) => this.call("POST", "/emailVerifications/verify",
        { verificationUUID: pending.verificationUUID, verificationToken: code }));
    }
    if (this.requested) return this.complete(saved.data.user);
    await this.start();
  }

  complete(user) {
    this.showStatus("Your profile is complete.");
    this.dispatchEvent(new CustomEvent("userfields-complete", {
      bubbles: true, composed: true, detail: { jwt: this.token, user },
    }));
  }

  // ---------------------------------------------------------------- one field

  fieldRow(field, user) {
    const id = `f-${field.name}-${this.uid}`;
    const errorId = `${id}-error`;
    const rules = field.validationRules || {};
    const kind = field.validationType || (rules.validOptions ? "select" : "text");
    const current = field.type === "custom" ? user.metadata?.[field.name] : user[field.name];
    const labelText = field.label || humanise(field.name);
    const label = el("label", { for: id, part: "label" }, labelText);
    if (field.required) label.append(" ", el("span", { class: "required", part: "required", "aria-hidden": "true", text: "*" }));
    const editable = (field.userAccess ?? "edit") === "edit" && !(field.writeOnce && current != null && current !== "");
    const common = { id, name: field.name, part: "input", required: field.required && editable, "aria-describedby": errorId };
    if (!editable) common.disabled = true;
    let input;
    if (kind === "checkbox") {
      input = el("input", { ...common, type: "checkbox", checked: current === true });
      label.replaceChildren(input, " ", rules.checkboxText || labelText);
      label.className = "check";
      if (field.required) label.append(" ", el("span", { class: "required", part: "required", "aria-hidden": "true", text: "*" }));
    } else if (kind === "select") {
      input = el("select", common, el("option", { value: "", text: "Choose…" }),
        ...(rules.validOptions || []).map((o) => el("option", { value: optionValue(o), selected: optionValue(o) === current, text: o.label })));
    } else {
      const type = field.name === "email" ? "email" : "text";
      input = el("input", { ...common, type, value: current ?? "", autocomplete: field.name === "email" ? "email" : undefined });
    }
    const error = el("div", { id: errorId, class: "error", part: "error", "aria-live": "polite" });
    const row = el("div", { class: "row" }, label, ...(kind === "checkbox" ? [] : [input]), error);
    let pattern = null;
    if (rules.regex) {
      try { pattern = new RegExp(rules.regex, "u"); } catch { pattern = null; } // the server still checks
    }
    return {
      field, row, editable,
      focus: () => input.focus(),
      value: () => {
        if (kind === "checkbox") return input.checked;
        const text = input.value.trim();
        return text === "" ? undefined : text;
      },
      check: () => {
        if (!editable) return null;
        if (kind === "checkbox") return field.required && !input.checked ? `${labelText} must be ticked.` : null;
        const text = input.value.trim();
        if (!text) return field.required ? `${labelText} is required.` : null;
        if (pattern && !pattern.test(text)) return `${labelText} is not in the expected format.`;
        if (input.type === "email" && !input.checkValidity()) return input.validationMessage;
        return null;
      },
      show: (problem) => {
        error.textContent = problem || "";
        if (problem) input.setAttribute("aria-invalid", "true");
        else input.removeAttribute("aria-invalid");
      },
    };
  }
}

if (!customElements.get("userfields-profile")) customElements.define("userfields-profile", UserfieldsProfile);

/**
 * Opens a modal asking for just `fieldNames` (Dynamic's `updateUserWithModal`). Resolves with
 * `{jwt, user}` once they are saved; rejects if the dialog is closed first.
 * `options`: `{environmentId, apiBase}`, or taken from the first <userfields-profile> on the page.
 */
export function updateUserWithModal(fieldNames, options = {}) {
  const template = document.querySelector("userfields-profile");
  const environmentId = options.environmentId ?? template?.getAttribute("environment-id");
  const apiBase = options.apiBase ?? template?.getAttribute("api-base");
  const dialog = el("dialog", { "aria-label": "Update your profile" });
  const profile = el("userfields-profile", { "environment-id": environmentId, "api-base": apiBase, fields: fieldNames.join(",") });
  const close = el("button", { type: "button", text: "Close" });
  dialog.append(profile, close);
  document.body.append(dialog);
  return new Promise((resolve, reject) => {
    profile.addEventListener("userfields-complete", (event) => {
      resolve(event.detail);
      dialog.close();
    });
    close.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      reject(new Error("closed"));
    });
    dialog.showModal();
  });
}
