// Numbers a double does not hold, end to end: bigint ids at ±2^63 and
// numeric(38,0) amounts (clients/testdata/numbers) go to Warden exactly as
// bigints or strings, a JS number that has already rounded one is refused,
// and Filter's parameters reach PostgreSQL through pg exactly.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { Code, WardenClient, WardenError, pgQuery, type Principal } from "../src/index.js";
import { apiKeysFlag, newKey, repoRoot, startServer, type Server } from "./server.js";

const numbers = path.join(repoRoot, "clients", "testdata", "numbers");
const pgURL = process.env.WARDEN_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const maxBigint = 9223372036854775807n;
const minBigint = -9223372036854775808n;
const bigNumeric = "12345678901234567890123456789012345678";
const user = (id: bigint): Principal => ({ role: "user", session: { "x-hasura-user-id": id.toString() } });

let server: Server;
let c: WardenClient;

before(async () => {
  const key = newKey("service", "user", "check", "filter", "trusted-session");
  server = await startServer("--api-keys", apiKeysFlag(key), "--policy", numbers);
  c = new WardenClient(server.url, { apiKey: key.secret });
});

after(async () => {
  c.close();
  await server.stop();
});

describe("numbers", () => {
  it("checks bigints at ±2^63 and numeric(38,0) values exactly", async () => {
    for (const [id, other] of [
      [maxBigint, maxBigint - 1n],
      [minBigint, minBigint + 1n],
    ]) {
      const res = await c.check({
        principal: user(id),
        table: "accounts",
        operation: "select",
        rows: [
          { values: { id: 1n, owner_id: id, balance: bigNumeric } },
          { values: { id: 2, owner_id: other.toString(), balance: 0n } },
        ],
      });
      assert.deepEqual(
        res.decisions.map((d) => d.effect),
        ["allow", "deny"],
      );
    }
  });

  it("refuses a JS number that has already rounded a bigint", async () => {
    await assert.rejects(
      c.checkRow(user(maxBigint), "accounts", "select", { id: 1, owner_id: Number(maxBigint), balance: 0 }),
      (e: WardenError) => e.code === Code.InvalidArgument && e.fields.length === 1 && e.fields[0].field === "rows[0].values.owner_id",
    );
  });

  it("answers presets as decimal strings", async () => {
    const res = await c.checkRow(user(minBigint), "accounts", "insert", { id: 7, balance: bigNumeric });
    assert.equal(res.allowed, true);
    assert.deepEqual(res.presets, { owner_id: minBigint.toString() });
  });

  it("gives exact parameters and runs them in PostgreSQL", async (t) => {
    const f = await c.filter({ principal: user(maxBigint), table: "transfers", operation: "select", dialect: "postgres", tableAlias: "t" });
    assert.deepEqual(f.where!.params, ["12345678901234567890123456789012345676", maxBigint.toString()]);
    const auditor = await c.filter({ principal: { role: "auditor" }, table: "accounts", operation: "select", dialect: "postgres", tableAlias: "t" });
    assert.deepEqual(auditor.where!.params, [[maxBigint.toString(), minBigint.toString()], bigNumeric]);

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
      await db.query(readFileSync(path.join(numbers, "postgres.sql"), "utf8"));
      const cases: Array<[Principal, string, string[]]> = [
        [user(maxBigint), "transfers", ["1"]],
        [user(minBigint), "transfers", ["4"]],
        [user(maxBigint - 1n), "transfers", ["3"]],
        [user(maxBigint - 1n), "accounts", ["2"]],
        [{ role: "auditor" }, "accounts", [minBigint.toString(), "1", maxBigint.toString()]],
      ];
      for (const [p, table, want] of cases) {
        const f = await c.filter({ principal: p, table, operation: "select", dialect: "postgres", tableAlias: "t" });
        // pg reads bigint columns as strings: exact.
        const q = pgQuery`SELECT t.id FROM ${{ sql: table, params: [] }} t WHERE ${f.where!} ORDER BY t.id`;
        const got = (await db.query(q)).rows.map((r) => r.id);
        assert.deepEqual(got, want, `${p.role} ${JSON.stringify(p.session)} ${table}`);
        // The rows as pg reads them decide the same in Check.
        const all = (await db.query(`SELECT * FROM ${table} ORDER BY id`)).rows;
        if (table === "accounts") {
          const checked = await c.check({ principal: p, table, operation: "select", rows: all.map((r) => ({ id: r.id, values: r })) });
          assert.deepEqual(
            checked.decisions.filter((d) => d.allowed).map((d) => d.id),
            want,
          );
        }
      }
    } finally {
      await db.end();
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
