// A jsonb column's JSON null, end to end (clients/testdata/jsonnull):
// JSON_NULL is 'null'::jsonb, which IS NOT NULL, null is SQL NULL, and a
// preset that is JSON null comes back as JSON_NULL.

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { JSON_NULL, WardenClient, jsonNullPaths } from "../src/index.js";
import { apiKeysFlag, newKey, repoRoot, startServer, type Server } from "./server.js";

let server: Server;
let c: WardenClient;

before(async () => {
  const key = newKey("service", "user", "check", "filter", "trusted-session");
  server = await startServer("--api-keys", apiKeysFlag(key), "--policy", path.join(repoRoot, "clients", "testdata", "jsonnull"));
  c = new WardenClient(server.url, { apiKey: key.secret });
});

after(async () => {
  c.close();
  await server.stop();
});

describe("JSON null", () => {
  it("names the paths of JSON_NULL, and not of null", () => {
    assert.deepEqual(jsonNullPaths("values", { meta: JSON_NULL, note: null, author: { prefs: JSON_NULL }, tags: [{}, { x: JSON_NULL }] }), [
      "values.author.prefs",
      "values.meta",
      "values.tags[1].x",
    ]);
  });

  it("is not SQL NULL for _is_null", async () => {
    const res = await c.check({
      principal: { role: "untagged" },
      table: "docs",
      operation: "select",
      rows: [{ values: { id: 1, title: "t", meta: null } }, { values: { id: 2, title: "t", meta: JSON_NULL } }],
    });
    assert.deepEqual(
      res.decisions.map((d) => d.effect),
      ["allow", "deny"],
    );
  });

  it("comes back as JSON_NULL in presets", async () => {
    const res = await c.checkRow({ role: "user", session: { "x-hasura-meta": "null" } }, "docs", "insert", { id: 1, title: "t" });
    assert.equal(res.decisions[0].effect, "allow");
    assert.equal(res.presets.meta, JSON_NULL);
    const sqlNull = await c.checkRow({ role: "user", session: { "x-hasura-meta": "{}" } }, "docs", "insert", { id: 1, title: "t" });
    assert.deepEqual(sqlNull.presets, { meta: {} });
  });
});
