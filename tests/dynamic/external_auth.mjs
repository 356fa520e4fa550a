// External authentication through Dynamic's own generated clients, against the local stack that
// scripts/browser_test.sh starts: an issuer made here (its RSA key, its JWKS on loopback),
// configured with EnvironmentsApi.updateProjectSettings (`security.externalAuth`, Dynamic's
// shape), a sample token judged by ExternalJwtApi.checkExternalJwt, and SDKApi.externalAuthSignin
// binding the pre-signup record UsersApi.createUser made; @dynamic-labs-sdk/client's
// signInWithExternalJwt. Loopback only; no telemetry.
//
//   node tests/dynamic/external_auth.mjs GATEWAY_URL ENVIRONMENT_ID API_KEY
import assert from "node:assert/strict";
import { createSign, generateKeyPairSync, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { Configuration, EnvironmentsApi, ExternalJwtApi, UsersApi } from "@dynamic-labs/sdk-api";
import { Configuration as CoreConfiguration, SDKApi } from "@dynamic-labs/sdk-api-core";
import { signInWithExternalJwt } from "@dynamic-labs-sdk/client";
import { dynamicClient, loopbackOnly } from "./node_services.mjs";

const [gateway, environmentId, apiKey] = process.argv.slice(2);
assert.ok(gateway && environmentId && apiKey, "usage: external_auth.mjs GATEWAY ENVIRONMENT_ID API_KEY");
assert.match(gateway, /^http:\/\/127\.0\.0\.1:\d+$/, "loopback only");
loopbackOnly();

// The issuer: one RSA key, its JWKS served on a loopback port.
const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: "jwk" }), kid: "node-1", alg: "RS256", use: "sig" };
const jwks = createServer((req, res) => {
  res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=600" });
  res.end(JSON.stringify({ keys: [jwk] }));
});
await new Promise((ready) => jwks.listen(0, "127.0.0.1", ready));
const base = `http://127.0.0.1:${jwks.address().port}`;
const iss = `${base}/issuer`;
const aud = "node-app-client";
const b64 = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const token = (claims) => {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: "RS256", typ: "JWT", kid: "node-1" })}.${b64({ iss, aud, iat: now, exp: now + 600, ...claims })}`;
  return `${input}.${createSign("RSA-SHA256").update(input).sign(privateKey).toString("base64url")}`;
};

const config = new Configuration({ basePath: gateway, accessToken: apiKey });
const environments = new EnvironmentsApi(config);
const { settings } = await environments.getEnvironmentById({ environmentId });
const saved = await environments.updateProjectSettings({
  environmentId,
  projectSettings: { ...settings, security: { ...settings.security, externalAuth: { enabled: true, iss, aud, jwksUrl: `${base}/jwks.json` } } },
});
assert.equal(saved.security.externalAuth.iss, iss);
assert.equal(saved.security.externalAuth.enabled, true);

const email = `ext.${randomUUID().slice(0, 12)}@example.com`;
const good = token({ sub: "node-sub-1", email, email_verified: true });
const checker = new ExternalJwtApi(config);
const verdict = await checker.checkExternalJwt({ environmentId, externalJwtCheckRequest: { encodedJwt: good } });
assert.deepEqual([verdict.valid, verdict.errors], [true, []]);
const wrong = await checker.checkExternalJwt({ environmentId, externalJwtCheckRequest: { encodedJwt: token({ sub: "x", aud: "other" }) } });
assert.equal(wrong.valid, false);
assert.match(wrong.errors[0], /^invalid_audience/);

const pre = await new UsersApi(config).createUser({ environmentId, internalBulkUpdateUserFields: { email, firstName: "Pre" } });
const sdk = new SDKApi(new CoreConfiguration({ basePath: gateway }));
const signed = await sdk.externalAuthSignin({ environmentId, externalAuthSigninRequest: { jwt: good } });
assert.equal(signed.user.id, pre.user.id, "the pre-signup record is bound");
assert.equal(signed.user.firstName, "Pre");
const payload = JSON.parse(Buffer.from(signed.minifiedJwt.split(".")[1], "base64url"));
assert.equal(payload.external_user_id, "node-sub-1");
assert.ok(signed.user.verifiedCredentials.some((c) => c.format === "externalUser" && c.publicIdentifier === "node-sub-1"));
const refused = await sdk.externalAuthSignin({ environmentId, externalAuthSigninRequest: { jwt: token({ sub: "x", exp: 1 }) } }).then(() => null, (e) => e);
assert.ok(refused instanceof Response, String(refused));
assert.equal(refused.status, 401);
assert.equal((await refused.json()).code, "token_expired");

// Dynamic's framework-free client: signInWithExternalJwt, a new user (no email in the token).
const client = await dynamicClient(environmentId, gateway);
assert.equal(client.initStatus, "finished", String(client.initError));
await signInWithExternalJwt({ externalJwt: token({ sub: "node-sub-2" }) }, client);
assert.ok(client.user?.id, "the client holds the signed-in user");
assert.notEqual(client.user.id, pre.user.id);
assert.ok(client.user.verifiedCredentials.some((c) => c.format === "externalUser" && c.publicIdentifier === "node-sub-2"));
jwks.close();
console.log("dynamic external auth: updateProjectSettings (security.externalAuth), checkExternalJwt, externalAuthSignin (pre-signup bound, external_user_id), a refused token, the client's signInWithExternalJwt passed");
// Dynamic's client keeps timers alive (as in sdk_client.mjs): end here.
process.exit(0);
