// Filter through WardenClient, and its fragments through node-postgres
// against the example's schema.sql and seed.sql: the rows a query returns
// are the rows Check allows.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { Code, WardenClient, WardenError, pgQuery, renumber, type Principal } from "../src/index.js";
import { repoRoot, setup, type Setup } from "./server.js";

const alice: Principal = { role: "user", session: { "x-hasura-user-id": "1", "x-hasura-org-id": "1" } };
const dave: Principal = { role: "editor", session: { "x-hasura-user-id": "4", "x-hasura-org-id": "2" } };
const blog = path.join(repoRoot, "policy", "examples", "blog");
const pgURL = process.env.WARDEN_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

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

describe("filter", () => {
  it("renders the row filter for PostgreSQL", async () => {
    const f = await c.filter({ principal: alice, table: "articles", operation: "select", dialect: "postgres", tableAlias: "a" });
    assert.equal(f.kind, "conditional");
    assert.equal(f.limit, 100);
    assert.equal(f.role, "user");
    assert.ok(f.revision && f.decisionId && f.reason);
    assert.deepEqual(f.columns, ["author_id", "body", "created_at", "id", "org_id", "published", "title"]);
    assert.match(f.where!.sql, /^\(.*"a"\."author_id" = \$1::bigint.*\$3.*\)$/);
    assert.deepEqual(f.where!.params, [1, 1, true]);
    assert.equal(f.predicate?.node.case, "any");
  });

  it("returns the predicate alone without a dialect", async () => {
    const f = await c.filter({ principal: dave, table: "public.articles", operation: "delete" });
    assert.equal(f.where, undefined);
    const node = f.predicate?.node;
    assert.equal(node?.case, "comparison");
    if (node?.case === "comparison") {
      assert.equal(node.value.column?.name, "org_id");
      assert.deepEqual(node.value.right, { case: "value", value: node.value.right.value });
      assert.equal(node.value.right.case === "value" && node.value.right.value.kind.value, 2);
    }
  });

  it("returns the presets and the insert check, for SQLite", async () => {
    const f = await c.filter({ principal: alice, table: "articles", operation: "insert", dialect: "sqlite" });
    assert.deepEqual(f.presets, { author_id: 1, org_id: 1 });
    assert.deepEqual(f.columns, ["body", "published", "title"]);
    assert.doesNotMatch(f.where!.sql, /\$/);
    assert.deepEqual(f.where!.params, [1]);
  });

  it("answers a role without permission with always_denied", async () => {
    const f = await c.filter({ principal: { role: "anonymous" }, table: "users", operation: "select", dialect: "postgres" });
    assert.equal(f.kind, "always_denied");
    assert.deepEqual(f.columns, []);
  });

  it("refuses with the error statuses", async () => {
    for (const [req, code] of [
      [{ principal: { role: "user", session: { "x-hasura-user-id": "1" } }, table: "articles" }, Code.FailedPrecondition],
      [{ principal: alice, table: "" }, Code.InvalidArgument],
      [{ principal: alice, table: "invoices" }, Code.NotFound],
    ] as const) {
      await assert.rejects(
        c.filter({ ...req, operation: "select", dialect: "postgres" }),
        (e: WardenError) => e.code === code && (code !== Code.FailedPrecondition || e.missingVariables[0] === "x-hasura-org-id"),
      );
    }
  });
});

describe("pg", () => {
  it("renumbers a fragment after the query's own parameters", () => {
    const where = { sql: '("a"."x" = $1::bigint OR "a"."y" = $2)', params: [7, "b"] };
    const q = pgQuery`SELECT 1 FROM t a WHERE a.z = ${"z"} AND ${where} LIMIT ${10}`;
    assert.equal(q.text, 'SELECT 1 FROM t a WHERE a.z = $1 AND ("a"."x" = $2::bigint OR "a"."y" = $3) LIMIT $4');
    assert.deepEqual(q.values, ["z", 7, "b", 10]);
  });

  it("numbers from a fragment's first placeholder, leaving quotes and comments alone", () => {
    const check = { sql: `("a"."x" = $4 AND '$1' = "$2" /* $3 */)`, params: [1] };
    assert.equal(pgQuery`${check}`.text, `("a"."x" = $1 AND '$1' = "$2" /* $3 */)`);
    assert.throws(() => pgQuery`${{ sql: "$1 $2", params: [1] }}`, RangeError);
    assert.equal(renumber("x$1 $12 ''''$1", (n) => n + 1), "x$1 $13 ''''$2");
  });

  it("runs the filter in PostgreSQL", async (t) => {
    const admin = new pg.Client({ connectionString: pgURL, connectionTimeoutMillis: 3000 });
    try {
      await admin.connect();
    } catch (err) {
      if (process.env.CI === "true") throw err;
      return t.skip(`PostgreSQL is unreachable at ${pgURL} (set WARDEN_TEST_POSTGRES_URL): ${err}`);
    }
    const name = "warden_ts_" + randomBytes(4).toString("hex");
    await admin.query(`CREATE DATABASE ${name}`);
    const db = new pg.Client({ connectionString: pgURL.replace(/\/[^/?]*(\?|$)/, `/${name}$1`) });
    try {
      await db.connect();
      await db.query(readFileSync(path.join(blog, "schema.sql"), "utf8"));
      await db.query(readFileSync(path.join(blog, "seed.sql"), "utf8"));
      const all = (await db.query("SELECT id, org_id, author_id, published FROM articles ORDER BY id")).rows;
      for (const [p, want] of [
        [alice, [1, 2, 3]],
        [dave, [5, 6, 7]],
      ] as const) {
        const f = await c.filter({ principal: p, table: "articles", operation: "select", dialect: "postgres", tableAlias: "a" });
        const q = pgQuery`SELECT a.id FROM articles a WHERE a.id > ${0} AND ${f.where!} ORDER BY a.id LIMIT ${f.limit ?? 1000}`;
        const got = (await db.query(q)).rows.map((r) => r.id);
        assert.deepEqual(got, want);
        const checked = await c.check({
          principal: p,
          table: "articles",
          operation: "select",
          rows: all.map((r) => ({ id: String(r.id), values: r })),
        });
        assert.deepEqual(got, checked.decisions.filter((d) => d.allowed).map((d) => Number(d.id)));
      }
    } finally {
      await db.end();
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
