package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/reload"
)

// Reloading. What a server serves is loaded again, off the request path
// and one reload at a time (package reload), on a change of its files
// (--watch), on SIGHUP (the command's business: it calls RequestReload),
// or on AdminService.Reload; a version that does not load never goes live.
// Two things reload so: the policy set, from its PolicySource, and the
// caller entries of --api-keys-file. The TLS files reload on their own
// (callerauth.CertReloader, checked at most every --tls-reload-interval).

// SourceKind says where a policy set comes from.
type SourceKind int

const (
	// SourceEmbedded is the example built into the binary: nothing to
	// reload.
	SourceEmbedded SourceKind = iota + 1
	// SourceDirectory is a directory of Hasura metadata (--policy DIR).
	SourceDirectory
	// SourceBundle is a bundle fetched over HTTP.
	SourceBundle
)

// PolicySource says how to load the policy set again. Without one (New's
// default) the set given to New is all there is, and reloads answer
// NotReloadable.
type PolicySource struct {
	Kind SourceKind
	// Load builds the policy set from the source again, validated and
	// compiled; nil when there is nothing to reload. It runs off the
	// request path, never twice at once. A *load.ValidationError's
	// problems are reported one by one (GetStatus, Reload).
	Load func(ctx context.Context) (*engine.Set, error)
	// Watch lists what changes the source: directories (watched with every
	// directory under them) and files. A change reloads when
	// Config.Watch is on.
	Watch []reload.Path
}

// WithPolicySource sets where the policy set comes from, for reloads.
func WithPolicySource(src PolicySource) Option { return func(o *options) { o.source = src } }

// WithPolicyLoaded calls f after every reload that swapped in a new policy
// set, and before the reload is reported done (the command retunes the
// garbage collector and logs the set's inconsistent objects there).
func WithPolicyLoaded(f func(*engine.Set)) Option { return func(o *options) { o.loaded = f } }

// WithPolicyTests has GetStatus report f's answer: the latest run of the
// policy directory's test suites, which the command runs off the request
// path (the suites' runner imports this package, so it cannot live here).
// f must be cheap and safe for concurrent use.
func WithPolicyTests(f func() *wardenv1.PolicyTestsResult) Option {
	return func(o *options) { o.tests = f }
}

// ReloadResult is how one reload went, for the policy set and the caller
// keys.
type ReloadResult struct {
	Policy, CallerKeys reload.Attempt
}

// Reload loads the policy set and the caller keys file again, now, each
// one swapped in only if it loads and differs from the live one; it
// returns when both are done. trigger says what asked (reload.TriggerSignal,
// reload.TriggerAdminCall, ...). Reloads are never run twice at once:
// Reload waits for one in progress and then shares the next.
func (s *Server) Reload(ctx context.Context, trigger string) ReloadResult {
	var r ReloadResult
	var wg sync.WaitGroup
	wg.Go(func() { r.CallerKeys = s.keys.Reload(ctx, trigger) })
	r.Policy = s.policy.Reload(ctx, trigger)
	wg.Wait()
	return r
}

// ReloadPolicy loads the policy set alone again, now, as Reload does, and
// returns how it went: a source's own trigger that must know the outcome
// (a bundle poll keeps a bundle in its cache only once it is live).
func (s *Server) ReloadPolicy(ctx context.Context, trigger string) reload.Attempt {
	return s.policy.Reload(ctx, trigger)
}

// RequestReload asks for a reload of the policy set and the caller keys in
// the background (SIGHUP), and returns at once. Requests made before the
// reload starts are one request. Serve performs them.
func (s *Server) RequestReload(trigger string) {
	s.policy.Request(trigger)
	s.keys.Request(trigger)
}

// RequestPolicyReload asks for a reload of the policy set alone in the
// background, as RequestReload does (a source's own trigger: a bundle poll).
func (s *Server) RequestPolicyReload(trigger string) { s.policy.Request(trigger) }

// newReloaders makes the reloaders of the policy set and the caller keys;
// the set given to New is live already.
func (s *Server) newReloaders(o options, entries []callerauth.Entry) {
	snap := s.current()
	var loadPolicy reload.Func
	if src := o.source; src.Load != nil {
		loadPolicy = func(ctx context.Context) (string, func(), error) {
			set, err := src.Load(ctx)
			if err != nil {
				return "", nil, err
			}
			if set == nil {
				return "", nil, errors.New("the policy source returned no policy set")
			}
			return set.Revision(), func() {
				s.SetPolicy(set)
				if o.loaded != nil {
					o.loaded(set)
				}
			}, nil
		}
	}
	s.policy = reload.New(loadPolicy, snap.set.Revision(), snap.loadedAt,
		reload.WithClock(s.now), reload.WithObserver(s.observePolicyReload))
	s.metrics.policyLastSuccess.Set(float64(snap.loadedAt.UnixNano()) / 1e9)

	var loadKeys reload.Func
	if s.cfg.Callers.APIKeysFile != "" {
		loadKeys = func(context.Context) (string, func(), error) {
			next, err := s.callerEntries(o.callers)
			if err != nil {
				return "", nil, err
			}
			return entriesRevision(next), func() {
				// Entries validated them: Replace cannot fail.
				if err := s.auth.Replace(next); err != nil {
					s.log.Error("caller keys not replaced", slog.Any("error", err))
				}
			}, nil
		}
	}
	s.keys = reload.New(loadKeys, entriesRevision(entries), s.now(),
		reload.WithClock(s.now), reload.WithObserver(s.observeKeysReload))
}

// callerEntries reads the configured callers (--api-keys, --api-keys-file)
// and adds extra (the --dev key).
func (s *Server) callerEntries(extra []callerauth.Entry) ([]callerauth.Entry, error) {
	entries, err := s.cfg.Callers.Entries()
	if err != nil {
		return nil, err
	}
	entries = append(entries, extra...)
	if err := callerauth.ValidateEntries(entries); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		// Most likely a file caught half-written; refusing every caller
		// would be an outage, and ErrNoCallers refuses it at start too.
		return nil, ErrNoCallers
	}
	return entries, nil
}

// entriesRevision identifies a list of caller entries: a hash of their
// JSON form, which holds key hashes only.
func entriesRevision(entries []callerauth.Entry) string {
	b, err := json.Marshal(entries)
	if err != nil {
		return "" // cannot happen: Entry is plain data
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// startReloads performs the requested reloads, and watches the policy
// source and the keys file when Config.Watch is on, until ctx is done;
// the returned wait blocks until all of it has stopped.
func (s *Server) startReloads(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() { s.policy.Run(ctx) })
	wg.Go(func() { s.keys.Run(ctx) })
	if s.cfg.Watch {
		watch := func(what string, paths []reload.Path, r *reload.Reloader) bool {
			if len(paths) == 0 {
				return false
			}
			w, err := reload.NewWatcher(paths, s.cfg.ReloadDebounce, func() { r.Request(reload.TriggerFileChange) }, s.log)
			if err != nil {
				s.log.Error("not watching the "+what+" for changes; SIGHUP and AdminService.Reload still reload it", slog.Any("error", err))
				return false
			}
			wg.Go(func() { w.Run(ctx) })
			return true
		}
		s.watchingPolicy.Store(watch("policy set", s.source.Watch, s.policy))
		if f := s.cfg.Callers.APIKeysFile; f != "" {
			watch("caller keys", []reload.Path{reload.File(f)}, s.keys)
		}
	}
	return wg.Wait
}

func (s *Server) observePolicyReload(a reload.Attempt) {
	s.metrics.policyReloaded(a)
	log := s.log.With(slog.String("trigger", a.Trigger))
	switch a.Outcome {
	case reload.Loaded:
		p := s.current().set.Policy()
		log.Info("policy reloaded", slog.String("revision", a.Revision),
			slog.Int("tables", len(p.Tables)), slog.Int("roles", len(p.Roles)),
			slog.Int("inconsistent_objects", len(p.Inconsistent)))
	case reload.Unchanged:
		log.Info("policy reload: unchanged", slog.String("revision", a.Revision))
	case reload.Failed:
		problems := reloadProblems(a.Err)
		log.Error("policy reload failed; the previous policy set keeps serving",
			slog.String("revision", s.current().set.Revision()), slog.Int("problems", len(problems)), slog.Any("error", a.Err))
		for _, p := range problems {
			log.Error("policy problem", slog.String("file", p.Source.File), slog.String("path", p.Source.Path),
				slog.Int("line", p.Line), slog.String("problem", p.Message))
		}
	}
}

func (s *Server) observeKeysReload(a reload.Attempt) {
	s.metrics.keysReloaded(a)
	log := s.log.With(slog.String("trigger", a.Trigger), slog.String("file", s.cfg.Callers.APIKeysFile))
	switch a.Outcome {
	case reload.Loaded:
		log.Info("caller keys reloaded", slog.String("revision", a.Revision))
	case reload.Failed:
		log.Error("caller keys reload failed; the previous keys stay valid", slog.Any("error", a.Err))
	}
}

// reloadProblems returns the content problems of a failed reload, if it
// failed on content.
func reloadProblems(err error) []load.Problem {
	var ve *load.ValidationError
	if errors.As(err, &ve) {
		return ve.Problems
	}
	return nil
}

// reloadError is the one-line reason of a failed attempt: the count of
// problems when there are, the error otherwise.
func reloadError(err error) string {
	if err == nil {
		return ""
	}
	if ps := reloadProblems(err); len(ps) > 0 {
		return fmt.Sprintf("%d problem(s) in the policy set", len(ps))
	}
	return err.Error()
}
