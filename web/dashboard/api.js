// The operator API as the dashboard calls it: bearer API key, JSON in and out, and every
// failure turned into a message that says what to do (never a blank page).

export class Api {
  constructor({ base, environmentId, key }) {
    this.base = base.replace(/\/$/, "");
    this.environmentId = environmentId;
    this.key = key;
    this.inFlight = 0;
  }

  /** `path` under /environments/{environmentId}. */
  env(path = "") {
    return `/environments/${encodeURIComponent(this.environmentId)}${path}`;
  }

  async call(method, path, body) {
    this.loading(+1);
    try {
      const headers = { authorization: `Bearer ${this.key}` };
      if (body !== undefined) headers["content-type"] = "application/json";
      let response;
      try {
        response = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch {
        return { ok: false, status: 0, data: { code: "unreachable", error: `The API at ${this.base} cannot be reached.` } };
      }
      const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
      return { ok: response.ok, status: response.status, data };
    } finally {
      this.loading(-1);
    }
  }

  /** A file behind an authorised redirect (an export's download): the bytes, as a Blob. */
  async download(path) {
    this.loading(+1);
    try {
      const response = await fetch(this.base + path, { headers: { authorization: `Bearer ${this.key}` } });
      if (!response.ok) return { ok: false, status: response.status, data: await response.json().catch(() => ({})) };
      return { ok: true, status: response.status, blob: await response.blob() };
    } catch {
      return { ok: false, status: 0, data: { code: "unreachable", error: "The file could not be fetched." } };
    } finally {
      this.loading(-1);
    }
  }

  /** The page-wide loading indicator follows the requests in flight. */
  loading(delta) {
    this.inFlight += delta;
    document.body.toggleAttribute("data-loading", this.inFlight > 0);
  }
}

/** What to tell the operator about a failed answer. */
export function problem(answer) {
  const { status, data } = answer;
  if (status === 401) return "That API key is not known: check it was copied whole, or make a new one with `userfields create-api-key`.";
  if (status === 403 && data.code === "forbidden") return "That API key belongs to another environment.";
  if (status === 403 && data.code === "insufficient_scope") return `This key may not do that: ${data.error || "a scope is missing."}`;
  if (status === 400 && data.code === "invalid_uuid") return "That environment ID is not a UUID.";
  return data.error || `The server answered ${status || "nothing"}.`;
}
