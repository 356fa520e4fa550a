// What Dynamic's browser client gets from the browser, for Node: storage (instead of
// localStorage) and a keychain of P-256 keys (instead of IndexedDB), both in memory; and that
// client, built with them and instrumentation off.
import { createDynamicClient, initializeClient } from "@dynamic-labs-sdk/client";
import { webcrypto } from "node:crypto";

export function memoryStorage() {
  const items = new Map();
  return {
    getItem: async (key) => items.get(key) ?? null,
    setItem: async (key, value) => void items.set(key, value),
    removeItem: async (key) => void items.delete(key),
  };
}

const hex = (bytes) => Buffer.from(new Uint8Array(bytes)).toString("hex");
// The compressed SEC1 form the client sends as x-dyn-session-public-key.
const compressed = async (publicKey) => {
  const raw = new Uint8Array(await webcrypto.subtle.exportKey("raw", publicKey));
  return hex([2 | (raw[64] & 1), ...raw.slice(1, 33)]);
};
const P256 = { name: "ECDSA", namedCurve: "P-256" };

export function memoryKeychain() {
  const keys = new Map();
  return {
    async generateKey(name) {
      const pair = await webcrypto.subtle.generateKey(P256, false, ["sign"]);
      const pub = await compressed(pair.publicKey);
      keys.set(name, { key: pair.privateKey, pub });
      return pub;
    },
    async importKey(name, jwk) {
      const key = await webcrypto.subtle.importKey("jwk", jwk, P256, false, ["sign"]);
      const pub = await compressed(await webcrypto.subtle.importKey("jwk", { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, P256, true, ["verify"]));
      keys.set(name, { key, pub });
      return pub;
    },
    getPublicKey: async (name) => keys.get(name)?.pub ?? null,
    hasKey: async (name) => keys.has(name),
    removeKey: async (name) => void keys.delete(name),
    async sign(name, message) {
      const entry = keys.get(name);
      if (!entry) throw new Error(`no key ${name}`);
      return hex(await webcrypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, entry.key, new TextEncoder().encode(message)));
    },
  };
}

/// Every request of this process goes to loopback, or it fails here.
export function loopbackOnly() {
  const real = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    if (url.hostname !== "127.0.0.1") throw new Error(`request to ${url.host} refused: loopback only`);
    return real(input, init);
  };
}

/// The last code moto's dev endpoint kept for `email`, once one newer than `after` is there.
export async function codeFor(moto, email, after = null) {
  for (let i = 0; i < 100; i++) {
    const sent = await fetch(`${moto}/userfields-dev/last-email?to=${encodeURIComponent(email)}`);
    if (sent.status === 200) {
      const { code } = await sent.json();
      if (code && code !== after) return code;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no code was sent to ${email}`);
}

/// Dynamic's framework-free client for `environmentId` at `gateway`, with instrumentation off and
/// in-memory storage, initialised.
export async function dynamicClient(environmentId, gateway) {
  const client = createDynamicClient({
    environmentId,
    autoInitialize: false,
    logLevel: "error",
    instrumentation: { enabled: false },
    coreConfig: { apiBaseUrl: gateway, fetch: (url, init) => globalThis.fetch(url, init), storageAdapter: memoryStorage(), keychain: memoryKeychain() },
  });
  await initializeClient(client);
  return client;
}
