// Package warden is the Go client of Warden, the policy decision point that
// answers Hasura v2 permission rules over gRPC.
//
// A Client asks two questions:
//
//   - Check: may this principal select, insert, update or delete these
//     rows? One decision per row (CheckRow for one row, Check for a batch),
//     with the columns it may touch and the presets to apply.
//   - Filter: which rows may it touch? A row predicate, as a typed tree and
//     as a parameterised SQL fragment to AND into the caller's own query.
//
// The fragment and its arguments go straight to database/sql or pgx:
//
//	f, err := c.Filter(ctx, warden.FilterRequest{Principal: p, Table: "articles",
//		Operation: warden.Select, Dialect: warden.Postgres})
//	...
//	rows, err := db.QueryContext(ctx, "SELECT id, title FROM articles WHERE "+f.SQL, f.Args...)
//
// # Numbers
//
// Numbers travel exactly. Row values may be int64 (any value, bigint ids at
// ±2^63 included), *big.Int, *big.Rat, *big.Float, decimal strings or any
// driver.Valuer: NewStruct sends those a double would round (magnitude 2^53
// or more, numeric(38,0) amounts) as decimal strings, which Warden reads
// exactly. A float64 of magnitude 2^53 or more stands for many integers:
// Warden refuses it for an integer or numeric column (ErrInvalidArgument,
// with the field), never rounds it. Filter's Args are int64 for integers
// and decimal strings for numerics, which the SQL casts; no argument is a
// float64. Presets a double would round arrive as decimal strings.
//
// # Principals
//
// A Principal is either an end user's token (Principal.Token, a JWT that
// Warden verifies and sends as "authorization: Bearer" metadata) or a
// session stated by a trusted caller (Principal.Role and
// Principal.Session, the x-hasura-* variables). The caller itself — the
// service using this package — authenticates with an API key (WithAPIKey),
// sent as "x-warden-api-key" metadata, or a client certificate
// (WithTLSConfig).
//
// # Errors
//
// A deny is a result, never an error. Errors are *Error values carrying
// the gRPC status code and its details (the field violations of an
// InvalidArgument, the missing session variables of a FailedPrecondition);
// errors.Is matches them against ErrUnauthenticated, ErrInvalidArgument,
// ErrFailedPrecondition and the other sentinels.
//
// # Defaults
//
// Every call gets a 5 second deadline unless its context has one
// (WithTimeout). A client made by New retries calls that fail with
// Unavailable up to 4 attempts in all, with exponential backoff, through a
// gRPC service config (WithRetry); Check and Filter change nothing, so a
// retry is always safe. A client made by NewFromConn leaves retries to the
// connection it is given.
//
// This module depends on gRPC and the generated API only; it does not pull
// OPA or any other part of the server into a build.
package warden
