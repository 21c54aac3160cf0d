// SQL fragments from a Filter answer, and `pg`, a tagged template that
// puts them into a node-postgres query with placeholders renumbered.
// Values only ever travel as bind parameters.

import type { SqlFragment, SqlParameter } from "./gen/warden/v1/authorization_pb.js";

/**
 * A bind parameter, exact: integers beyond ±(2^53-1) (bigint ids) arrive as
 * decimal text, and numerics always do; Warden's SQL casts them, and pg
 * sends strings as they are. Never convert them to numbers.
 */
export type SqlValue = string | number | boolean | string[] | number[] | boolean[];

/** SQL text with its bind parameters, in placeholder order. */
export interface Fragment {
  sql: string;
  params: SqlValue[];
}

/** A node-postgres query config: pool.query(q) or client.query(q). */
export interface PgQuery {
  text: string;
  values: SqlValue[];
}

/** Converts a fragment of a FilterResponse. */
export function fragment(f: SqlFragment): Fragment {
  return { sql: f.sql, params: f.parameters.map(param) };
}

function param(p: SqlParameter): SqlValue {
  const v = p.value;
  switch (v.case) {
    case "text":
    case "boolean":
    case "real":
      return v.value;
    case "integer":
      return integer(v.value);
    case "array": {
      const elems = v.value.elements.map(param);
      const kinds = new Set(elems.map((e) => typeof e));
      if (kinds.size > 1 && !(kinds.size === 2 && kinds.has("number") && kinds.has("string"))) {
        throw new TypeError("a SQL array parameter mixes kinds of values");
      }
      return elems as SqlValue;
    }
  }
  throw new TypeError("a SQL parameter without a value");
}

function integer(i: bigint): number | string {
  return i >= BigInt(Number.MIN_SAFE_INTEGER) && i <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(i) : i.toString();
}

/**
 * Builds a node-postgres query from a template: a Fragment (of a filter
 * rendered for "postgres") goes in with its placeholders renumbered to
 * follow the query's, and any other value becomes a new placeholder.
 *
 *   const q = pgQuery`SELECT a.id, a.title FROM articles a WHERE ${f.where} AND a.created_at > ${since} LIMIT ${10}`;
 *   const { rows } = await pool.query(q);
 */
export function pgQuery(strings: TemplateStringsArray, ...parts: Array<Fragment | SqlValue>): PgQuery {
  let text = strings[0];
  const values: SqlValue[] = [];
  parts.forEach((part, i) => {
    if (isFragment(part)) {
      const offset = values.length;
      const base = lowestPlaceholder(part.sql);
      text += renumber(part.sql, (n) => {
        const k = n - base;
        if (k < 0 || k >= part.params.length) {
          throw new RangeError(`placeholder $${n} has no parameter (the fragment has ${part.params.length})`);
        }
        return offset + k + 1;
      });
      values.push(...part.params);
    } else {
      values.push(part);
      text += `$${values.length}`;
    }
    text += strings[i + 1];
  });
  return { text, values };
}

function isFragment(x: unknown): x is Fragment {
  return typeof x === "object" && x !== null && !Array.isArray(x) && "sql" in x && "params" in x;
}

function lowestPlaceholder(sql: string): number {
  let low = Infinity;
  renumber(sql, (n) => {
    low = Math.min(low, n);
    return n;
  });
  return Number.isFinite(low) ? low : 1;
}

/**
 * Rewrites every $n placeholder of PostgreSQL text, leaving string
 * literals ('...'), quoted identifiers ("...") and comments alone.
 */
export function renumber(sql: string, to: (n: number) => number): string {
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = closing(sql, i, c);
      out += sql.slice(i, end);
      i = end;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      if (end < 0) throw new SyntaxError("unterminated comment in SQL fragment");
      out += sql.slice(i, end + 2);
      i = end + 2;
    } else if (c === "$" && /[0-9]/.test(sql[i + 1] ?? "") && !/[A-Za-z0-9_$]/.test(sql[i - 1] ?? "")) {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j])) j++;
      out += `$${to(Number(sql.slice(i + 1, j)))}`;
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The index after the quote that closes the one at start; a doubled quote is part of the text. */
function closing(sql: string, start: number, q: string): number {
  let i = start + 1;
  for (;;) {
    const j = sql.indexOf(q, i);
    if (j < 0) throw new SyntaxError(`unterminated ${q} in SQL fragment`);
    if (sql[j + 1] === q) {
      i = j + 2;
      continue;
    }
    return j + 1;
  }
}
