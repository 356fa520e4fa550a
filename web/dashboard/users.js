// Users: search by the filter columns, page through, open one (fields, missing fields,
// credentials, sessions), edit, revoke sessions, delete with a confirmation, export to CSV.

import { problem } from "./api.js";
import { el, busy, humanise, statusLine, users } from "./dom.js";

const COLUMNS = [["email", "Email"], ["id", "User ID"], ["username", "Username"], ["firstName", "First name"], ["lastName", "Last name"],
  ["phoneNumber", "Phone number"], ["alias", "Alias"], ["jobTitle", "Job title"], ["all", "Any of these"]];
const PAGE = 20;

export async function mount(screen, context) {
  const fields = await context.api.call("GET", context.api.env("/settings/userFields"));
  new UsersScreen(screen, context, fields.ok ? fields.data.fields : null).list();
}

class UsersScreen {
  constructor(screen, { api, can }, fields) {
    this.screen = screen;
    this.api = api;
    this.can = can;
    this.fields = fields; // null when this key may not read the settings
    this.query = { column: "email", value: "" };
    this.cursors = [null]; // the cursor of each page seen, for Previous
    this.offset = 0;
  }

  // ------------------------------------------------------------------ the list

  list(message) {
    const column = el("select", { id: "search-column" }, ...COLUMNS.map(([value, label]) => el("option", { value, selected: value === this.query.column, text: label })));
    const value = el("input", { type: "search", id: "search-value", value: this.query.value, spellcheck: "false", autocomplete: "off" });
    const form = el("form", { id: "search", role: "search", class: "inline" },
      el("div", { class: "row" }, el("label", { for: "search-column", text: "Column" }), column),
      el("div", { class: "row grow" }, el("label", { for: "search-value", text: "Value (exact, any case)" }), value),
      el("button", { type: "submit", text: "Search" }));
    this.results = el("section", { id: "results", "aria-labelledby": "results-title" });
    this.status = statusLine({ id: "users-status", text: message || "" });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.query = { column: column.value, value: value.value.trim() };
      this.cursors = [null];
      this.offset = 0;
      this.load(0);
    });
    this.screen.replaceChildren(el("h2", { text: "Users" }), form, this.status, this.results, this.exportPanel());
    this.load(this.cursors.length - 1);
  }

  /** Page `page` of the list: a filter pages by offset, the whole list by cursor. */
  async load(page) {
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (this.query.value) {
      params.set("filter[filterColumn]", this.query.column);
      params.set("filter[filterValue]", this.query.value);
      if (this.offset) params.set("offset", String(this.offset));
    } else if (this.cursors[page]) {
      params.set("cursor", this.cursors[page]);
    }
    const run = (this.loadRun = (this.loadRun || 0) + 1);
    this.results.setAttribute("aria-busy", "true");
    const answer = await this.api.call("GET", `${this.api.env("/users")}?${params}`);
    if (run !== this.loadRun) return; // a later search or page asked since: its answer wins
    this.results.removeAttribute("aria-busy");
    const title = el("h3", { id: "results-title", text: this.query.value ? `Users whose ${this.query.column} is “${this.query.value}”` : "All users" });
    if (!answer.ok) return this.results.replaceChildren(title, el("p", { class: "error", role: "alert", text: problem(answer) }));
    const { users: found, nextCursor, count, truncated } = answer.data;
    const rows = found.map((user) => el("tr", {},
      el("td", {}, el("button", { type: "button", class: "link", text: user.email || user.username || user.id, on: { click: () => this.open(user.id) } })),
      el("td", { text: [user.firstName, user.lastName].filter(Boolean).join(" ") }),
      el("td", { text: user.missingFields?.length ? user.missingFields.map((f) => f.name).join(", ") : "—" }),
      el("td", { text: new Date(user.createdAt).toLocaleString() })));
    const table = found.length
      ? el("table", {}, el("thead", {}, el("tr", {}, ...["User", "Name", "Missing", "Created"].map((h) => el("th", { scope: "col", text: h })))), el("tbody", {}, ...rows))
      : el("p", { text: this.query.value ? "No user matches." : "No users yet." });
    const filtered = !!this.query.value;
    const hasPrevious = filtered ? this.offset > 0 : page > 0;
    const hasNext = filtered ? this.offset + found.length < count : !!nextCursor;
    const pager = el("div", { class: "pager" },
      el("button", { type: "button", class: "quiet", id: "previous-page", disabled: !hasPrevious, text: "Previous", on: { click: () => {
        if (filtered) this.offset = Math.max(0, this.offset - PAGE);
        else this.cursors.pop();
        this.load(filtered ? 0 : this.cursors.length - 1);
      } } }),
      el("span", { text: filtered ? `${this.offset + 1}–${this.offset + found.length} of ${count}${truncated ? "+" : ""}` : `Page ${page + 1}` }),
      el("button", { type: "button", class: "quiet", id: "next-page", disabled: !hasNext, text: "Next", on: { click: () => {
        if (filtered) this.offset += PAGE;
        else this.cursors.push(nextCursor);
        this.load(filtered ? 0 : this.cursors.length - 1);
      } } }));
    this.results.replaceChildren(title, table, found.length ? pager : null);
  }

  // ------------------------------------------------------------------ one user

  async open(userId, message) {
    const answer = await this.api.call("GET", this.api.env(`/users/${encodeURIComponent(userId)}`));
    if (!answer.ok) return (this.status.textContent = problem(answer));
    const user = answer.data.user;
    const status = statusLine({ id: "user-status", text: message || "" });
    const back = el("button", { type: "button", class: "quiet", id: "back", text: "← Back to users", on: { click: () => this.list() } });
    const facts = el("dl", { class: "facts" },
      ...[["User ID", user.id], ["Created", user.createdAt], ["Updated", user.updatedAt]].flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v || "—" })]));
    const missing = el("section", { "aria-labelledby": "missing-title" }, el("h3", { id: "missing-title", text: "Missing fields" }),
      user.missingFields?.length ? el("ul", { id: "missing" }, ...user.missingFields.map((f) => el("li", { text: f.name }))) : el("p", { id: "missing", text: "None: the profile is complete." }));
    const credentials = el("section", { "aria-labelledby": "credentials-title" }, el("h3", { id: "credentials-title", text: "Credentials" }),
      user.verifiedCredentials?.length
        ? el("ul", {}, ...user.verifiedCredentials.map((c) => el("li", { text: `${c.format}: ${c.email || c.address || c.oauthUsername || c.publicIdentifier || c.id}${c.verifiedAt ? ` (verified ${c.verifiedAt})` : ""}` })))
        : el("p", { text: "No verified credential yet." }));
    const writable = this.can("users:write");
    const sessions = el("section", { "aria-labelledby": "sessions-title" }, el("h3", { id: "sessions-title", text: "Sessions" }),
      sessionList(user.sessions || []),
      el("p", { text: "Revoking ends every session this user has: their tokens are refused from then on." }),
      el("button", { type: "button", id: "revoke", class: "danger", disabled: !writable || !user.sessions?.length, text: "Revoke all sessions", on: { click: (e) => busy(e.currentTarget, async () => {
        const done = await this.api.call("POST", this.api.env(`/users/${encodeURIComponent(user.id)}/sessions/revoke`));
        if (!done.ok) return (status.textContent = problem(done));
        this.open(user.id, "Every session of this user is revoked.");
      }) } }));
    const remove = el("button", { type: "button", id: "delete", class: "danger", disabled: !writable, text: "Delete user…", on: { click: () => this.confirmDelete(user, status) } });
    this.screen.replaceChildren(back, el("h2", { text: user.email || user.id }), status, facts,
      this.editForm(user, status, writable), missing, credentials, sessions,
      el("section", { "aria-labelledby": "danger-title" }, el("h3", { id: "danger-title", text: "Delete" }), remove));
    if (message) status.focus?.();
    else back.focus();
  }

  /** The user's fields as the configuration lists them; only what changed is sent. */
  editForm(user, status, writable) {
    const form = el("form", { id: "edit-user", "aria-labelledby": "edit-title" }, el("h3", { id: "edit-title", text: "Profile" }));
    if (!this.fields) return form.append(el("p", { text: "This key may not read the field configuration." })), form;
    const shown = this.fields.filter((f) => f.enabled !== false);
    const inputs = shown.map((field) => {
      const id = `u-${field.name}`;
      const current = field.type === "custom" ? user.metadata?.[field.name] : user[field.name];
      const kind = field.validationType || "text";
      let input;
      if (kind === "checkbox") input = el("input", { type: "checkbox", id, checked: current === true, disabled: !writable });
      else if (kind === "select") {
        input = el("select", { id, disabled: !writable }, el("option", { value: "", text: "—" }),
          ...(field.validationRules?.validOptions || []).map((o) => el("option", { value: o.key ?? o.label, selected: (o.key ?? o.label) === current, text: o.label })));
      } else input = el("input", { type: field.name === "email" ? "email" : "text", id, value: current ?? "", disabled: !writable, spellcheck: "false" });
      const error = el("p", { id: `${id}-error`, class: "error", "aria-live": "polite" });
      input.setAttribute("aria-describedby", `${id}-error`);
      const label = field.label || humanise(field.name);
      const row = kind === "checkbox"
        ? el("div", { class: "row" }, el("label", { class: "check", for: id }, input, label), error)
        : el("div", { class: "row" }, el("label", { for: id, text: label + (field.required ? " *" : "") }), input, error);
      const value = () => kind === "checkbox" ? input.checked : input.value.trim() === "" ? null : input.value.trim();
      return { field, row, input, error, value, initial: value() };
    });
    const save = el("button", { type: "submit", disabled: !writable, text: "Save profile" });
    form.append(...inputs.map((i) => i.row), save);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const body = {};
      for (const i of inputs) {
        i.error.textContent = "";
        if (i.value() === i.initial) continue;
        if (i.field.type === "custom") (body.metadata ??= {})[i.field.name] = i.value();
        else body[i.field.name] = i.value();
      }
      if (!Object.keys(body).length) return (status.textContent = "Nothing changed.");
      busy(save, async () => {
        const answer = await this.api.call("PUT", this.api.env(`/users/${encodeURIComponent(user.id)}`), body);
        // Read again: the missing fields follow what was saved.
        if (answer.ok) return this.open(user.id, "Saved.");
        const name = String(answer.data.payload?.field || "").replace(/^metadata\./, "");
        const at = inputs.find((i) => i.field.name === name);
        if (at) {
          at.error.textContent = problem(answer);
          at.input.focus();
        }
        status.textContent = at ? "Not saved: see the field marked." : problem(answer);
      });
    });
    return form;
  }

  confirmDelete(user, status) {
    const name = user.email || user.id;
    const confirm = el("button", { type: "button", id: "confirm-delete", class: "danger", text: "Delete" });
    const cancel = el("button", { type: "button", class: "quiet", text: "Cancel" });
    const dialog = el("dialog", { id: "delete-dialog", "aria-labelledby": "delete-title" },
      el("h3", { id: "delete-title", text: `Delete ${name}?` }),
      el("p", { text: "The profile, its credentials and its sessions are removed. This cannot be undone." }),
      el("div", { class: "actions" }, confirm, cancel));
    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => dialog.remove());
    confirm.addEventListener("click", () => busy(confirm, async () => {
      const answer = await this.api.call("DELETE", this.api.env(`/users/${encodeURIComponent(user.id)}`));
      dialog.close();
      if (!answer.ok) return (status.textContent = problem(answer));
      this.list(`${name} was deleted.`);
    }));
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  }

  // ------------------------------------------------------------------ export

  exportPanel() {
    const progress = el("progress", { id: "export-progress", max: "3", value: "0", hidden: true });
    const status = statusLine({ id: "export-status" });
    const start = el("button", { type: "button", id: "export", class: "quiet", text: "Export all users to CSV" });
    start.addEventListener("click", () => busy(start, async () => {
      const created = await this.api.call("POST", this.api.env("/exports"), { format: "csv", model: "users" });
      if (!created.ok) return (status.textContent = problem(created));
      progress.hidden = false;
      let exp = created.data;
      for (let wait = 500; exp.status === "pending" || exp.status === "processing"; wait = Math.min(wait * 1.5, 5000)) {
        progress.value = exp.status === "pending" ? 1 : 2;
        status.textContent = exp.status === "pending" ? "Export queued…" : "Exporting…";
        await new Promise((r) => setTimeout(r, wait));
        const polled = await this.api.call("GET", this.api.env(`/exports/${encodeURIComponent(exp.id)}`));
        if (!polled.ok) return (status.textContent = problem(polled));
        exp = polled.data;
      }
      progress.value = 3;
      if (exp.status !== "completed") return (status.textContent = `The export ${exp.status}.`);
      const file = await this.api.download(this.api.env(`/exports/${encodeURIComponent(exp.id)}/download`));
      if (!file.ok) return (status.textContent = problem(file));
      const link = el("a", { href: URL.createObjectURL(file.blob), download: `users-${exp.id}.csv`, id: "export-file", text: `Save users-${exp.id}.csv` });
      status.replaceChildren(`Exported ${users(exp.userCount ?? 0)}. `, link);
    }));
    return el("section", { "aria-labelledby": "export-title", class: "export" }, el("h3", { id: "export-title", text: "Export" }), start, progress, status);
  }
}

/** The user's live sessions, newest first. */
function sessionList(sessions) {
  if (!sessions.length) return el("p", { id: "sessions", text: "No live session." });
  return el("table", { id: "sessions" },
    el("thead", {}, el("tr", {}, ...["Session", "Started", "Expires"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...sessions.map((s) => el("tr", {},
      el("td", {}, el("code", { text: s.id })),
      el("td", { text: new Date(s.createdAt).toLocaleString() }),
      el("td", { text: new Date(s.expiresAt).toLocaleString() })))));
}
