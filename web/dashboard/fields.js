// "Additional user information": which fields are collected, required, unique, their labels,
// order and end-user access, custom fields with their rules; what a change does to the users
// there are (counted by the API) before it is saved; the end user's form as a preview.

import "../userfields-profile.js";
import { problem } from "./api.js";
import { el, busy, humanise, statusLine, users } from "./dom.js";

const ACCESS = [["edit", "Sees and changes it"], ["view", "Sees it, cannot change it"], ["hidden", "Never sees it"]];
const KINDS = [["text", "Text"], ["checkbox", "Checkbox"], ["select", "Select"]];

export async function mount(screen, { api, can }) {
  const readOnly = !can("settings:write");
  screen.append(el("h2", { text: "Additional user information" }),
    el("p", { text: "Choose which fields to collect and whether each is optional or required. A newly required field is asked at each user's next sign-in." }));
  if (readOnly) {
    screen.append(el("p", { class: "note", id: "read-only", text: "This key can read the settings but not change them (it lacks settings:write)." }));
  }
  const loaded = await api.call("GET", api.env("/settings/userFields"));
  if (!loaded.ok) return screen.append(el("p", { class: "error", role: "alert", text: problem(loaded) }));
  new FieldsEditor(screen, api, loaded.data.fields, readOnly).render();
}

class FieldsEditor {
  constructor(screen, api, fields, readOnly) {
    this.screen = screen;
    this.api = api;
    this.readOnly = readOnly;
    this.saved = structuredClone(fields);
    this.draft = structuredClone(fields);
    this.errors = new Map(); // field name -> message shown at it
    this.list = el("ol", { class: "fields", "aria-label": "Fields, in the order the form asks them" });
    this.impact = el("section", { id: "impact", class: "impact", "aria-labelledby": "impact-title" });
    this.status = statusLine({ id: "save-status" });
    this.preview = el("userfields-profile", { id: "preview" });
    this.impactRun = 0;
  }

  render() {
    const save = el("button", { type: "button", id: "save", text: "Save changes", on: { click: (e) => this.save(e.currentTarget) } });
    const discard = el("button", { type: "button", class: "quiet", text: "Discard changes", on: { click: () => this.discard() } });
    this.screen.append(
      el("div", { class: "columns" },
        el("div", {},
          this.list,
          this.readOnly ? null : this.addForm(),
          this.impact,
          this.readOnly ? null : el("div", { class: "actions" }, save, discard),
          this.status),
        el("aside", { "aria-labelledby": "preview-title" },
          el("h3", { id: "preview-title", text: "What an end user sees" }),
          el("p", { class: "hint", text: "Every collected field the end user may see, as the profile element will ask it." }),
          this.preview)));
    this.redraw();
  }

  /** Rebuilds the list (after a structural change), keeping focus on the element with `focusId`. */
  redraw(focusId) {
    const focused = focusId || document.activeElement?.id;
    this.list.replaceChildren(...this.draft.map((field, index) => this.row(field, index)));
    if (focused) document.getElementById(focused)?.focus();
    this.changed();
  }

  /** After any edit: the preview follows at once, the impact after a pause in typing. */
  changed() {
    this.preview.preview = { fields: this.draft };
    clearTimeout(this.impactTimer);
    this.impactTimer = setTimeout(() => this.countImpact(), 300);
  }

  dirty() {
    return JSON.stringify(this.normalised()) !== JSON.stringify(this.saved.map((f, i) => ({ ...f, position: i })));
  }

  normalised() {
    return this.draft.map((field, position) => ({ ...field, position }));
  }

  // ------------------------------------------------------------------ one field

  row(field, index) {
    const id = (part) => `f-${field.name}-${part}`;
    const custom = field.type === "custom";
    const kind = field.validationType || "text";
    const disabled = this.readOnly;
    const set = (key, value) => {
      if (value === undefined) delete field[key];
      else field[key] = value;
      this.clearError(field.name);
      this.changed();
    };
    const rules = () => (field.validationRules ??= {});
    const check = (part, label, checked, onChange, extra = {}) => el("label", { class: "check", for: id(part) },
      el("input", { type: "checkbox", id: id(part), checked, disabled: disabled || extra.disabled, on: { change: (e) => onChange(e.target.checked) } }),
      label);
    const text = (part, label, value, onInput, attrs = {}) => el("div", { class: "row" },
      el("label", { for: id(part), text: label }),
      el("input", { type: "text", id: id(part), value: value ?? "", disabled, on: { input: (e) => onInput(e.target.value) }, ...attrs }));

    const title = el("div", { class: "field-title" },
      el("span", { class: "handle", "aria-hidden": "true", text: "⠿" }),
      el("strong", { text: field.name }),
      el("span", { class: "badge", text: `${custom ? "custom" : "pre-made"} · ${kind}` }),
      disabled ? null : el("span", { class: "order" },
        el("button", { type: "button", id: id("up"), class: "quiet", "aria-label": `Move ${field.name} up`, disabled: index === 0, text: "↑", on: { click: () => this.move(index, -1, id("up")) } }),
        el("button", { type: "button", id: id("down"), class: "quiet", "aria-label": `Move ${field.name} down`, disabled: index === this.draft.length - 1, text: "↓", on: { click: () => this.move(index, +1, id("down")) } }),
        custom ? el("button", { type: "button", class: "quiet danger", "aria-label": `Remove ${field.name}`, text: "Remove", on: { click: () => this.remove(index) } }) : null));

    const uniqueAllowed = custom && kind !== "checkbox";
    const switches = el("div", { class: "switches" },
      check("enabled", "Collected", field.enabled !== false, (v) => set("enabled", v)),
      check("required", "Required", !!field.required, (v) => set("required", v)),
      check("unique", "Unique", !!field.unique, (v) => set("unique", v), { disabled: !uniqueAllowed }),
      check("writeOnce", "Write once", !!field.writeOnce, (v) => set("writeOnce", v)));
    const access = el("div", { class: "row" },
      el("label", { for: id("access"), text: "End user" }),
      el("select", { id: id("access"), disabled, on: { change: (e) => set("userAccess", e.target.value) } },
        ...ACCESS.map(([value, label]) => el("option", { value, selected: (field.userAccess ?? "edit") === value, text: label }))));
    const details = el("div", { class: "details" },
      text("label", "Label", field.label, (v) => set("label", v.trim() === "" ? undefined : v), { placeholder: humanise(field.name) }),
      access);
    if (custom && kind === "text") details.append(this.patternEditor(field, id, rules, disabled));
    if (custom && kind === "checkbox") {
      details.append(text("checkboxText", "Checkbox text", field.validationRules?.checkboxText, (v) => {
        if (v.trim()) rules().checkboxText = v;
        else delete rules().checkboxText;
        this.changed();
      }));
    }
    if (custom && kind === "select") details.append(this.optionsEditor(field, id, rules, disabled));
    const error = el("p", { id: id("error"), class: "error", "aria-live": "polite", text: this.errors.get(field.name) || "" });
    const item = el("li", { class: "field", "data-name": field.name, "aria-describedby": id("error"), "aria-label": field.name },
      title, switches, details, error);
    if (!disabled) this.draggable(item, index);
    return item;
  }

  /** A text field's pattern, tried live against a sample value (the server has the last word). */
  patternEditor(field, id, rules, disabled) {
    const result = el("span", { id: id("pattern-result"), class: "hint", "aria-live": "polite" });
    const pattern = el("input", { type: "text", id: id("pattern"), value: field.validationRules?.regex ?? "", disabled, spellcheck: "false" });
    const sample = el("input", { type: "text", id: id("sample"), placeholder: "A value to try", spellcheck: "false" });
    const tryIt = () => {
      const source = pattern.value;
      if (!source) return (result.textContent = "No pattern: any text is accepted.");
      let regex;
      try {
        regex = new RegExp(source, "u");
      } catch (e) {
        return (result.textContent = `Not a pattern this browser reads: ${e.message}`);
      }
      result.textContent = sample.value === "" ? "Type a sample value to try it." : regex.test(sample.value) ? `“${sample.value}” matches.` : `“${sample.value}” does not match.`;
    };
    pattern.addEventListener("input", () => {
      if (pattern.value) rules().regex = pattern.value;
      else delete rules().regex;
      this.clearError(field.name);
      tryIt();
      this.changed();
    });
    sample.addEventListener("input", tryIt);
    tryIt();
    return el("div", { class: "row wide pattern" },
      el("label", { for: id("pattern"), text: "Pattern (regular expression)" }), pattern,
      el("label", { for: id("sample"), text: "Try a value" }), sample, result);
  }

  /** A select field's options: added, renamed, reordered, removed. */
  optionsEditor(field, id, rules, disabled) {
    const options = () => (rules().validOptions ??= []);
    const list = el("ol", { class: "options", "aria-label": `Options of ${field.name}` });
    const draw = (focusId) => {
      list.replaceChildren(...options().map((option, i) => {
        const optionId = id(`option-${i}`);
        const move = (delta, buttonId) => {
          const all = options();
          [all[i], all[i + delta]] = [all[i + delta], all[i]];
          draw(buttonId);
          this.changed();
        };
        return el("li", {},
          el("label", { for: optionId, class: "visually-hidden", text: `Option ${i + 1}` }),
          el("input", { type: "text", id: optionId, value: option.label, disabled, on: { input: (e) => { option.label = e.target.value; this.clearError(field.name); this.changed(); } } }),
          disabled ? null : el("button", { type: "button", id: `${optionId}-up`, class: "quiet", "aria-label": `Move option ${i + 1} up`, disabled: i === 0, text: "↑", on: { click: () => move(-1, `${id(`option-${i - 1}`)}-up`) } }),
          disabled ? null : el("button", { type: "button", id: `${optionId}-down`, class: "quiet", "aria-label": `Move option ${i + 1} down`, disabled: i === options().length - 1, text: "↓", on: { click: () => move(+1, `${id(`option-${i + 1}`)}-down`) } }),
          disabled ? null : el("button", { type: "button", class: "quiet danger", "aria-label": `Remove option ${i + 1}`, text: "Remove", on: { click: () => { options().splice(i, 1); draw(id("add-option")); this.changed(); } } }));
      }));
      if (focusId) document.getElementById(focusId)?.focus();
    };
    draw();
    const add = el("button", { type: "button", id: id("add-option"), class: "quiet", text: "Add option", disabled, on: { click: () => {
      options().push({ label: `Option ${options().length + 1}` });
      draw(id(`option-${options().length - 1}`));
      this.changed();
    } } });
    return el("div", { class: "row wide" }, el("span", { class: "label", text: "Options" }), list, add);
  }

  // ------------------------------------------------------------------ order, add, remove

  move(index, delta, focusId) {
    const target = index + delta;
    if (target < 0 || target >= this.draft.length) return;
    const [field] = this.draft.splice(index, 1);
    this.draft.splice(target, 0, field);
    // The button that moved stays focused if it still can move; else its twin.
    const fallback = focusId.replace(delta < 0 ? "-up" : "-down", delta < 0 ? "-down" : "-up");
    this.redraw(target === 0 || target === this.draft.length - 1 ? fallback : focusId);
  }

  /** Drag and drop, the mouse's way to reorder (the arrow buttons and Alt+↑/↓ are the keyboard's). */
  draggable(item, index) {
    item.draggable = true;
    item.addEventListener("dragstart", (e) => {
      e.dataTransfer.setData("text/plain", String(index));
      e.dataTransfer.effectAllowed = "move";
      item.classList.add("dragging");
    });
    item.addEventListener("dragend", () => item.classList.remove("dragging"));
    item.addEventListener("dragover", (e) => e.preventDefault());
    item.addEventListener("drop", (e) => {
      e.preventDefault();
      const from = Number(e.dataTransfer.getData("text/plain"));
      if (!Number.isInteger(from) || from === index) return;
      const [field] = this.draft.splice(from, 1);
      this.draft.splice(index, 0, field);
      this.redraw();
    });
    item.addEventListener("keydown", (e) => {
      if (!e.altKey || (e.key !== "ArrowUp" && e.key !== "ArrowDown")) return;
      e.preventDefault();
      const name = this.draft[index].name;
      this.move(index, e.key === "ArrowUp" ? -1 : 1, `f-${name}-${e.key === "ArrowUp" ? "up" : "down"}`);
    });
  }

  addForm() {
    const name = el("input", { type: "text", id: "new-field-name", required: true, spellcheck: "false", autocomplete: "off" });
    const kind = el("select", { id: "new-field-kind" }, ...KINDS.map(([value, label]) => el("option", { value, text: label })));
    const error = el("p", { id: "new-field-error", class: "error", "aria-live": "polite" });
    const form = el("form", { id: "add-field", class: "add", "aria-labelledby": "add-title" },
      el("h3", { id: "add-title", text: "Add a custom field" }),
      el("div", { class: "inline" },
        el("div", { class: "row" }, el("label", { for: "new-field-name", text: "Name" }), name),
        el("div", { class: "row" }, el("label", { for: "new-field-kind", text: "Type" }), kind),
        el("button", { type: "submit", text: "Add field" })),
      error);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const wanted = name.value.trim();
      error.textContent = "";
      if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(wanted)) {
        error.textContent = "A name starts with a letter and holds letters, digits and _ (64 at most).";
        return name.focus();
      }
      if (this.draft.some((f) => f.name.toLowerCase() === wanted.toLowerCase())) {
        error.textContent = `There is already a field named ${wanted}.`;
        return name.focus();
      }
      const field = { name: wanted, type: "custom", validationType: kind.value, enabled: true, required: false, userAccess: "edit" };
      if (kind.value === "select") field.validationRules = { validOptions: [{ label: "Option 1" }, { label: "Option 2" }] };
      this.draft.push(field);
      name.value = "";
      this.redraw(`f-${wanted}-label`);
    });
    return form;
  }

  remove(index) {
    this.draft.splice(index, 1);
    this.redraw("new-field-name");
  }

  discard() {
    this.draft = structuredClone(this.saved);
    this.errors.clear();
    this.status.textContent = "Changes discarded.";
    this.redraw();
  }

  // ------------------------------------------------------------------ impact and save

  /** What saving would do, counted by the API from the users there are. */
  async countImpact() {
    const run = ++this.impactRun;
    const title = el("h3", { id: "impact-title", text: "What saving does" });
    if (!this.dirty()) return this.impact.replaceChildren(title, el("p", { text: "No changes yet." }));
    this.impact.setAttribute("aria-busy", "true");
    const answer = await this.api.call("POST", this.api.env("/settings/userFields/impact"), { fields: this.normalised() });
    if (run !== this.impactRun) return; // a later edit asked again
    this.impact.removeAttribute("aria-busy");
    if (!answer.ok) {
      this.showServerError(answer);
      return this.impact.replaceChildren(title, el("p", { class: "error", text: "Fix the field marked above to see what saving does." }));
    }
    const { fields, truncated, users: counted } = answer.data;
    const lines = fields.map(sentence);
    if (!lines.length) lines.push(`No user is affected (${users(counted)} counted).`);
    if (truncated) lines.push(`Counted the first ${users(counted)} only.`);
    this.impact.replaceChildren(title, el("ul", {}, ...lines.map((text) => el("li", { text }))));
  }

  async save(button) {
    await busy(button, async () => {
      this.status.textContent = "Saving…";
      const answer = await this.api.call("PUT", this.api.env("/settings/userFields"), { fields: this.normalised() });
      if (!answer.ok) {
        this.status.textContent = "Not saved.";
        return this.showServerError(answer, true);
      }
      this.saved = structuredClone(answer.data.fields);
      this.draft = structuredClone(answer.data.fields);
      this.errors.clear();
      const skipped = answer.data.skippedUsers?.length ? ` ${users(answer.data.skippedUsers.length)} could not be read and were left out.` : "";
      this.redraw();
      this.status.textContent = `Saved.${skipped}`;
    });
  }

  /** A refusal shown at the field it names (and focused there), else under the list. */
  showServerError(answer, focus = false) {
    const name = answer.data.payload?.field;
    let message = problem(answer);
    if (answer.data.code === "cannot_switch_to_unique") {
      message += " Find those users under Users (search by this field) and make their values differ, or leave it not unique.";
    }
    if (name && this.draft.some((f) => f.name === name)) {
      this.errors.set(name, message);
      const line = document.getElementById(`f-${name}-error`);
      if (line) line.textContent = message;
      if (focus) document.querySelector(`li.field[data-name="${CSS.escape(name)}"] input:not([disabled])`)?.focus();
    } else {
      this.status.textContent = message;
    }
  }

  clearError(name) {
    if (!this.errors.delete(name)) return;
    const line = document.getElementById(`f-${name}-error`);
    if (line) line.textContent = "";
  }
}

/** One line of the impact: "lastName becomes required: 1,204 users will be asked for it at their next sign-in." */
export function sentence({ name, change, users: n }) {
  switch (change) {
    case "becomesRequired":
      return n === 0
        ? `${name} becomes required: every user already has it.`
        : `${name} becomes required: ${users(n)} will be asked for it at their next sign-in.`;
    case "becomesUnique":
      return n === 0
        ? `${name} becomes unique: no two users share a value.`
        : `${name} becomes unique: ${users(n)} share a value with someone else, so saving will be refused (cannot_switch_to_unique) until their values differ.`;
    case "stopsBeingCollected":
      return `${name} stops being collected: ${users(n)} hold a value, which is kept but no longer asked for or shown.`;
    default:
      return `${name}: ${change} (${users(n)}).`;
  }
}
