// Starts a real Warden server (`warden serve` on 127.0.0.1:0) for the
// tests: $WARDEN_BIN, or the binary built from this repository with go.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";

/** The package directory (dist/test/ is two levels down). */
export const packageDir = fileURLToPath(new URL("../..", import.meta.url));
/** The repository root. */
export const repoRoot = path.resolve(packageDir, "../..");

let built: string | undefined;

/** The warden binary: $WARDEN_BIN, else built once into node_modules/.cache. */
export function wardenBinary(): string {
  if (process.env.WARDEN_BIN) return process.env.WARDEN_BIN;
  if (!built) {
    const dir = path.join(packageDir, "node_modules", ".cache", "warden");
    mkdirSync(dir, { recursive: true });
    built = path.join(dir, "warden");
    execFileSync("go", ["build", "-o", built, "./server/cmd/warden"], { cwd: repoRoot, stdio: "inherit" });
  }
  return built;
}

/** An API key and the caller entry that admits it. */
export interface Key {
  secret: string;
  id: string;
  level: "admin" | "user";
  grants: string[];
}

export function newKey(id: string, level: "admin" | "user", ...grants: string[]): Key {
  return { secret: "wk_test_" + randomBytes(24).toString("base64url"), id, level, grants };
}

/** The value of --api-keys admitting the keys (SHA-256 hashes only). */
export function apiKeysFlag(...keys: Key[]): string {
  return JSON.stringify(
    keys.map((k) => ({
      id: k.id,
      hash: "sha256:" + createHash("sha256").update(k.secret).digest("hex"),
      level: k.level,
      grants: k.grants,
    })),
  );
}

/** Signs an HS256 JWT with the session in Hasura's claims namespace. */
export function token(secret: string, user: { id: string; orgId: string; roles: string[] }): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const signing =
    enc({ alg: "HS256", typ: "JWT" }) +
    "." +
    enc({
      sub: user.id,
      iat: now,
      exp: now + 3600,
      "https://hasura.io/jwt/claims": {
        "x-hasura-allowed-roles": user.roles,
        "x-hasura-default-role": user.roles[0],
        "x-hasura-user-id": user.id,
        "x-hasura-org-id": user.orgId,
      },
    });
  return signing + "." + createHmac("sha256", secret).update(signing).digest("base64url");
}

/** A running `warden serve`. */
export interface Server {
  /** The gRPC address as a URL for the client: http://127.0.0.1:port. */
  url: string;
  logs: () => string;
  stop: () => Promise<void>;
}

/** Starts `warden serve` on loopback ports with the extra flags. */
export async function startServer(...args: string[]): Promise<Server> {
  const proc: ChildProcess = spawn(
    wardenBinary(),
    ["serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-format", "json", ...args],
    // The server reads WARDEN_* variables as flags; the tests state their own.
    { stdio: ["ignore", "inherit", "pipe"], env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("WARDEN_"))) },
  );
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const addr = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`warden serve did not listen within 60s:\n${lines.join("\n")}`)), 60_000);
    createInterface({ input: proc.stderr! }).on("line", (line) => {
      lines.push(line);
      try {
        const m = /grpc listening on (\S+)/.exec(JSON.parse(line).msg ?? "");
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      } catch {
        // not a JSON log line
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`warden serve exited (${code}) before listening:\n${lines.join("\n")}`));
    });
  });
  return {
    url: `http://${addr}`,
    logs: () => lines.join("\n"),
    stop: async () => {
      proc.kill("SIGTERM");
      const code = await exited;
      if (code !== 0) throw new Error(`warden serve exited with ${code}:\n${lines.join("\n")}`);
    },
  };
}

/** The shared setup of a test file: a server with two callers and HS256 end-user JWTs. */
export interface Setup {
  server: Server;
  /** A caller with check, filter and trusted-session. */
  apiKey: string;
  /** A caller with check and filter only: it must forward end-user tokens. */
  tokenOnlyKey: string;
  /** Signs end-user tokens. */
  jwtSecret: string;
}

export async function setup(): Promise<Setup> {
  const service = newKey("service", "user", "check", "filter", "trusted-session");
  const tokenOnly = newKey("token-only", "user", "check", "filter");
  const jwtSecret = randomBytes(32).toString("base64url");
  const server = await startServer(
    "--api-keys",
    apiKeysFlag(service, tokenOnly),
    "--jwt-secret",
    JSON.stringify({ type: "HS256", key: jwtSecret }),
  );
  return { server, apiKey: service.secret, tokenOnlyKey: tokenOnly.secret, jwtSecret };
}
