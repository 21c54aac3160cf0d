// Retries, deadlines and credentials, against an in-process fake of the
// AuthorizationService that fails, stalls and records on demand.

import assert from "node:assert/strict";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { WardenClient, WardenError, api } from "../src/index.js";

const fake = { unavailable: 0, stallMs: 0, calls: 0, headers: new Headers() };
let server: http2.Http2Server;
let url: string;

before(async () => {
  server = http2.createServer(
    connectNodeAdapter({
      routes(router) {
        router.service(api.AuthorizationService, {
          async check(req, ctx) {
            fake.calls++;
            fake.headers = ctx.requestHeader;
            if (fake.calls <= fake.unavailable) throw new ConnectError("not yet", Code.Unavailable);
            await new Promise((r) => setTimeout(r, fake.stallMs));
            return create(api.CheckResponseSchema, {
              decisions: [{ id: req.rows[0].id, decision: api.Decision.ALLOW }],
            });
          },
        });
      },
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function reset(unavailable = 0, stallMs = 0) {
  Object.assign(fake, { unavailable, stallMs, calls: 0 });
}

async function checkOnce(c: WardenClient, token?: string) {
  try {
    return await c.checkRow({ role: "user", token }, "t", "select", { id: 1 });
  } finally {
    c.close();
  }
}

describe("retries on Unavailable", () => {
  it("tries up to 4 times by default", async () => {
    reset(3);
    const res = await checkOnce(new WardenClient(url));
    assert.ok(res.allowed);
    assert.equal(fake.calls, 4);
  });

  it("gives up after 4", async () => {
    reset(4);
    await assert.rejects(checkOnce(new WardenClient(url)), (e: WardenError) => e.code === Code.Unavailable);
    assert.equal(fake.calls, 4);
  });

  it("does not retry with maxAttempts 1", async () => {
    reset(1);
    await assert.rejects(checkOnce(new WardenClient(url, { maxAttempts: 1 })), (e: WardenError) => e.code === Code.Unavailable);
    assert.equal(fake.calls, 1);
  });
});

describe("deadline", () => {
  it("cuts a call at timeoutMs", async () => {
    reset(0, 2000);
    const start = Date.now();
    await assert.rejects(
      checkOnce(new WardenClient(url, { timeoutMs: 50 })),
      (e: WardenError) => e.code === Code.DeadlineExceeded,
    );
    assert.ok(Date.now() - start < 1500, `took ${Date.now() - start}ms`);
  });
});

describe("credentials", () => {
  it("sends the API key and the principal's token, else the client's", async () => {
    reset();
    await checkOnce(new WardenClient(url, { apiKey: "k1", bearerToken: "default-jwt" }));
    assert.equal(fake.headers.get("x-warden-api-key"), "k1");
    assert.equal(fake.headers.get("authorization"), "Bearer default-jwt");
    await checkOnce(new WardenClient(url, { apiKey: "k1", bearerToken: "default-jwt" }), "user-jwt");
    assert.equal(fake.headers.get("authorization"), "Bearer user-jwt");
  });
});
