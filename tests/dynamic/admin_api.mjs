// Dynamic's admin API through its own generated client (@dynamic-labs/sdk-api), against the
// local stack that scripts/browser_test.sh starts, in an environment of its own: CustomFieldsApi
// (create, list, get, update, delete, with the refusals a stranger meets), UsersApi's search by
// the non-unique columns, ExportsApi (the local poller hands the job to the export worker, as
// Lambda's event source would). Loopback only; the generated client sends no telemetry.
//
//   node tests/dynamic/admin_api.mjs GATEWAY_URL ENVIRONMENT_ID API_KEY OTHER_ENVIRONMENTS_KEY
import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { Configuration, CustomFieldsApi, CustomFieldType, EnvironmentsApi, ExportsApi, UsersApi, WebhooksApi } from "@dynamic-labs/sdk-api";

const [gateway, environmentId, apiKey, otherKey] = process.argv.slice(2);
assert.ok(gateway && environmentId && apiKey && otherKey, "usage: admin_api.mjs GATEWAY ENVIRONMENT_ID API_KEY OTHER_KEY");
assert.match(gateway, /^http:\/\/127\.0\.0\.1:\d+$/, "loopback only");

const config = (accessToken) => new Configuration({ basePath: gateway, accessToken });
const fields = new CustomFieldsApi(config(apiKey));
const stranger = new CustomFieldsApi(config(otherKey));
const nobody = new CustomFieldsApi(config("uf_not_a_key"));

/** The status of a call the service must refuse (the generated client throws the Response). */
const refused = async (call) => {
  try {
    await call();
  } catch (e) {
    assert.ok(e instanceof Response, String(e));
    return { status: e.status, code: (await e.json().catch(() => ({}))).code };
  }
  assert.fail("the call should have been refused");
};

// CustomFieldsApi, Dynamic's shapes both ways.
const created = await fields.createCustomFieldForEnvironment({
  environmentId,
  customFieldRequest: {
    name: "Favourite colour",
    enabled: true,
    required: false,
    fieldType: CustomFieldType.Select,
    position: 40,
    validationRules: { validOptions: [{ label: "Red", key: "red" }, { label: "Blue", key: "blue" }] },
  },
});
assert.equal(created.key, "favouriteColour");
assert.equal(created.name, "Favourite colour");
assert.equal(created.fieldType, CustomFieldType.Select);
assert.deepEqual(created.validationRules.validOptions.map((o) => o.key), ["red", "blue"]);
const list = await fields.getCustomFieldsForEnvironment({ environmentId });
assert.deepEqual(list.map((f) => f.id), [created.id]);
assert.equal((await fields.getCustomFieldById({ customFieldId: created.id })).key, "favouriteColour");
const updated = await fields.updateCustomFieldById({
  customFieldId: created.id,
  customFieldRequest: { name: "Colour", enabled: true, required: false, fieldType: CustomFieldType.Text, position: 41, validationRules: { regex: "^[a-z]+$" } },
});
assert.equal(updated.key, "favouriteColour", "the key stays");
assert.equal(updated.name, "Colour");
assert.equal(updated.validationRules.regex, "^[a-z]+$");
// The same configuration as EnvironmentsApi's kyc.
const environment = await new EnvironmentsApi(config(apiKey)).getEnvironmentById({ environmentId });
assert.ok(environment.settings.kyc.some((f) => f.name === "favouriteColour" && f.type === "custom"), JSON.stringify(environment.settings.kyc));

// Strangers and mistakes.
assert.equal((await refused(() => stranger.getCustomFieldById({ customFieldId: created.id }))).status, 404, "another environment's key finds nothing");
assert.equal((await refused(() => stranger.deleteCustomFieldById({ customFieldId: created.id }))).status, 404);
assert.equal((await refused(() => stranger.getCustomFieldsForEnvironment({ environmentId }))).status, 403);
assert.equal((await refused(() => nobody.getCustomFieldById({ customFieldId: created.id }))).status, 401);
assert.equal((await refused(() => fields.getCustomFieldById({ customFieldId: randomUUID() }))).status, 404, "unknown field id");
const badRegex = await refused(() => fields.createCustomFieldForEnvironment({
  environmentId,
  customFieldRequest: { name: "code", enabled: true, required: false, fieldType: CustomFieldType.Text, position: 42, validationRules: { regex: "(open" } },
}));
assert.deepEqual(badRegex, { status: 422, code: "invalid_regex" });
const twice = await refused(() => fields.createCustomFieldForEnvironment({
  environmentId,
  customFieldRequest: { name: "favouriteColour", enabled: true, required: false, fieldType: CustomFieldType.Text, position: 43 },
}));
assert.deepEqual(twice, { status: 409, code: "field_exists" });

await fields.deleteCustomFieldById({ customFieldId: created.id });
assert.equal((await refused(() => fields.getCustomFieldById({ customFieldId: created.id }))).status, 404);
assert.deepEqual(await fields.getCustomFieldsForEnvironment({ environmentId }), []);

// UsersApi: getEnvironmentUsers by a column no uniqueness claim answers, case-insensitively.
const users = new UsersApi(config(apiKey));
const tag = randomUUID().slice(0, 8);
const made = [];
for (const firstName of [`Ada${tag}`, `ADA${tag}`, `Grace${tag}`]) {
  made.push((await users.createUser({ environmentId, internalBulkUpdateUserFields: { firstName, jobTitle: "Engineer" } })).user.id);
}
const named = await users.getEnvironmentUsers({ environmentId, filter: { filterColumn: "firstName", filterValue: `ada${tag}` }, orderBy: "createdAt-desc" });
assert.equal(named.count, 2, JSON.stringify(named));
assert.deepEqual(named.users.map((u) => u.id), [made[1], made[0]], "orderBy createdAt-desc");
const titled = await users.getEnvironmentUsers({ environmentId, filter: { filterColumn: "jobTitle", filterValue: "engineer" }, limit: 2, offset: 1 });
assert.equal(titled.count, 2, "offset and limit page a filtered result (three engineers, from the second)");

// ExportsApi. Some of its generated methods declare no bearer security: the key goes in the
// configuration's headers, and the routes refuse a call without it.
const withHeader = new Configuration({ basePath: gateway, accessToken: apiKey, headers: { Authorization: `Bearer ${apiKey}` } });
const exportsApi = new ExportsApi(withHeader);
const keyless = new ExportsApi(config(undefined));
assert.equal((await refused(() => keyless.createExport({ environmentId, exportCreateRequest: { format: "csv", model: "users" } }))).status, 401);
assert.equal((await refused(() => new ExportsApi(new Configuration({ basePath: gateway, headers: { Authorization: `Bearer ${otherKey}` } }))
  .getEnvironmentExports({ environmentId }))).status, 403, "another environment's key");
assert.deepEqual(await refused(() => exportsApi.createExport({ environmentId, exportCreateRequest: { format: "csv", model: "visits" } })),
  { status: 400, code: "unsupported_export_model" });
const started = await exportsApi.createExport({ environmentId, exportCreateRequest: { format: "csv", model: "users" } });
assert.equal(started.status, "pending");
let finished = started;
for (let i = 0; i < 600 && finished.status === "pending"; i++) {
  await new Promise((r) => setTimeout(r, 200));
  finished = await exportsApi.getExportById({ environmentId, exportId: started.id });
}
assert.equal(finished.status, "completed", JSON.stringify(finished));
assert.ok(finished.completedAt instanceof Date);
assert.ok((await exportsApi.getEnvironmentExports({ environmentId })).exports.some((e) => e.id === started.id));
// The download is a 302 to a presigned S3 URL (moto here, on loopback): fetched without following.
const download = await fetch(`${gateway}/environments/${environmentId}/exports/${started.id}/download`,
  { headers: { authorization: `Bearer ${apiKey}` }, redirect: "manual" });
assert.equal(download.status, 302);
const location = download.headers.get("location");
assert.match(location, /^http:\/\/127\.0\.0\.1:\d+\//, "the file stays on loopback");
const file = await (await fetch(location)).text();
for (const id of made) assert.ok(file.includes(id), "every user is in the file");
await exportsApi.downloadExportById({ environmentId, exportId: started.id }); // the client's own call follows it
assert.equal((await refused(() => exportsApi.getExportById({ environmentId, exportId: randomUUID() }))).status, 404);

// WebhooksApi (no bearer security declared either): a receiver on loopback gets a new user's
// events through the local stream and delivery pollers, signed as Dynamic signs.
const received = [];
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => { received.push({ headers: req.headers, body }); res.writeHead(200).end(); });
});
await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
const hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
const hooks = new WebhooksApi(withHeader);
assert.equal((await refused(() => new WebhooksApi(config(undefined)).getWebhooks({ environmentId }))).status, 401);
assert.equal((await refused(() => new WebhooksApi(new Configuration({ basePath: gateway, headers: { Authorization: `Bearer ${otherKey}` } }))
  .getWebhooks({ environmentId }))).status, 403, "another environment's key");
assert.deepEqual(await refused(() => hooks.createWebhook({ environmentId, webhookCreateRequest: { url: "ftp://x", isEnabled: true, events: ["user.created"] } })),
  { status: 400, code: "invalid_webhook_url" });
const hook = await hooks.createWebhook({ environmentId, webhookCreateRequest: { url: hookUrl, isEnabled: true, events: ["user.created"] } });
assert.ok(hook.secret?.startsWith("whsec_") && hook.createdAt instanceof Date);
assert.ok((await hooks.getWebhooks({ environmentId })).data.some((h) => h.webhookId === hook.webhookId));
assert.equal((await hooks.getWebhook({ environmentId, webhookId: hook.webhookId })).secret, hook.secret);
const hooked = await users.createUser({ environmentId, internalBulkUpdateUserFields: { email: `hook-${randomUUID()}@example.com` } });
for (let i = 0; i < 300 && !received.some((r) => JSON.parse(r.body).data?.id === hooked.user.id); i++) {
  await new Promise((r) => setTimeout(r, 200));
}
const delivery = received.find((r) => JSON.parse(r.body).data?.id === hooked.user.id);
assert.ok(delivery, "the user.created event arrived");
assert.equal(delivery.headers["x-dynamic-signature-256"], `sha256=${createHmac("sha256", hook.secret).update(delivery.body).digest("hex")}`);
const messages = await hooks.getWebhookMessages({ environmentId, webhookId: hook.webhookId });
assert.ok(messages.data.some((m) => m.messageId === JSON.parse(delivery.body).messageId));
await hooks.redeliverWebhookMessage({ environmentId, webhookId: hook.webhookId, messageId: JSON.parse(delivery.body).messageId });
await hooks.updateWebhookById({ environmentId, webhookId: hook.webhookId, webhookUpdateRequest: { url: hookUrl, isEnabled: false, events: ["*"] } });
await hooks.deleteWebhookById({ environmentId, webhookId: hook.webhookId });
assert.equal((await refused(() => hooks.getWebhook({ environmentId, webhookId: hook.webhookId }))).status, 404);
receiver.close();

console.log("dynamic admin client: CustomFieldsApi create, list, get, update, delete (and 401, 403, 404, 409, 422), getEnvironmentUsers by firstName and jobTitle (orderBy, offset), ExportsApi create, poll, list, download (and 400, 401, 403, 404), WebhooksApi create, list, get, a signed delivery, messages, redeliver, update, delete (and 400, 401, 403, 404) passed");
