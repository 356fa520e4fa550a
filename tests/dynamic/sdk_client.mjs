// Dynamic's own framework-free client (@dynamic-labs-sdk/client 1.27.1), with only its base URL
// changed, against the local stack that scripts/browser_test.sh starts: start; sign-in by email
// code binds the pre-signup record; a field the operator made required is missing and the scope
// says so; updateUser fills it; an email change is verified by code; refreshUser; logout, and the
// old token is refused. Instrumentation off, and every request checked to stay on loopback.
//
//   node tests/dynamic/sdk_client.mjs GATEWAY_URL MOTO_URL ENVIRONMENT_ID API_KEY
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  isUserOnboardingComplete, logout, refreshUser, sendEmailOTP, updateUser, verifyOTP,
} from "@dynamic-labs-sdk/client";
import { codeFor, dynamicClient, loopbackOnly } from "./node_services.mjs";

const [gateway, moto, environmentId, apiKey] = process.argv.slice(2);
assert.ok(gateway && moto && environmentId && apiKey, "usage: sdk_client.mjs GATEWAY MOTO ENVIRONMENT_ID API_KEY");
for (const url of [gateway, moto]) assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, "loopback only");
loopbackOnly();

const operator = async (method, path, body) => {
  const response = await fetch(`${gateway}/environments/${environmentId}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
};

// The operator captured a user before sign-up, and makes lastName required.
const email = `sdk.${randomUUID().slice(0, 12)}@example.com`;
const created = await operator("POST", "/users", { email, firstName: "Ada", metadata: { plan: "pro" } });
const { fields } = await operator("GET", "/settings/userFields");
const withLastName = fields.some((f) => f.name === "lastName") ? fields : [...fields, { name: "lastName", type: "standard" }];
await operator("PUT", "/settings/userFields", { fields: withLastName.map((f) => (f.name === "lastName" ? { ...f, enabled: true, required: true, userAccess: "edit" } : f)) });

const client = await dynamicClient(environmentId, gateway);
assert.equal(client.initStatus, "finished", String(client.initError));
assert.ok(client.projectSettings.kyc.some((f) => f.name === "lastName" && f.required), "settings.kyc lists the field list");

// Sign-in binds the pre-signup record.
const otp = await sendEmailOTP({ email }, client);
assert.ok(otp.verificationUUID);
const wrong = await verifyOTP({ otpVerification: otp, verificationToken: "000000" }, client).then(() => null, (e) => e);
assert.equal(wrong?.code, "wrong_email_verification_token", String(wrong));
await verifyOTP({ otpVerification: otp, verificationToken: await codeFor(moto, email) }, client);
assert.equal(client.user.id, created.user.id, "the pre-signup record is the one signed in");
assert.equal(client.user.firstName, "Ada", "captured fields are kept");
assert.ok(client.user.verifiedCredentials.some((c) => c.format === "email" && c.email === email), "the email is a verified credential");
assert.deepEqual(client.user.missingFields.map((f) => f.name), ["lastName"]);
assert.ok(!client.user.scope.split(" ").includes("user:basic"), client.user.scope);
assert.equal(isUserOnboardingComplete(client), false);
const firstToken = client.token;
assert.ok(firstToken, "the client holds the minified token");

// Completing the profile: a new token with user:basic.
assert.equal(await updateUser({ userFields: { lastName: "Lovelace" } }, client), undefined);
assert.deepEqual(client.user.missingFields, []);
assert.ok(client.user.scope.split(" ").includes("user:basic"));
assert.equal(isUserOnboardingComplete(client), true);
const claims = JSON.parse(Buffer.from(client.token.split(".")[1], "base64url").toString());
assert.ok(claims.scope.split(" ").includes("user:basic"), JSON.stringify(claims));
assert.equal(claims.environment_id, environmentId);

// An email change takes effect once its code is verified.
const newEmail = `new.${email}`;
const pending = await updateUser({ userFields: { email: newEmail } }, client);
assert.equal(pending?.email, newEmail);
assert.equal(client.user.email, email, "not before its code");
await verifyOTP({ otpVerification: pending, verificationToken: await codeFor(moto, newEmail) }, client);
assert.equal(client.user.email, newEmail);

const fresh = await refreshUser(client);
assert.equal(fresh.email, newEmail);
assert.equal(fresh.lastName, "Lovelace");

const lastToken = client.token;
await logout(client);
assert.equal(client.user, null);
for (const token of [firstToken, lastToken]) {
  const after = await fetch(`${gateway}/sdk/${environmentId}/users`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(after.status, 401, "a signed-out session's tokens are refused");
}
console.log("dynamic sdk client: start, sendEmailOTP/verifyOTP (pre-signup bound), missingFields and scope, updateUser, email change by code, refreshUser, logout passed");
process.exit(0);
