// Check and errors through WardenClient against a real server with the
// example policy set (policy/examples/blog).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, WardenClient, WardenError, type Principal } from "../src/index.js";
import { setup, token, type Setup } from "./server.js";

const alice: Principal = { role: "user", session: { "x-hasura-user-id": "1", "x-hasura-org-id": "1" } };

function article(id: number, org: number, author: number, published: boolean) {
  return { id, org_id: org, author_id: author, published, title: "t", created_at: "2024-01-10T09:00:00Z" };
}

/** Runs fn, expecting a WardenError with the code; returns it. */
async function refused(fn: () => Promise<unknown>, code: Code): Promise<WardenError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof WardenError, `not a WardenError: ${err}`);
    assert.equal(err.codeName, Code[code], err.message);
    return err;
  }
  assert.fail(`no error, want ${Code[code]}`);
}

let s: Setup;
let c: WardenClient;

before(async () => {
  s = await setup();
  c = new WardenClient(s.server.url, { apiKey: s.apiKey });
});

after(async () => {
  c.close();
  await s.server.stop();
});

describe("check", () => {
  for (const [name, row, want] of [
    ["her own draft", article(2, 1, 1, false), "allow"],
    ["a published article of her organisation", article(3, 1, 2, true), "allow"],
    ["a draft of a colleague", article(4, 1, 2, false), "deny"],
    ["a published article of another organisation", article(5, 2, 3, true), "deny"],
  ] as const) {
    it(name, async () => {
      const res = await c.checkRow(alice, "articles", "select", row);
      assert.equal(res.decisions.length, 1);
      const d = res.decisions[0];
      assert.equal(d.effect, want, d.reason);
      assert.equal(d.allowed, want === "allow");
      assert.equal(res.allowed, d.allowed);
      assert.equal(d.id, "0");
      assert.equal(res.role, "user");
      assert.ok(d.reason && res.revision && res.decisionId);
      if (want === "allow") assert.ok(d.allowedColumns.includes("title"), `${d.allowedColumns}`);
    });
  }

  it("decides a batch, in order, with ids", async () => {
    const res = await c.check({
      principal: alice,
      table: "public.articles",
      operation: "select",
      columns: ["id", "title"],
      rows: [
        { id: "own-draft", values: article(2, 1, 1, false) },
        { id: "colleague-draft", values: article(4, 1, 2, false) },
        { values: article(1, 1, 1, true) },
      ],
    });
    assert.deepEqual(
      res.decisions.map((d) => `${d.id}=${d.effect}`),
      ["own-draft=allow", "colleague-draft=deny", "2=allow"],
    );
    assert.equal(res.allowed, false);
  });

  it("returns the presets of an insert", async () => {
    const res = await c.checkRow(alice, "articles", "insert", { title: "New", body: "b", published: false });
    assert.ok(res.allowed, res.decisions[0].reason);
    assert.deepEqual(res.presets, { author_id: 1, org_id: 1 });
  });
});

describe("needs data", () => {
  it("names the relationship a check reads, and decides once it is sent", async () => {
    const comment = { article_id: 3, body: "Well done" };
    const res = await c.checkRow(alice, "comments", "insert", comment);
    assert.equal(res.decisions[0].effect, "needs_data");
    assert.ok(res.decisions[0].missingData.includes("article"), `${res.decisions[0].missingData}`);
    const withArticle = { ...comment, article: { id: 3, org_id: 1, author_id: 2, published: true } };
    assert.ok((await c.checkRow(alice, "comments", "insert", withArticle)).allowed);
  });
});

describe("errors", () => {
  it("FailedPrecondition names the missing session variable", async () => {
    const e = await refused(
      () => c.checkRow({ role: "user", session: { "x-hasura-user-id": "1" } }, "articles", "select", article(5, 2, 3, true)),
      Code.FailedPrecondition,
    );
    assert.deepEqual(e.missingVariables, ["x-hasura-org-id"]);
    assert.equal(e.reason, "MISSING_SESSION_VARIABLES");
    assert.equal(e.metadata.variables, "x-hasura-org-id");
  });

  it("InvalidArgument names the field", async () => {
    const e = await refused(
      () => c.checkRow(alice, "articles", "select", { ...article(2, 1, 1, false), colour: "red" }),
      Code.InvalidArgument,
    );
    assert.equal(e.fields[0]?.field, "rows[0].values.colour");
    await refused(() => c.check({ principal: alice, table: "articles", operation: "select", rows: [] }), Code.InvalidArgument);
  });

  it("NotFound for an unknown table", async () => {
    const e = await refused(() => c.checkRow(alice, "invoices", "select", { id: 1 }), Code.NotFound);
    assert.equal(e.reason, "UNKNOWN_TABLE");
  });

  it("Unauthenticated without a valid key, PermissionDenied outside the grants", async () => {
    for (const apiKey of ["", "wk_not_a_key"]) {
      const other = new WardenClient(s.server.url, { apiKey });
      await refused(() => other.checkRow(alice, "articles", "select", article(2, 1, 1, false)), Code.Unauthenticated);
      other.close();
    }
    const tokenOnly = new WardenClient(s.server.url, { apiKey: s.tokenOnlyKey });
    await refused(() => tokenOnly.checkRow(alice, "articles", "select", article(2, 1, 1, false)), Code.PermissionDenied);
    tokenOnly.close();
  });
});

describe("end-user tokens", () => {
  it("decides for the token's session and roles", async () => {
    const tc = new WardenClient(s.server.url, { apiKey: s.tokenOnlyKey });
    try {
      const carol = token(s.jwtSecret, { id: "3", orgId: "2", roles: ["user", "editor"] });
      const res = await tc.check({
        principal: { token: carol },
        table: "articles",
        operation: "select",
        rows: [{ values: article(6, 2, 3, false) }, { values: article(2, 1, 1, false) }],
      });
      assert.equal(res.role, "user");
      assert.deepEqual(res.decisions.map((d) => d.effect), ["allow", "deny"]);
      const asEditor = await tc.checkRow({ token: carol, role: "editor" }, "articles", "select", article(7, 2, 4, false));
      assert.ok(asEditor.allowed && asEditor.role === "editor");
      const forged = token("another-secret-another-secret-xx", { id: "3", orgId: "2", roles: ["user"] });
      await refused(() => tc.checkRow({ token: forged }, "articles", "select", article(6, 2, 3, false)), Code.Unauthenticated);
    } finally {
      tc.close();
    }
  });
});
