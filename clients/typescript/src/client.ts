// WardenClient: Check and Filter over gRPC (ConnectRPC's Node transport),
// with caller credentials, a default deadline and retries on Unavailable.

import { create, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import {
  AuthorizationService,
  CheckRequestSchema,
  Decision,
  FilterKind,
  FilterRequestSchema,
  Operation as OperationPb,
  PrincipalSchema,
  SqlDialect,
  type CheckResponse,
  type FilterResponse,
  type Predicate,
  type Principal as PrincipalPb,
} from "./gen/warden/v1/authorization_pb.js";
import { WardenError } from "./errors.js";
import { fragment, type Fragment } from "./sql.js";

/** What a principal wants to do to a table's rows. */
export type Operation = "select" | "insert" | "update" | "delete";
/** The SQL flavour a filter is rendered in. */
export type Dialect = "postgres" | "mysql" | "sqlite";
/** The decision on one row. */
export type Effect = "allow" | "deny" | "needs_data";
/** Whether a filter needs a predicate at all. */
export type Kind = "always_allowed" | "always_denied" | "conditional";

/**
 * Who is asking: an end user's token, which Warden verifies, or a session
 * stated by a caller with the trusted-session grant.
 */
export interface Principal {
  /** The end user's JWT, sent as `authorization: Bearer <token>`. */
  token?: string;
  /** The requested role (x-hasura-role); with a token, empty for its default role. */
  role?: string;
  /** x-hasura-* session variables stated directly (trusted callers). */
  session?: Record<string, string>;
  /** Apply backend_only permissions (trusted callers). */
  backendOnly?: boolean;
}

/**
 * A column value of a row: JSON, or a bigint. Numbers must be exact: a
 * bigint id or numeric beyond ±(2^53-1) goes as a bigint or a decimal
 * string ("9223372036854775807"), never as a JS number, which has already
 * rounded it (Warden refuses a number of magnitude 2^53 or more for an
 * integer or numeric column with InvalidArgument rather than guess).
 * bigints are sent as numbers when safe, else as decimal strings.
 */
export type RowValue = JsonValue | bigint | typeof JSON_NULL | RowValue[] | RowValues;

/**
 * JSON_NULL is the JSON literal null of a json or jsonb column, as distinct
 * from null, which is SQL NULL: `{ meta: JSON_NULL }` is a row whose meta
 * holds 'null'::jsonb (meta IS NOT NULL), `{ meta: null }` one whose meta
 * IS NULL. Give it as a column's whole value, in a row or a related row;
 * inside a json value a null is JSON null already. It is sent as null with
 * its path in the row's jsonNulls; presets that are JSON null come back as
 * JSON_NULL.
 */
export const JSON_NULL: unique symbol = Symbol("warden.JSON_NULL");
/** Column values by name; relationships nested. */
export interface RowValues {
  [column: string]: RowValue;
}

/** One row to decide on. */
export interface Row {
  /** Identifies the row in the decision; default its position ("0", "1", ...). */
  id?: string;
  /** Column values by name (the proposed row for insert); relationships nested. */
  values: RowValues;
  /** For update: the row after the change. */
  newValues?: RowValues;
}

export interface CheckRequest {
  principal: Principal;
  /** "schema.name", or "name" for schema public. */
  table: string;
  operation: Operation;
  rows: Row[];
  /** Columns the caller wants to read or write; a row is allowed only if every one is. */
  columns?: string[];
  /** Rows of other tables that rules with _exists read, by table. */
  related?: Record<string, RowValues[]>;
}

export interface RowDecision {
  id: string;
  effect: Effect;
  allowed: boolean;
  reason: string;
  allowedColumns: string[];
  deniedColumns: string[];
  /** What a needs_data decision lacks: columns, paths in related rows ("author.org_id") or tables. */
  missingData: string[];
  /** For needs_data: what remains of the filter once the data sent is known. */
  residual?: Predicate;
  /** The same for the check (insert, update). */
  checkResidual?: Predicate;
}

export interface CheckResult {
  /** One per row, in request order. */
  decisions: RowDecision[];
  /** Every row is allowed. */
  allowed: boolean;
  role: string;
  /** Values (Hasura "set") to write on insert and update, session variables substituted. */
  presets: { [column: string]: JsonValue | typeof JSON_NULL };
  revision: string;
  decisionId: string;
}

export interface FilterRequest {
  principal: Principal;
  table: string;
  operation: Operation;
  /** Render the filter as SQL; absent means the predicate only. */
  dialect?: Dialect;
  /** The table's alias in the caller's query; default its qualified name. */
  tableAlias?: string;
  /** Number of the first $n placeholder (PostgreSQL); default 1. */
  firstPlaceholder?: number;
}

export interface ColumnCondition {
  column: string;
  predicate?: Predicate;
  /** "CASE WHEN <condition> THEN <column> END", with a dialect. */
  sql?: Fragment;
}

export interface Filter {
  kind: Kind;
  /** The row filter as SQL, with a dialect: AND it into the WHERE clause. */
  where?: Fragment;
  /** For update: the check on the row after the change, as SQL. */
  check?: Fragment;
  /** The row filter as a typed tree (generated type warden.v1.Predicate). */
  predicate?: Predicate;
  /** For update: the check as a typed tree. */
  checkPredicate?: Predicate;
  /** Columns the role may read (select) or write (insert, update), sorted. */
  columns: string[];
  columnConditions: ColumnCondition[];
  /** The role's row limit, if any. */
  limit?: number;
  allowAggregations: boolean;
  presets: { [column: string]: JsonValue | typeof JSON_NULL };
  role: string;
  reason: string;
  revision: string;
  decisionId: string;
}

export interface WardenClientOptions {
  /** The caller's API key, sent as `x-warden-api-key`. */
  apiKey?: string;
  /** An end user's token for calls whose principal has none. */
  bearerToken?: string;
  /** Deadline of a call in milliseconds; default 5000, 0 for none. */
  timeoutMs?: number;
  /** Attempts in all for a call failing with Unavailable; default 4, 1 for no retry. */
  maxAttempts?: number;
  /** A transport of your own (TLS options, interceptors); address is then ignored. */
  transport?: Transport;
}

const operations: Record<Operation, OperationPb> = {
  select: OperationPb.SELECT,
  insert: OperationPb.INSERT,
  update: OperationPb.UPDATE,
  delete: OperationPb.DELETE,
};
const dialects: Record<Dialect, SqlDialect> = {
  postgres: SqlDialect.POSTGRES,
  mysql: SqlDialect.MYSQL,
  sqlite: SqlDialect.SQLITE,
};
const effects: Partial<Record<Decision, Effect>> = {
  [Decision.ALLOW]: "allow",
  [Decision.DENY]: "deny",
  [Decision.NEEDS_DATA]: "needs_data",
};
const kinds: Partial<Record<FilterKind, Kind>> = {
  [FilterKind.ALWAYS_ALLOWED]: "always_allowed",
  [FilterKind.ALWAYS_DENIED]: "always_denied",
  [FilterKind.CONDITIONAL]: "conditional",
};

/**
 * A client of one Warden server. `address` is a URL: `http://host:port`
 * for plaintext, `https://host:port` for TLS (a bare `host:port` means TLS).
 */
export class WardenClient {
  /** The generated ConnectRPC client, for what this class does not wrap. */
  readonly api: Client<typeof AuthorizationService>;
  private readonly sessions?: Http2SessionManager;
  private readonly options: WardenClientOptions;

  constructor(address: string, options: WardenClientOptions = {}) {
    this.options = options;
    const maxAttempts = options.maxAttempts ?? 4;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new RangeError(`maxAttempts ${maxAttempts}: want 1 or more`);
    }
    let transport = options.transport;
    if (!transport) {
      const baseUrl = /^https?:\/\//.test(address) ? address : `https://${address}`;
      this.sessions = new Http2SessionManager(baseUrl, { idleConnectionTimeoutMs: 60_000 });
      transport = createGrpcTransport({
        baseUrl,
        sessionManager: this.sessions,
        defaultTimeoutMs: options.timeoutMs ?? 5000,
        interceptors: [retryUnavailable(maxAttempts)],
      });
    }
    this.api = createClient(AuthorizationService, transport);
  }

  /** Decides on one row; the result has one decision. */
  checkRow(principal: Principal, table: string, operation: Operation, values: RowValues): Promise<CheckResult> {
    return this.check({ principal, table, operation, rows: [{ values }] });
  }

  /** Decides on every row of the request. */
  async check(req: CheckRequest): Promise<CheckResult> {
    const msg = create(CheckRequestSchema, {
      principal: principalPb(req.principal),
      table: req.table,
      operation: operations[req.operation],
      columns: req.columns ?? [],
      rows: req.rows.map((r, i) => ({
        id: r.id ?? String(i),
        values: jsonObject(r.values),
        newValues: r.newValues && jsonObject(r.newValues),
        jsonNulls: [...jsonNullPaths("values", r.values), ...(r.newValues ? jsonNullPaths("new_values", r.newValues) : [])],
      })),
      tables: Object.entries(req.related ?? {}).map(([table, rows]) => ({
        table,
        rows: rows.map(jsonObject),
        jsonNulls: rows.flatMap((r, j) => jsonNullPaths(`rows[${j}]`, r)),
      })),
    });
    const resp = await this.call(() => this.api.check(msg, { headers: this.headers(req.principal) }));
    return checkResult(resp);
  }

  /** Returns the row filter for the principal, table and operation. */
  async filter(req: FilterRequest): Promise<Filter> {
    const msg = create(FilterRequestSchema, {
      principal: principalPb(req.principal),
      table: req.table,
      operation: operations[req.operation],
      sql: req.dialect
        ? { dialect: dialects[req.dialect], tableAlias: req.tableAlias ?? "", firstPlaceholder: req.firstPlaceholder ?? 0 }
        : undefined,
    });
    const resp = await this.call(() => this.api.filter(msg, { headers: this.headers(req.principal) }));
    return filterResult(resp);
  }

  /** Closes the HTTP/2 connection (not a transport passed in options). */
  close(): void {
    this.sessions?.abort();
  }

  private headers(p: Principal): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.options.apiKey) h["x-warden-api-key"] = this.options.apiKey;
    const token = p.token || this.options.bearerToken;
    if (token) h["authorization"] = `Bearer ${token.replace(/^Bearer /, "")}`;
    return h;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw err instanceof ConnectError ? WardenError.from(err) : err;
    }
  }
}

/** Row values as the JSON of a protobuf Struct: bigints as numbers when safe, else as decimal strings. */
function jsonObject(values: RowValues): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(values)) out[k] = jsonValue(v);
  return out;
}

/** The paths of the JSON_NULL values under prefix, as Row.json_nulls names them. */
export function jsonNullPaths(prefix: string, v: RowValue): string[] {
  if (v === JSON_NULL) return [prefix];
  if (Array.isArray(v)) return v.flatMap((e, i) => jsonNullPaths(`${prefix}[${i}]`, e));
  if (v !== null && typeof v === "object") {
    return Object.keys(v)
      .sort()
      .flatMap((k) => jsonNullPaths(`${prefix}.${k}`, (v as RowValues)[k]));
  }
  return [];
}

/** Presets with a JSON null as JSON_NULL. */
function presetsOf(presets: JsonObject | undefined, jsonNulls: string[]): { [column: string]: JsonValue | typeof JSON_NULL } {
  const out: { [column: string]: JsonValue | typeof JSON_NULL } = { ...(presets ?? {}) };
  for (const k of jsonNulls) out[k] = JSON_NULL;
  return out;
}

function jsonValue(v: RowValue): JsonValue {
  if (v === JSON_NULL) return null;
  if (typeof v === "bigint") {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  }
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v !== null && typeof v === "object") return jsonObject(v as RowValues);
  return v;
}

/** Retries calls failing with Unavailable: backoff 100ms, 200ms, 400ms... up to 1s, with jitter. */
function retryUnavailable(maxAttempts: number): Interceptor {
  return (next) => async (req) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (err) {
        const unavailable = err instanceof ConnectError && err.code === Code.Unavailable;
        if (!unavailable || attempt >= maxAttempts || req.signal.aborted) throw err;
        const backoff = Math.min(1000, 100 * 2 ** (attempt - 1));
        await sleep(backoff * (0.5 + Math.random() / 2), req.signal);
      }
    }
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}

function principalPb(p: Principal): PrincipalPb {
  return create(PrincipalSchema, { role: p.role ?? "", sessionVariables: p.session ?? {}, useBackendOnlyPermissions: p.backendOnly ?? false });
}

function checkResult(resp: CheckResponse): CheckResult {
  const decisions = resp.decisions.map((d) => {
    const effect = effects[d.decision];
    if (!effect) throw new WardenError(Code.Internal, `row ${d.id}: decision ${d.decision}`);
    return {
      id: d.id,
      effect,
      allowed: effect === "allow",
      reason: d.reason,
      allowedColumns: d.allowedColumns,
      deniedColumns: d.deniedColumns,
      missingData: d.missingData,
      residual: d.residual,
      checkResidual: d.checkResidual,
    };
  });
  return {
    decisions,
    allowed: decisions.length > 0 && decisions.every((d) => d.allowed),
    role: resp.role,
    presets: presetsOf(resp.presets, resp.jsonNullPresets),
    revision: resp.revision,
    decisionId: resp.decisionId,
  };
}

function filterResult(resp: FilterResponse): Filter {
  const kind = kinds[resp.kind];
  if (!kind) throw new WardenError(Code.Internal, `filter kind ${resp.kind}`);
  return {
    kind,
    where: resp.sql?.where ? fragment(resp.sql.where) : undefined,
    check: resp.sql?.check ? fragment(resp.sql.check) : undefined,
    predicate: resp.predicate,
    checkPredicate: resp.check,
    columns: resp.columns,
    columnConditions: resp.columnConditions.map((c) => ({
      column: c.column,
      predicate: c.predicate,
      sql: c.sql ? fragment(c.sql) : undefined,
    })),
    limit: resp.limit,
    allowAggregations: resp.allowAggregations,
    presets: presetsOf(resp.presets, resp.jsonNullPresets),
    role: resp.role,
    reason: resp.reason,
    revision: resp.revision,
    decisionId: resp.decisionId,
  };
}
