package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing/fstest"
)

// The names of a bundle.
const (
	// Root is the directory, and the manifest's one root, that holds the
	// policy set's files.
	Root = "warden"
	// ManifestFile and SignaturesFile are OPA's names.
	ManifestFile   = ".manifest"
	SignaturesFile = ".signatures.json"
	// FormatKey is the manifest metadata key naming the layout version of
	// the files under Root; Format is the one this package writes and
	// reads.
	FormatKey = "warden_bundle_format"
	Format    = 1
)

// Limits on what Read accepts: a bundle comes over the network.
const (
	// DefaultMaxSize bounds the bundle's files together, uncompressed.
	DefaultMaxSize = 64 << 20
	// maxFiles bounds the files of one bundle.
	maxFiles = 100_000
)

// ErrFormat is wrapped by every error about a bundle's content (as opposed
// to an I/O error of the reader it is read from).
var ErrFormat = errors.New("invalid bundle")

// ErrSignature is wrapped by every error of signature verification.
var ErrSignature = errors.New("bundle signature")

// Manifest is the bundle's .manifest, in OPA's form.
type Manifest struct {
	// Revision is the policy set's revision (policy/load's content hash).
	Revision string `json:"revision"`
	// Roots are the paths the bundle owns: [Root].
	Roots []string `json:"roots"`
	// Metadata holds FormatKey.
	Metadata map[string]any `json:"metadata,omitempty"`
}

// Bundle is a policy set in bundle form.
type Bundle struct {
	Manifest Manifest
	// Files are the policy set's files, by their slash-separated path
	// under Root ("databases/databases.yaml", "schema.yaml").
	Files map[string][]byte
	// KeyID names the key whose signature was verified (Read with a
	// Verifier); empty for an unsigned or unverified bundle.
	KeyID string
}

// FS is the policy directory the bundle holds, for policy/load.FS.
func (b *Bundle) FS() fs.FS {
	m := make(fstest.MapFS, len(b.Files))
	for name, data := range b.Files {
		m[name] = &fstest.MapFile{Data: data, Mode: 0o444}
	}
	return m
}

// newManifest is the manifest of a bundle of revision rev.
func newManifest(rev string) Manifest {
	return Manifest{Revision: rev, Roots: []string{Root}, Metadata: map[string]any{FormatKey: Format}}
}

// manifestJSON encodes m in the canonical form OPA hashes structured
// files in (compact, keys sorted), so its hash is that of its bytes too.
func manifestJSON(m Manifest) ([]byte, error) {
	obj := map[string]any{"revision": m.Revision, "roots": m.Roots}
	if len(m.Metadata) > 0 {
		obj["metadata"] = m.Metadata
	}
	var buf bytes.Buffer
	if err := canonical(&buf, obj); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes b as a gzipped tarball: the manifest, the files in path
// order, and, with a signer, the signatures. The same bundle and key give
// the same bytes (no timestamps; an ECDSA signature excepted), so that an
// unchanged policy set keeps its ETag on servers that hash content.
func Write(w io.Writer, b *Bundle, signer *Signer) error {
	if b.Manifest.Revision == "" {
		return errors.New("bundle: no revision")
	}
	mj, err := manifestJSON(b.Manifest)
	if err != nil {
		return fmt.Errorf("bundle: manifest: %w", err)
	}
	type entry struct {
		name string
		data []byte
	}
	entries := []entry{{ManifestFile, mj}}
	names := make([]string, 0, len(b.Files))
	for n := range b.Files {
		if !fs.ValidPath(n) || n == "." {
			return fmt.Errorf("bundle: invalid file path %q", n)
		}
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		entries = append(entries, entry{Root + "/" + n, b.Files[n]})
	}
	if signer != nil {
		files := make([]fileHash, len(entries))
		for i, e := range entries {
			h, err := hashFile(e.name, e.data)
			if err != nil {
				return fmt.Errorf("bundle: %w", err)
			}
			files[i] = h
		}
		sig, err := signer.sign(files)
		if err != nil {
			return err
		}
		entries = append(entries, entry{SignaturesFile, sig})
	}

	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("bundle: write %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return fmt.Errorf("bundle: write %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return nil
}

// ReadOption configures Read.
type ReadOption func(*readConfig)

type readConfig struct {
	verifier *Verifier
	maxSize  int64
}

// WithVerifier requires a signature by the verifier's key and checks every
// file against it. Without it a signature, if any, is not checked (as OPA
// does without a verification key).
func WithVerifier(v *Verifier) ReadOption { return func(c *readConfig) { c.verifier = v } }

// WithMaxSize bounds the bundle's files together, uncompressed
// (DefaultMaxSize).
func WithMaxSize(n int64) ReadOption { return func(c *readConfig) { c.maxSize = n } }

// Read reads a bundle Write wrote (or OPA's tooling re-signed). Errors
// about the content wrap ErrFormat or ErrSignature.
func Read(r io.Reader, opts ...ReadOption) (*Bundle, error) {
	cfg := readConfig{maxSize: DefaultMaxSize}
	for _, o := range opts {
		o(&cfg)
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: not gzip: %v", ErrFormat, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	raw := map[string][]byte{}
	var total int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: tar: %v", ErrFormat, err)
		}
		// OPA's writer starts paths with "/"; readers take both.
		name := strings.TrimPrefix(hdr.Name, "/")
		switch hdr.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		default:
			return nil, fmt.Errorf("%w: %s: only regular files may be in a bundle (type %q)", ErrFormat, hdr.Name, hdr.Typeflag)
		}
		if !fs.ValidPath(name) || name == "." {
			return nil, fmt.Errorf("%w: invalid file path %q", ErrFormat, hdr.Name)
		}
		if _, dup := raw[name]; dup {
			return nil, fmt.Errorf("%w: %s is in the bundle twice", ErrFormat, name)
		}
		if len(raw) == maxFiles {
			return nil, fmt.Errorf("%w: more than %d files", ErrFormat, maxFiles)
		}
		if hdr.Size < 0 || total+hdr.Size > cfg.maxSize {
			return nil, fmt.Errorf("%w: larger than %d bytes uncompressed", ErrFormat, cfg.maxSize)
		}
		data, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
		if err != nil {
			return nil, fmt.Errorf("%w: read %s: %v", ErrFormat, name, err)
		}
		total += int64(len(data))
		raw[name] = data
	}

	mj, ok := raw[ManifestFile]
	if !ok {
		return nil, fmt.Errorf("%w: no %s", ErrFormat, ManifestFile)
	}
	b := &Bundle{Files: map[string][]byte{}}
	if cfg.verifier != nil {
		sig, ok := raw[SignaturesFile]
		if !ok {
			return nil, fmt.Errorf("%w: the bundle is not signed (no %s) and a verification key is configured", ErrSignature, SignaturesFile)
		}
		kid, err := cfg.verifier.verify(sig, raw)
		if err != nil {
			return nil, err
		}
		b.KeyID = kid
	}
	if err := decodeManifest(mj, &b.Manifest); err != nil {
		return nil, err
	}
	for name, data := range raw {
		switch {
		case name == ManifestFile || name == SignaturesFile:
		case strings.HasPrefix(name, Root+"/"):
			b.Files[strings.TrimPrefix(name, Root+"/")] = data
		default:
			return nil, fmt.Errorf("%w: %s is outside %s/: a Warden bundle holds only the policy set's files under %[3]s/", ErrFormat, name, Root)
		}
	}
	if len(b.Files) == 0 {
		return nil, fmt.Errorf("%w: no files under %s/", ErrFormat, Root)
	}
	return b, nil
}

func decodeManifest(data []byte, m *Manifest) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(m); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrFormat, ManifestFile, err)
	}
	if m.Revision == "" {
		return fmt.Errorf("%w: %s has no revision", ErrFormat, ManifestFile)
	}
	if !slices.Equal(m.Roots, []string{Root}) {
		return fmt.Errorf("%w: %s: roots %q, want [%q]", ErrFormat, ManifestFile, m.Roots, Root)
	}
	switch f := m.Metadata[FormatKey].(type) {
	case json.Number:
		if f.String() != fmt.Sprint(Format) {
			return fmt.Errorf("%w: %s: %s %s; this Warden reads format %d (a newer Warden built it?)", ErrFormat, ManifestFile, FormatKey, f, Format)
		}
	default:
		return fmt.Errorf("%w: %s: metadata.%s missing; not a Warden bundle", ErrFormat, ManifestFile, FormatKey)
	}
	return nil
}

// RevisionError is a bundle whose files do not hash to the revision its
// manifest names: it was altered after it was built, or built by hand.
type RevisionError struct {
	Manifest, Files string
}

func (e *RevisionError) Error() string {
	return fmt.Sprintf("%v: the manifest names revision %s but the files hash to %s", ErrFormat, e.Manifest, e.Files)
}

func (e *RevisionError) Unwrap() error { return ErrFormat }

// CheckRevision compares the revision the bundle's files loaded as
// (policy/load's) with the manifest's.
func (b *Bundle) CheckRevision(loaded string) error {
	if loaded != b.Manifest.Revision {
		return &RevisionError{Manifest: b.Manifest.Revision, Files: loaded}
	}
	return nil
}
