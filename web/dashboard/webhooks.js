// Webhooks: list, create (the signing secret shown once), enable or disable, send a test event,
// delete, and each webhook's messages with their latest attempt and a redeliver button.

import { problem } from "./api.js";
import { el, busy, statusLine } from "./dom.js";

const EVENTS = ["user.created", "user.updated", "user.deleted", "user.session.created", "user.session.revoked", "user.profile.completed"];

export function mount(screen, context) {
  new WebhooksScreen(screen, context).list();
}

class WebhooksScreen {
  constructor(screen, { api, can }) {
    this.screen = screen;
    this.api = api;
    this.writable = can("webhooks:write");
  }

  async list(message) {
    const status = statusLine({ id: "webhooks-status", text: message || "" });
    const section = el("section", { id: "webhooks", "aria-labelledby": "webhooks-title" }, el("h3", { id: "webhooks-title", text: "Webhooks" }));
    this.screen.replaceChildren(el("h2", { text: "Webhooks" }),
      el("p", { text: "Every change of a user reaches these addresses, signed with the webhook's secret (x-dynamic-signature-256 and the Standard Webhooks headers)." }),
      status, section, this.writable ? this.createForm(status) : el("p", { class: "note", text: "This key can read webhooks but not change them (it lacks webhooks:write)." }));
    const answer = await this.api.call("GET", this.api.env("/webhooks"));
    if (!answer.ok) return section.append(el("p", { class: "error", role: "alert", text: problem(answer) }));
    const hooks = answer.data.data ?? answer.data;
    if (!hooks.length) return section.append(el("p", { text: "No webhook yet." }));
    section.append(el("table", {},
      el("thead", {}, el("tr", {}, ...["Address", "Events", "Enabled", ""].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...hooks.map((hook) => el("tr", {},
        el("td", { text: hook.url }),
        el("td", { text: hook.events.join(", ") }),
        el("td", {}, el("input", { type: "checkbox", "aria-label": `${hook.url} enabled`, checked: hook.isEnabled, disabled: !this.writable, on: { change: (e) => this.toggle(hook, e.target, status) } })),
        el("td", { class: "actions" },
          el("button", { type: "button", class: "quiet messages", text: "Messages", on: { click: () => this.messages(hook) } }),
          this.writable ? el("button", { type: "button", class: "quiet send-test", text: "Send test event", "aria-label": `Send a test event to ${hook.url}`, on: { click: (e) => this.sendTest(hook, e.currentTarget, status) } }) : null,
          this.writable ? el("button", { type: "button", class: "quiet danger", text: "Delete", on: { click: (e) => this.remove(hook, e.currentTarget, status) } }) : null))))));
  }

  createForm(status) {
    const url = el("input", { type: "url", id: "webhook-url", required: true, placeholder: "https://example.com/hooks/userfields" });
    const events = EVENTS.map((name) => el("label", { class: "check" }, el("input", { type: "checkbox", name: "events", value: name, checked: true }), name));
    const enabled = el("input", { type: "checkbox", id: "webhook-enabled", checked: true });
    const error = el("p", { id: "webhook-error", class: "error", "aria-live": "polite" });
    const submit = el("button", { type: "submit", text: "Create webhook" });
    const form = el("form", { id: "create-webhook", "aria-labelledby": "create-webhook-title" },
      el("h3", { id: "create-webhook-title", text: "Add a webhook" }),
      el("div", { class: "row" }, el("label", { for: "webhook-url", text: "Address" }), url),
      el("fieldset", {}, el("legend", { text: "Events" }), ...events),
      el("label", { class: "check", for: "webhook-enabled" }, enabled, "Enabled"),
      error, submit);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      error.textContent = "";
      const chosen = events.map((l) => l.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
      busy(submit, async () => {
        const answer = await this.api.call("POST", this.api.env("/webhooks"), { url: url.value.trim(), events: chosen, isEnabled: enabled.checked });
        if (!answer.ok) {
          error.textContent = problem(answer);
          return url.focus();
        }
        await this.list();
        this.showSecret(answer.data);
      });
    });
    return form;
  }

  /** The secret, once: it is not shown again on this screen. */
  showSecret(hook) {
    const secret = el("code", { id: "webhook-secret", text: hook.secret });
    const copy = el("button", { type: "button", class: "quiet", text: "Copy", on: { click: () => navigator.clipboard?.writeText(hook.secret) } });
    const box = el("div", { class: "secret", role: "alert" },
      el("p", { text: `Signing secret of ${hook.url}: store it now, this screen shows it once.` }), secret, copy);
    this.screen.querySelector("#webhooks").prepend(box);
    copy.focus();
  }

  async toggle(hook, box, status) {
    const answer = await this.api.call("PUT", this.api.env(`/webhooks/${hook.webhookId}`), { url: hook.url, events: hook.events, isEnabled: box.checked });
    status.textContent = answer.ok ? `${hook.url} is ${box.checked ? "enabled" : "disabled"}.` : problem(answer);
    if (!answer.ok) box.checked = !box.checked;
  }

  /** A `webhook.test` message, delivered (and retried) as any other: its messages show how it went. */
  async sendTest(hook, button, status) {
    await busy(button, async () => {
      const answer = await this.api.call("POST", this.api.env(`/webhooks/${hook.webhookId}/test`));
      status.textContent = answer.ok ? `A test event is on its way to ${hook.url}: its messages show the answer.` : problem(answer);
    });
  }

  async remove(hook, button, status) {
    if (!window.confirm(`Delete the webhook to ${hook.url}? Nothing more is sent to it; its messages expire within 30 days.`)) return;
    await busy(button, async () => {
      const answer = await this.api.call("DELETE", this.api.env(`/webhooks/${hook.webhookId}`));
      if (!answer.ok) return (status.textContent = problem(answer));
      this.list(`The webhook to ${hook.url} was deleted.`);
    });
  }

  async messages(hook) {
    const status = statusLine({ id: "messages-status" });
    const back = el("button", { type: "button", class: "quiet", id: "back", text: "← Back to webhooks", on: { click: () => this.list() } });
    const section = el("section", { id: "messages", "aria-labelledby": "messages-title" }, el("h3", { id: "messages-title", text: `Messages to ${hook.url}` }));
    this.screen.replaceChildren(back, el("h2", { text: "Webhook messages" }), status, section);
    back.focus();
    const answer = await this.api.call("GET", this.api.env(`/webhooks/${hook.webhookId}/messages`));
    if (!answer.ok) return section.append(el("p", { class: "error", role: "alert", text: problem(answer) }));
    const messages = answer.data.data || [];
    if (!messages.length) return section.append(el("p", { text: "No message yet." }));
    section.append(el("table", {},
      el("thead", {}, el("tr", {}, ...["Event", "Status", "Attempt", "Last answer", "Created", ""].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...messages.map((m) => el("tr", {},
        el("td", { text: m.eventName }),
        el("td", { text: m.status }),
        el("td", { text: String(m.deliveryAttempt ?? "—") }),
        el("td", { text: m.response?.statusCode ? String(m.response.statusCode) : m.response?.error || "—" }),
        el("td", { text: new Date(m.createdAt).toLocaleString() }),
        el("td", {}, this.writable ? el("button", { type: "button", class: "quiet", text: "Redeliver", on: { click: (e) => busy(e.currentTarget, async () => {
          const done = await this.api.call("POST", this.api.env(`/webhooks/${hook.webhookId}/messages/${m.messageId}/redeliver`));
          status.textContent = done.ok ? `The ${m.eventName} message is queued again.` : problem(done);
        }) } }) : null))))));
  }
}
