// @wardenpdp/warden: the TypeScript client of Warden.
export {
  WardenClient,
  JSON_NULL,
  jsonNullPaths,
  type WardenClientOptions,
  type Principal,
  type Operation,
  type Dialect,
  type Effect,
  type Kind,
  type Row,
  type RowValue,
  type RowValues,
  type CheckRequest,
  type CheckResult,
  type RowDecision,
  type FilterRequest,
  type Filter,
  type ColumnCondition,
} from "./client.js";
export { WardenError, Code, type FieldViolation } from "./errors.js";
export { pgQuery, renumber, fragment, type Fragment, type PgQuery, type SqlValue } from "./sql.js";
/** The generated API (messages, enums, the service descriptor). */
export * as api from "./gen/warden/v1/authorization_pb.js";
