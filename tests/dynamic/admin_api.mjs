// Dynamic's admin API through its own generated client (@dynamic-labs/sdk-api), against the
// local stack that scripts/browser_test.sh starts, in an environment of its own: CustomFieldsApi
// (create, list, get, update, delete, with the refusals a stranger meets). Loopback only; the
// generated client sends no telemetry.
//
//   node tests/dynamic/admin_api.mjs GATEWAY_URL ENVIRONMENT_ID API_KEY OTHER_ENVIRONMENTS_KEY
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Configuration, CustomFieldsApi, CustomFieldType, EnvironmentsApi } from "@dynamic-labs/sdk-api";

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

console.log("dynamic admin client: CustomFieldsApi create, list, get, update, delete (and 401, 403, 404, 409, 422) passed");
