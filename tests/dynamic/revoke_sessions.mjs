// The operator's session revoke through Dynamic's own admin client (@dynamic-labs/sdk-api,
// UsersApi), against the local stack that scripts/browser_test.sh starts: a user made with
// Dynamic's createUser signs in by email code (userfields' end-user routes), then
// getUser lists its session, revokeUserSessions ends it, and the token is refused. Loopback only; the generated
// client sends no telemetry. (The sign-in is Dynamic's end-user protocol, /sdk/{environmentId}.)
//
//   node tests/dynamic/revoke_sessions.mjs GATEWAY_URL MOTO_URL ENVIRONMENT_ID API_KEY
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Configuration, EnvironmentsApi, UsersApi } from "@dynamic-labs/sdk-api";

const [gateway, moto, environmentId, apiKey] = process.argv.slice(2);
assert.ok(gateway && moto && environmentId && apiKey, "usage: revoke_sessions.mjs GATEWAY MOTO ENVIRONMENT_ID API_KEY");
for (const url of [gateway, moto]) assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, "loopback only");

const users = new UsersApi(new Configuration({ basePath: gateway, accessToken: apiKey }));
const post = async (path, body, token) => {
  const response = await fetch(`${gateway}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
};
const me = async (token) =>
  (await fetch(`${gateway}/sdk/${environmentId}/users`, { headers: { authorization: `Bearer ${token}` } })).status;

const email = `dynamic.${randomUUID().slice(0, 12)}@example.com`;
const created = await users.createUser({ environmentId, internalBulkUpdateUserFields: { email } });
const userId = created.user.id;
assert.ok(userId, "createUser answered a user");

const started = await post(`/sdk/${environmentId}/emailVerifications/create`, { email });
assert.equal(started.status, 200, JSON.stringify(started.body));
let code;
for (let i = 0; i < 100 && !code; i++) {
  const sent = await fetch(`${moto}/userfields-dev/last-email?to=${encodeURIComponent(email)}`);
  if (sent.status === 200) code = (await sent.json()).code;
  else await new Promise((r) => setTimeout(r, 100));
}
assert.ok(code, "a code was sent");
const signed = await post(`/sdk/${environmentId}/emailVerifications/signin`,
  { verificationUUID: started.body.verificationUUID, verificationToken: code });
assert.equal(signed.status, 200, JSON.stringify(signed.body));
assert.equal(signed.body.user.id, userId, "the pre-signup record is the one signed in");
assert.equal(await me(signed.body.minifiedJwt), 200);
// Dynamic's getUser lists the live session (User.sessions, Session.createdAt read as a Date).
const live = (await users.getUser({ environmentId, userId })).user.sessions;
assert.deepEqual(live.map((s) => s.id), [signed.body.user.sessionId]);
assert.ok(live[0].createdAt instanceof Date && !Number.isNaN(live[0].createdAt.getTime()));

await users.revokeUserSessions({ environmentId, userId });
assert.equal(await me(signed.body.minifiedJwt), 401, "a revoked session's token is refused");
assert.deepEqual((await users.getUser({ environmentId, userId })).user.sessions, [], "none after the revoke");

const refused = async (call) => {
  try {
    await call();
  } catch (e) {
    // The generated client throws the fetch Response of a non-2xx answer.
    assert.ok(e instanceof Response, String(e));
    return e.status;
  }
  assert.fail("the call should have been refused");
};
assert.equal(await refused(() => users.revokeUserSessions({ environmentId, userId: randomUUID() })), 404);
const stranger = new UsersApi(new Configuration({ basePath: gateway, accessToken: "uf_not_a_key" }));
assert.equal(await refused(() => stranger.revokeUserSessions({ environmentId, userId })), 401);
// bulkCreateUser sends a top-level array; with upsert an entry naming a user by email updates it.
const bulkEmail = `bulk.${randomUUID().slice(0, 12)}@example.com`;
const first = await users.bulkCreateUser({ environmentId, internalUserFields: [{ email: bulkEmail }, { email: "not-an-email" }] });
assert.equal(first.created.length, 1);
assert.equal(first.failed.length, 1);
assert.equal(first.total, 2);
const again = await users.bulkCreateUser({ environmentId, upsert: true, internalUserFields: [{ email: bulkEmail, firstName: "Grace" }] });
assert.equal(again.updated.length, 1, JSON.stringify(again));
assert.equal(again.updated[0].id, first.created[0].id);
assert.equal(again.updated[0].firstName, "Grace");
// getEnvironmentUsers as Dynamic's client asks it: filter[filterColumn] and filter[filterValue].
const found = await users.getEnvironmentUsers({ environmentId, filter: { filterColumn: "email", filterValue: bulkEmail.toUpperCase() } });
assert.equal(found.count, 1, JSON.stringify(found));
assert.equal(found.users[0].id, first.created[0].id);
const byId = await users.getEnvironmentUsers({ environmentId, filter: { filterColumn: "id", filterValue: userId } });
assert.equal(byId.users[0].id, userId);

// EnvironmentsApi: the environment's settings, kyc being the field list.
const environments = new EnvironmentsApi(new Configuration({ basePath: gateway, accessToken: apiKey }));
const environment = await environments.getEnvironmentById({ environmentId });
assert.equal(environment.id, environmentId);
assert.ok(environment.settings.kyc.some((f) => f.name === "email" && f.required), JSON.stringify(environment.settings.kyc));
const kyc = environment.settings.kyc.map((f) => (f.name === "jobTitle" ? { ...f, enabled: true } : f));
const saved = await environments.updateProjectSettings({ environmentId, projectSettings: { ...environment.settings, kyc } });
assert.ok(saved.kyc.find((f) => f.name === "jobTitle").enabled, "kyc is saved as the field list");
console.log("dynamic client: createUser, getUser (its session, then none), revokeUserSessions (204, then 404 and 401), bulkCreateUser (array body, upsert), getEnvironmentUsers (Dynamic's filter), getEnvironmentById and updateProjectSettings passed");
