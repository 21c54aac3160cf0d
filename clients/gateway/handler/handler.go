// Package handler is the example gateway's HTTP API: rows of a table for an
// end user, filtered and trimmed by Warden, and inserts checked by Warden.
//
//	GET  /tables/{table}[?columns=a,b][&limit=n]   the rows the user may read
//	POST /tables/{table}                           insert one row (a JSON object)
//
// The end user's JWT comes in "Authorization: Bearer <jwt>" and goes to
// Warden as is, which verifies it; "X-Hasura-Role" picks one of its roles.
// The gateway never reads the token itself.
package handler

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"

	warden "github.com/wardenpdp/warden/clients/go"
)

// Config is what the handler needs.
type Config struct {
	// Warden answers Filter and Check.
	Warden *warden.Client
	// DB is the database the rows live in, and Dialect its SQL flavour
	// (warden.Postgres or warden.SQLite).
	DB      *sql.DB
	Dialect warden.Dialect
	// MaxLimit caps the rows of one GET whatever the role's limit; 0 means
	// 100.
	MaxLimit int
	// Log receives one line per request; nil discards.
	Log *slog.Logger
}

// Handler serves the gateway's routes.
type Handler struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Warden == nil || cfg.DB == nil {
		return nil, errors.New("handler: Warden and DB are required")
	}
	if cfg.Dialect != warden.Postgres && cfg.Dialect != warden.SQLite {
		return nil, fmt.Errorf("handler: dialect %v: want postgres or sqlite", cfg.Dialect)
	}
	if cfg.MaxLimit <= 0 {
		cfg.MaxLimit = 100
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /tables/{table}", h.list)
	h.mux.HandleFunc("POST /tables/{table}", h.insert)
	return h, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// principal is the end user of the request, as Warden will resolve it.
func principal(r *http.Request) warden.Principal {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return warden.Principal{Token: strings.TrimSpace(token), Role: r.Header.Get("X-Hasura-Role")}
}

// list answers GET /tables/{table}.
func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	table := r.PathValue("table")
	limit, err := queryLimit(r.URL.Query().Get("limit"), h.cfg.MaxLimit)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error(), nil)
		return
	}
	f, err := h.cfg.Warden.Filter(ctx, warden.FilterRequest{
		Principal: principal(r), Table: table, Operation: warden.Select,
		Dialect: h.cfg.Dialect, TableAlias: alias,
	})
	if err != nil {
		h.wardenError(w, r, err)
		return
	}
	if len(f.Columns) == 0 {
		h.fail(w, r, http.StatusForbidden, f.Reason, map[string]any{"role": f.Role})
		return
	}
	columns := f.Columns
	if want := r.URL.Query().Get("columns"); want != "" {
		columns = strings.Split(want, ",")
		if denied := notIn(columns, f.Columns); len(denied) > 0 {
			h.fail(w, r, http.StatusForbidden, "columns not readable by role "+f.Role, map[string]any{"denied_columns": denied})
			return
		}
	}
	if f.HasLimit && f.Limit < limit {
		limit = f.Limit
	}
	q, args, err := selectQuery(h.cfg.Dialect, table, columns, f, limit)
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, "cannot build the query", map[string]any{"cause": err.Error()})
		return
	}
	rows, err := queryRows(ctx, h.cfg.DB, q, args)
	if err != nil {
		h.cfg.Log.ErrorContext(ctx, "query failed", slog.String("table", table), slog.Any("error", err))
		h.fail(w, r, http.StatusBadGateway, "the database refused the query", nil)
		return
	}
	w.Header().Set("X-Warden-Role", f.Role)
	w.Header().Set("X-Warden-Decision-Id", f.DecisionID)
	h.reply(w, r, http.StatusOK, rows)
}

// insert answers POST /tables/{table}: the body is the row, without the
// columns the role's presets set. Warden checks it as Hasura writes it
// (the presets applied before the check); the row with the presets
// applied is then written; when the check reads related rows
// (Check answers NeedsData), the row is written in a transaction and the
// check's SQL decides whether it is kept.
func (h *Handler) insert(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	table := r.PathValue("table")
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil || len(body) == 0 {
		h.fail(w, r, http.StatusBadRequest, "the body must be a JSON object of column values", nil)
		return
	}
	p := principal(r)
	f, err := h.cfg.Warden.Filter(ctx, warden.FilterRequest{Principal: p, Table: table, Operation: warden.Insert,
		Dialect: h.cfg.Dialect, TableAlias: alias})
	if err != nil {
		h.wardenError(w, r, err)
		return
	}
	if len(f.Columns) == 0 {
		h.fail(w, r, http.StatusForbidden, f.Reason, map[string]any{"role": f.Role})
		return
	}
	sent := sortedKeys(body)
	if denied := notIn(sent, f.Columns); len(denied) > 0 {
		h.fail(w, r, http.StatusForbidden, "columns not writable by role "+f.Role, map[string]any{"denied_columns": denied})
		return
	}
	row := make(map[string]any, len(body)+len(f.Presets))
	for k, v := range body {
		row[k] = v
	}
	for k, v := range f.Presets {
		row[k] = v // presets win, as in Hasura
	}
	res, err := h.cfg.Warden.Check(ctx, warden.CheckRequest{Principal: p, Table: table, Operation: warden.Insert,
		Columns: sent, Rows: []warden.Row{{Values: body}}})
	if err != nil {
		h.wardenError(w, r, err)
		return
	}
	d := res.Decisions[0]
	if d.Effect == warden.Deny {
		h.fail(w, r, http.StatusForbidden, d.Reason, map[string]any{"role": res.Role, "decision_id": res.DecisionID})
		return
	}
	var check *warden.Fragment // the check in SQL, for a row Check could not decide alone
	if d.Effect == warden.NeedsData {
		check = &f.Fragment
	}
	kept, err := insertRow(ctx, h.cfg.DB, h.cfg.Dialect, table, row, check)
	if err != nil {
		h.cfg.Log.ErrorContext(ctx, "insert failed", slog.String("table", table), slog.Any("error", err))
		h.fail(w, r, http.StatusConflict, "the database refused the row", nil)
		return
	}
	if !kept {
		h.fail(w, r, http.StatusForbidden, "the row fails the insert check of role "+f.Role, map[string]any{"role": f.Role})
		return
	}
	w.Header().Set("X-Warden-Role", res.Role)
	w.Header().Set("X-Warden-Decision-Id", res.DecisionID)
	for k, v := range row {
		row[k] = replyValue(v)
	}
	h.reply(w, r, http.StatusCreated, row)
}

// wardenError answers for a call Warden refused.
func (h *Handler) wardenError(w http.ResponseWriter, r *http.Request, err error) {
	var e *warden.Error
	if !errors.As(err, &e) {
		h.fail(w, r, http.StatusBadGateway, "warden: "+err.Error(), nil)
		return
	}
	httpStatus := map[codes.Code]int{
		codes.Unauthenticated:    http.StatusUnauthorized,
		codes.PermissionDenied:   http.StatusForbidden,
		codes.InvalidArgument:    http.StatusBadRequest,
		codes.FailedPrecondition: http.StatusBadRequest,
		codes.NotFound:           http.StatusNotFound,
		codes.ResourceExhausted:  http.StatusTooManyRequests,
		codes.Unavailable:        http.StatusServiceUnavailable,
		codes.DeadlineExceeded:   http.StatusGatewayTimeout,
	}[e.Code]
	if httpStatus == 0 {
		httpStatus = http.StatusBadGateway
	}
	extra := map[string]any{"code": e.Code.String()}
	if e.Reason != "" {
		extra["reason"] = e.Reason
	}
	if len(e.MissingVariables) > 0 {
		extra["missing_session_variables"] = e.MissingVariables
	}
	h.fail(w, r, httpStatus, e.Message, extra)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, code int, msg string, extra map[string]any) {
	body := map[string]any{"error": msg}
	for k, v := range extra {
		body[k] = v
	}
	h.reply(w, r, code, body)
}

func (h *Handler) reply(w http.ResponseWriter, r *http.Request, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		h.cfg.Log.WarnContext(r.Context(), "write failed", slog.Any("error", err))
	}
	h.cfg.Log.InfoContext(r.Context(), "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", code), slog.String("role", w.Header().Get("X-Warden-Role")))
}

func queryLimit(s string, maxLimit int) (int, error) {
	if s == "" {
		return maxLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("limit %q: want a number from 0", s)
	}
	return min(n, maxLimit), nil
}

// notIn returns the names of want that have is not in, sorted.
func notIn(want, have []string) []string {
	var out []string
	for _, c := range want {
		if !slices.Contains(have, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// runTx runs fn in a transaction, committing when it returns true.
func runTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) (bool, error)) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	keep, err := fn(tx)
	if err != nil || !keep {
		return false, errors.Join(err, tx.Rollback())
	}
	return true, tx.Commit()
}
