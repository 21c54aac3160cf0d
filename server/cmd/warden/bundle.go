package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/wardenpdp/warden/policy/bundle"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/server"
	"github.com/wardenpdp/warden/server/bundlesource"
	"github.com/wardenpdp/warden/server/reload"
)

const bundleUsage = `Usage: warden bundle build --policy DIR --out FILE [--signing-key FILE] [flags]

Writes the policy set as one bundle file for 'warden serve --bundle-url'.
Run 'warden bundle build --help' for the flags.
`

// bundleCmd runs "warden bundle build".
func (a *app) bundleCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "build" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(a.stdout, bundleUsage)
			return nil
		}
		fmt.Fprint(a.stderr, bundleUsage)
		return usageError{errors.New("bundle: want the subcommand build")}
	}
	return a.bundleBuild(ctx, args[1:])
}

func (a *app) bundleBuild(ctx context.Context, args []string) error {
	cfg := server.DefaultConfig()
	var out, keyFile, alg, keyID string
	fs := a.flagSet("bundle build", "--policy DIR --out FILE [--signing-key FILE] [flags]",
		"Loads and compiles the policy set as serve does, and writes it as one bundle\n"+
			"file: a gzipped tarball in OPA's bundle layout, with a .manifest naming the\n"+
			"revision every answer will report, the metadata and the schema under\n"+
			"warden/, and with --signing-key a .signatures.json (a JWS over the files'\n"+
			"SHA-256 hashes, as 'opa build --signing-key' writes). A policy set that does\n"+
			"not load writes nothing. Serve the file from any HTTP(S) server or object\n"+
			"store and point 'warden serve --bundle-url' at it.")
	registerLoadFlags(fs, &cfg)
	fs.StringVar(&out, "out", "", "bundle `file` to write (replaced atomically)")
	fs.StringVar(&keyFile, "signing-key", "", "`file` holding the signing key: a PEM private key (RS*, PS*, ES*, EdDSA) or the HMAC secret (HS*)")
	fs.StringVar(&alg, "signing-alg", "RS256", "JWS `algorithm` of the signature: RS256/384/512, PS256/384/512, ES256/384/512, EdDSA or HS256/384/512")
	fs.StringVar(&keyID, "signing-key-id", bundle.DefaultKeyID, "key `id` the signature names (serve's --bundle-verification-key-id)")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if cfg.Policy == "" {
		return usageError{errors.New("bundle build: --policy DIR is required")}
	}
	if out == "" {
		return usageError{errors.New("bundle build: --out FILE is required")}
	}
	var signer *bundle.Signer
	if keyFile != "" {
		key, err := os.ReadFile(keyFile)
		if err != nil {
			return fmt.Errorf("--signing-key: %w", err)
		}
		// A trailing newline is the editor's, not the secret's: serve
		// reads --bundle-verification-key the same way.
		if signer, err = bundle.NewSigner(alg, bytes.TrimRight(key, "\r\n"), keyID); err != nil {
			return usageError{fmt.Errorf("--signing-key: %w", err)}
		}
	}
	if cfg.MaxRuleDepth < 1 || cfg.MaxRuleNodes < 1 {
		return usageError{fmt.Errorf("--max-rule-depth %d, --max-rule-nodes %d: want at least 1", cfg.MaxRuleDepth, cfg.MaxRuleNodes)}
	}
	b, p, err := bundle.FromDir(ctx, cfg.Policy, cfg.Schema, cfg.LoadOptions()...)
	if err != nil {
		return policyError(cfg.Policy, err, printProblems(a.stderr))
	}
	// Compiled as serve compiles it, so that a bundle that builds is one
	// every replica accepts.
	if len(p.Roles) == 0 && !cfg.AllowNoRoles {
		return fmt.Errorf("policy %s: no role has a permission on any table; refusing to build a bundle that denies every request but admin's (--allow-no-roles builds it)%s", cfg.Policy, leftOut(p))
	}
	set, err := engine.New(ctx, p)
	if err != nil {
		return policyError(cfg.Policy, err, printProblems(a.stderr))
	}
	printInconsistent(a.stderr, p)
	if err := writeFileAtomic(out, func(f *os.File) error { return bundle.Write(f, b, signer) }); err != nil {
		return err
	}
	signed := "unsigned"
	if signer != nil {
		signed = fmt.Sprintf("signed %s, key id %s", alg, keyID)
	}
	fmt.Fprintf(a.stdout, "wrote %s: revision %s, %d files, %d tables, %d roles, %s\n",
		out, set.Revision(), len(b.Files), len(p.Tables), len(p.Roles), signed)
	return nil
}

// setFromBundle loads and compiles a bundle's policy set as serve loads a
// directory, and refuses one whose files do not hash to its manifest's
// revision.
func setFromBundle(ctx context.Context, cfg server.Config, b *bundle.Bundle, source string, report func([]load.Problem)) (*engine.Set, error) {
	ev, err := evaluatorOf(cfg)
	if err != nil {
		return nil, err
	}
	p, err := load.FS(ctx, b.FS(), source, cfg.LoadOptions()...)
	if err != nil {
		return nil, policyError(source, err, report)
	}
	if err := b.CheckRevision(p.Revision); err != nil {
		return nil, err
	}
	if len(p.Roles) == 0 && !cfg.AllowNoRoles {
		return nil, fmt.Errorf("bundle %s: no role has a permission on any table; it would deny every request but admin's (--allow-no-roles accepts it)%s", source, leftOut(p))
	}
	set, err := engine.New(ctx, p, engine.ForEvaluator(ev))
	if err != nil {
		return nil, policyError(source, err, report)
	}
	return set, nil
}

// writeFileAtomic writes a file through a temporary file in its directory,
// renamed over it once complete: a reader sees the old file or the new
// one, never half of one.
func writeFileAtomic(name string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// bundleServing is serve's bundle source. The first bundle's set is
// built before the server exists; each later one goes live through the
// server's policy reload (one reload at a time, reported in GetStatus and
// the reload metrics), whose PolicySource.Load is load.
type bundleServing struct {
	cfg   server.Config
	log   *slog.Logger
	src   *bundlesource.Source
	first *engine.Set

	mu sync.Mutex
	// live is the bundle serving, next the one being activated; from
	// says where each came from.
	live, next         *bundle.Bundle
	liveFrom, nextFrom string
	srv                *server.Server
	// failure is a failed poll's error (download, verification) that the
	// reload core records as a failed attempt: load returns it.
	failure error
}

// reloadRecorded marks an activation error the reload core has recorded
// already (the bundle did not load), so that the failure handler does not
// record it twice.
type reloadRecorded struct{ err error }

func (r reloadRecorded) Error() string { return r.err.Error() }
func (r reloadRecorded) Unwrap() error { return r.err }

// failed records a failed poll in the server's reload status (GetStatus's
// last failed reload, the reload metrics) as a failed attempt of the
// bundle poll: a bundle that cannot be fetched or does not verify is
// refused there too, not only in the log.
func (bs *bundleServing) failed(ctx context.Context, err error) {
	var recorded reloadRecorded
	if errors.As(err, &recorded) {
		return
	}
	bs.mu.Lock()
	srv := bs.srv
	if srv == nil {
		bs.mu.Unlock()
		return
	}
	bs.failure = err
	bs.mu.Unlock()
	srv.ReloadPolicy(ctx, triggerBundle)
	bs.mu.Lock()
	bs.failure = nil
	bs.mu.Unlock()
}

// triggerBundle is the reload trigger of a new bundle.
const triggerBundle = "bundle poll"

// startBundle activates the first bundle (from --bundle-url, else the
// cache) before the server exists.
func startBundle(ctx context.Context, cfg server.Config, log *slog.Logger) (*bundleServing, error) {
	bs := &bundleServing{cfg: cfg, log: log}
	src, err := bundlesource.New(cfg.Bundle, bs.activate, log, bundlesource.WithFailureHandler(bs.failed))
	if err != nil {
		return nil, usageError{err}
	}
	if err := src.Start(ctx); err != nil {
		return nil, err
	}
	bs.src = src
	return bs, nil
}

// activate makes a verified bundle live, or refuses it.
func (bs *bundleServing) activate(ctx context.Context, b *bundle.Bundle, from string) error {
	bs.mu.Lock()
	srv := bs.srv
	if srv == nil {
		bs.mu.Unlock()
		set, err := setFromBundle(ctx, bs.cfg, b, from, logProblems(bs.log))
		if err != nil {
			return err
		}
		bs.mu.Lock()
		bs.first, bs.live, bs.liveFrom = set, b, from
		bs.mu.Unlock()
		return nil
	}
	bs.next, bs.nextFrom = b, from
	bs.mu.Unlock()

	a := srv.ReloadPolicy(ctx, triggerBundle)

	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.next == b {
		bs.next = nil
	}
	switch a.Outcome {
	case reload.Loaded, reload.Unchanged:
		bs.live, bs.liveFrom = b, from
		return nil
	case reload.Failed:
		return reloadRecorded{a.Err}
	}
	return fmt.Errorf("reload: %s", a.Outcome)
}

// load is the PolicySource's Load: the bundle being activated, else the
// live one again (SIGHUP, AdminService.Reload: unchanged, since the
// bundle is).
func (bs *bundleServing) load(ctx context.Context) (*engine.Set, error) {
	bs.mu.Lock()
	b, from, failure := bs.next, bs.nextFrom, bs.failure
	if b == nil {
		b, from = bs.live, bs.liveFrom
	}
	bs.mu.Unlock()
	if failure != nil {
		return nil, failure
	}
	// Problems are reported by the server's reload (log, GetStatus).
	return setFromBundle(ctx, bs.cfg, b, from, func([]load.Problem) {})
}

// serve runs the server and the polling together until ctx is done.
func (bs *bundleServing) serve(ctx context.Context, srv *server.Server, run func(context.Context) error) error {
	bs.mu.Lock()
	bs.srv = srv
	bs.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { bs.src.Run(ctx) })
	err := run(ctx)
	cancel()
	wg.Wait()
	return err
}
