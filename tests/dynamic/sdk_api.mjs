// Dynamic's generated end-user client (@dynamic-labs/sdk-api-core, SDKApi) on the routes of the
// protocol that @dynamic-labs-sdk/client does not call on its flows: emailVerifications/retry,
// users/check, refresh, .well-known/jwks.json, nonces; and a refused token. Against the local
// stack that scripts/browser_test.sh starts; loopback only.
//
//   node tests/dynamic/sdk_api.mjs GATEWAY_URL MOTO_URL ENVIRONMENT_ID
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Configuration, SDKApi } from "@dynamic-labs/sdk-api-core";
import { codeFor, loopbackOnly } from "./node_services.mjs";

const [gateway, moto, environmentId] = process.argv.slice(2);
assert.ok(gateway && moto && environmentId, "usage: sdk_api.mjs GATEWAY MOTO ENVIRONMENT_ID");
for (const url of [gateway, moto]) assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, "loopback only");
loopbackOnly();

const sdk = new SDKApi(new Configuration({ basePath: gateway }));
const email = `api.${randomUUID().slice(0, 12)}@example.com`;

const before = await sdk.getUserFieldsCheck({ environmentId, filter: { field: "email", value: email } });
assert.deepEqual([before.field, before.value, before.available], ["email", email, true]);

const created = await sdk.createEmailVerification({ environmentId, emailVerificationCreateRequest: { email } });
const firstCode = await codeFor(moto, email);
// A retry within the per-address gap is refused, as any other send would be.
const refused = await sdk
  .retryEmailVerification({ environmentId, emailVerificationRetryRequest: { email, verificationUUID: created.verificationUUID } })
  .then(() => null, (e) => e);
assert.ok(refused instanceof Response, String(refused));
assert.equal(refused.status, 429);
assert.equal((await refused.json()).code, "too_many_requests");

const signed = await sdk.signInWithEmailVerification({
  environmentId,
  emailVerificationVerifyRequest: { verificationUUID: created.verificationUUID, verificationToken: firstCode },
});
assert.ok(signed.minifiedJwt && signed.jwt && signed.expiresAt > Date.now() / 1000);
assert.equal(signed.user.email, email);

const taken = await sdk.getUserFieldsCheck({ environmentId, filter: { field: "email", value: email.toUpperCase() } });
assert.equal(taken.available, false, "the signed-in address is taken, whatever its case");

const authed = new SDKApi(new Configuration({ basePath: gateway, accessToken: signed.minifiedJwt }));
const refreshed = await authed.refreshAuth({ environmentId });
assert.equal(refreshed.user.id, signed.user.id);
assert.equal(refreshed.user.sessionId, signed.user.sessionId, "the same session");

const jwks = await sdk.getJwksJsonByEnvironmentId({ environmentId });
const { kid } = JSON.parse(Buffer.from(signed.minifiedJwt.split(".")[0], "base64url").toString());
assert.ok(jwks.keys.some((k) => k.kid === kid), "the signing key is published");

const { nonces } = await sdk.getNonces({ environmentId, count: 5 });
assert.equal(nonces.length, 5);

await authed.revokeSession({ environmentId });
const gone = await authed.getAuthenticatedUser({ environmentId }).then(() => null, (e) => e);
assert.equal(gone?.status, 401);
console.log("dynamic SDKApi: users/check, create, retry (429 within the gap), signin, refresh, jwks.json, nonces, revoke passed");
