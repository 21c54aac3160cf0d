// WardenError: a refused call, with the gRPC status code and the details
// Warden sends (google.rpc ErrorInfo, BadRequest, PreconditionFailure,
// RetryInfo), decoded here from the wire so that no googleapis code is
// needed.

import { Code, ConnectError } from "@connectrpc/connect";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

export { Code };

/** A problem with one request field. */
export interface FieldViolation {
  /** The field's path, such as "rows[1].values.author_id". */
  field: string;
  description: string;
}

/**
 * A call Warden (or the transport) refused. A deny is never an error.
 * `code` is the gRPC status code (Connect's `Code` enum: `Code.Unauthenticated`,
 * `Code.InvalidArgument`, `Code.FailedPrecondition`, ...), `codeName` its name.
 */
export class WardenError extends Error {
  override name = "WardenError";
  /** The ErrorInfo reason, such as MISSING_SESSION_VARIABLES or UNKNOWN_TABLE. */
  reason = "";
  /** The ErrorInfo metadata. */
  metadata: Record<string, string> = {};
  /** BadRequest field violations (InvalidArgument). */
  fields: FieldViolation[] = [];
  /** Session variables the rule needs and the session lacks (FailedPrecondition). */
  missingVariables: string[] = [];
  /** How long the server asks the caller to wait (RetryInfo), or 0. */
  retryDelayMs = 0;

  constructor(
    readonly code: Code,
    readonly rawMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`warden: ${Code[code]}: ${rawMessage}`, options);
  }

  /** The status code's name, as gRPC spells it: "FailedPrecondition". */
  get codeName(): string {
    return Code[this.code] ?? String(this.code);
  }

  /** Converts anything a call threw; a WardenError is returned as is. */
  static from(err: unknown): WardenError {
    if (err instanceof WardenError) return err;
    const ce = ConnectError.from(err);
    const e = new WardenError(ce.code, ce.rawMessage, { cause: err });
    for (const d of ce.details) {
      if (!("type" in d) || !("value" in d) || !(d.value instanceof Uint8Array)) continue;
      try {
        decodeDetail(e, d.type, d.value);
      } catch {
        // A detail that does not decode is left out; the code and message stand.
      }
    }
    return e;
  }
}

function decodeDetail(e: WardenError, type: string, value: Uint8Array): void {
  switch (type) {
    case "google.rpc.ErrorInfo":
      for (const [no, v] of fields(value)) {
        if (no === 1) e.reason = text(v);
        if (no === 3) {
          const entry = new Map(fields(bytes(v)));
          e.metadata[text(entry.get(1) ?? new Uint8Array())] = text(entry.get(2) ?? new Uint8Array());
        }
      }
      break;
    case "google.rpc.BadRequest":
      for (const [no, v] of fields(value)) {
        if (no !== 1) continue;
        const fv = new Map(fields(bytes(v)));
        e.fields.push({ field: text(fv.get(1)), description: text(fv.get(2)) });
      }
      break;
    case "google.rpc.PreconditionFailure":
      for (const [no, v] of fields(value)) {
        if (no !== 1) continue;
        const pv = new Map(fields(bytes(v)));
        if (text(pv.get(1)) === "SESSION_VARIABLE") e.missingVariables.push(text(pv.get(2)));
      }
      break;
    case "google.rpc.RetryInfo":
      for (const [no, v] of fields(value)) {
        if (no !== 1) continue;
        const d = new Map(fields(bytes(v)));
        e.retryDelayMs = Number(d.get(1) ?? 0n) * 1000 + Math.round(Number(d.get(2) ?? 0n) / 1e6);
      }
      break;
  }
}

type FieldValue = Uint8Array | bigint;

/** The fields of a message: length-delimited ones as bytes, varints as bigint. */
function fields(buf: Uint8Array): [number, FieldValue][] {
  const r = new BinaryReader(buf);
  const out: [number, FieldValue][] = [];
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (wt === WireType.LengthDelimited) out.push([no, r.bytes()]);
    else if (wt === WireType.Varint) out.push([no, BigInt(r.uint64())]);
    else r.skip(wt, no);
  }
  return out;
}

function bytes(v: FieldValue | undefined): Uint8Array {
  return v instanceof Uint8Array ? v : new Uint8Array();
}

function text(v: FieldValue | undefined): string {
  return new TextDecoder().decode(bytes(v));
}
