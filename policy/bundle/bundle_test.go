package bundle_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	opabundle "github.com/open-policy-agent/opa/v1/bundle"

	"github.com/wardenpdp/warden/policy/bundle"
	"github.com/wardenpdp/warden/policy/load"
)

const blogDir = "../examples/blog"

func build(t *testing.T) *bundle.Bundle {
	t.Helper()
	b, p, err := bundle.FromDir(context.Background(), blogDir, "")
	if err != nil {
		t.Fatal(err)
	}
	if b.Manifest.Revision != p.Revision || p.Revision == "" {
		t.Fatalf("manifest revision %q, policy %q", b.Manifest.Revision, p.Revision)
	}
	return b
}

func write(t *testing.T, b *bundle.Bundle, s *bundle.Signer) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := bundle.Write(&buf, b, s); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The bundle's revision is the revision of the directory it was built
// from, and reading it back loads the same policy set.
func TestRoundTripKeepsTheDirectorysRevision(t *testing.T) {
	ctx := context.Background()
	dirPolicy, err := load.Dir(ctx, blogDir)
	if err != nil {
		t.Fatal(err)
	}
	b := build(t)
	if b.Manifest.Revision != dirPolicy.Revision {
		t.Errorf("bundle revision %s, directory %s", b.Manifest.Revision, dirPolicy.Revision)
	}
	for _, name := range []string{"schema.sql", "seed.sql"} {
		if _, ok := b.Files[name]; ok {
			t.Errorf("%s is in the bundle; the loader does not read it", name)
		}
	}
	if _, ok := b.Files["databases/databases.yaml"]; !ok {
		t.Errorf("databases/databases.yaml missing; files: %v", keys(b.Files))
	}
	data := write(t, b, nil)
	if again := write(t, b, nil); !bytes.Equal(data, again) {
		t.Error("two writes of one bundle differ; an unchanged policy set would change its ETag")
	}
	got, err := bundle.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	p, err := load.FS(ctx, got.FS(), "bundle")
	if err != nil {
		t.Fatal(err)
	}
	if err := got.CheckRevision(p.Revision); err != nil {
		t.Error(err)
	}
	if len(p.Tables) != len(dirPolicy.Tables) || len(p.Roles) != len(dirPolicy.Roles) {
		t.Errorf("bundle loads %d tables %d roles, directory %d %d", len(p.Tables), len(p.Roles), len(dirPolicy.Tables), len(dirPolicy.Roles))
	}
}

// An external --schema file becomes the bundle's schema.yaml.
func TestSchemaFileIsBundled(t *testing.T) {
	dir := t.TempDir()
	schema, err := os.ReadFile(filepath.Join(blogDir, "schema.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ext := filepath.Join(dir, "other-schema.yaml")
	if err := os.WriteFile(ext, append([]byte("# pulled elsewhere\n"), schema...), 0o644); err != nil {
		t.Fatal(err)
	}
	b, _, err := bundle.FromDir(context.Background(), blogDir, ext)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Files["schema.yaml"], []byte("# pulled elsewhere")) {
		t.Errorf("schema.yaml is not the --schema file: %.40q", b.Files["schema.yaml"])
	}
}

func TestRevisionMismatchIsRefused(t *testing.T) {
	b := build(t)
	b.Files["schema.yaml"] = append([]byte("# edited\n"), b.Files["schema.yaml"]...)
	got, err := bundle.Read(bytes.NewReader(write(t, b, nil)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := load.FS(context.Background(), got.FS(), "bundle")
	if err != nil {
		t.Fatal(err)
	}
	var re *bundle.RevisionError
	if err := got.CheckRevision(p.Revision); !errors.As(err, &re) || !errors.Is(err, bundle.ErrFormat) {
		t.Fatalf("CheckRevision = %v, want a RevisionError", err)
	}
}

func rsaKeys(t *testing.T) (priv, pub []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock(t, "PRIVATE KEY", k), pubPEM(t, &k.PublicKey)
}

func ecKeys(t *testing.T) (priv, pub []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock(t, "PRIVATE KEY", k), pubPEM(t, &k.PublicKey)
}

func pemBlock(t *testing.T, typ string, k any) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pubPEM(t *testing.T, k any) []byte {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestSignedBundles(t *testing.T) {
	b := build(t)
	rsaPriv, rsaPub := rsaKeys(t)
	ecPriv, ecPub := ecKeys(t)
	secret := []byte("0123456789abcdef0123456789abcdef")
	otherRSAPriv, _ := rsaKeys(t)

	for _, tc := range []struct {
		name             string
		alg, signKeyID   string
		signKey          []byte
		verifyAlg, kid   string
		verifyKey        []byte
		wantErr          string
		tamper           func(files map[string][]byte)
		unsigned, addOne bool
	}{
		{name: "RS256", alg: "RS256", signKey: rsaPriv, verifyAlg: "RS256", verifyKey: rsaPub},
		{name: "ES256", alg: "ES256", signKey: ecPriv, verifyAlg: "ES256", verifyKey: ecPub},
		{name: "HS256", alg: "HS256", signKey: secret, verifyAlg: "HS256", verifyKey: secret},
		{name: "key id", alg: "RS256", signKeyID: "k2", signKey: rsaPriv, verifyAlg: "RS256", kid: "k2", verifyKey: rsaPub},
		{name: "other key", alg: "RS256", signKey: otherRSAPriv, verifyAlg: "RS256", verifyKey: rsaPub, wantErr: "does not verify"},
		{name: "other key id", alg: "RS256", signKeyID: "old", signKey: rsaPriv, verifyAlg: "RS256", verifyKey: rsaPub, wantErr: `signed with key "old"`},
		{name: "algorithm is the verifier's", alg: "HS256", signKey: secret, verifyAlg: "RS256", verifyKey: rsaPub, wantErr: "signed with HS256"},
		{name: "unsigned", unsigned: true, verifyAlg: "RS256", verifyKey: rsaPub, wantErr: "not signed"},
		{name: "file altered", alg: "RS256", signKey: rsaPriv, verifyAlg: "RS256", verifyKey: rsaPub, wantErr: "does not match its hash",
			tamper: func(f map[string][]byte) { f["warden/schema.yaml"] = append(f["warden/schema.yaml"], '\n') }},
		{name: "manifest altered", alg: "RS256", signKey: rsaPriv, verifyAlg: "RS256", verifyKey: rsaPub, wantErr: ".manifest does not match",
			tamper: func(f map[string][]byte) {
				f[".manifest"] = bytes.Replace(f[".manifest"], []byte(`"revision":"`), []byte(`"revision":"0`), 1)
			}},
		{name: "manifest reformatted", alg: "RS256", signKey: rsaPriv, verifyAlg: "RS256", verifyKey: rsaPub,
			tamper: func(f map[string][]byte) {
				f[".manifest"] = bytes.ReplaceAll(f[".manifest"], []byte(","), []byte(",\n  "))
			}},
		{name: "file added", alg: "RS256", signKey: rsaPriv, verifyAlg: "RS256", verifyKey: rsaPub, wantErr: "is not in the signature",
			tamper: func(f map[string][]byte) { f["warden/extra.yaml"] = []byte("x: 1\n") }},
		{name: "file removed", alg: "RS256", signKey: rsaPriv, verifyAlg: "RS256", verifyKey: rsaPub, wantErr: "in the signature but not in the bundle",
			tamper: func(f map[string][]byte) { delete(f, "warden/version.yaml") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var signer *bundle.Signer
			if !tc.unsigned {
				var err error
				if signer, err = bundle.NewSigner(tc.alg, tc.signKey, tc.signKeyID); err != nil {
					t.Fatal(err)
				}
			}
			data := write(t, b, signer)
			if tc.tamper != nil {
				files := untar(t, data)
				tc.tamper(files)
				data = retar(t, files)
			}
			v, err := bundle.NewVerifier(tc.verifyAlg, tc.verifyKey, tc.kid, "")
			if err != nil {
				t.Fatal(err)
			}
			got, err := bundle.Read(bytes.NewReader(data), bundle.WithVerifier(v))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, bundle.ErrSignature) && !tc.unsigned {
					t.Fatalf("Read = %v, want an ErrSignature with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := v.KeyID(); got.KeyID != want {
				t.Errorf("KeyID %q, want %q", got.KeyID, want)
			}
		})
	}
}

// OPA's own bundle reader reads a signed Warden bundle and verifies its
// signature with the same public key: the layout and the signature are
// OPA's.
func TestOPAReadsAndVerifiesTheBundle(t *testing.T) {
	b := build(t)
	priv, pub := rsaKeys(t)
	s, err := bundle.NewSigner("RS256", priv, "")
	if err != nil {
		t.Fatal(err)
	}
	data := write(t, b, s)
	vc := opabundle.NewVerificationConfig(map[string]*opabundle.KeyConfig{
		bundle.DefaultKeyID: {Key: string(pub), Algorithm: "RS256"},
	}, "", "", nil)
	ob, err := opabundle.NewReader(bytes.NewReader(data)).WithBundleVerificationConfig(vc).Read()
	if err != nil {
		t.Fatalf("OPA's reader refuses the bundle: %v", err)
	}
	if ob.Manifest.Revision != b.Manifest.Revision {
		t.Errorf("OPA reads revision %q, want %q", ob.Manifest.Revision, b.Manifest.Revision)
	}
	if ob.Manifest.Roots == nil || len(*ob.Manifest.Roots) != 1 || (*ob.Manifest.Roots)[0] != bundle.Root {
		t.Errorf("OPA reads roots %v", ob.Manifest.Roots)
	}

	// And OPA refuses it once a file is altered: its check is the same.
	files := untar(t, data)
	files["warden/schema.yaml"] = append(files["warden/schema.yaml"], '\n')
	if _, err := opabundle.NewReader(bytes.NewReader(retar(t, files))).WithBundleVerificationConfig(vc).Read(); err == nil {
		t.Error("OPA accepts an altered bundle")
	}
}

func TestMalformedBundlesAreRefused(t *testing.T) {
	good := untar(t, write(t, build(t), nil))
	for _, tc := range []struct {
		name    string
		data    func() []byte
		wantErr string
	}{
		{"not gzip", func() []byte { return []byte("hello") }, "not gzip"},
		{"no manifest", func() []byte {
			f := clone(good)
			delete(f, ".manifest")
			return retar(t, f)
		}, "no .manifest"},
		{"no revision", func() []byte {
			f := clone(good)
			f[".manifest"] = []byte(`{"roots":["warden"],"metadata":{"warden_bundle_format":1}}`)
			return retar(t, f)
		}, "no revision"},
		{"other roots", func() []byte {
			f := clone(good)
			f[".manifest"] = []byte(`{"revision":"x","roots":[""],"metadata":{"warden_bundle_format":1}}`)
			return retar(t, f)
		}, "roots"},
		{"newer format", func() []byte {
			f := clone(good)
			f[".manifest"] = []byte(`{"revision":"x","roots":["warden"],"metadata":{"warden_bundle_format":2}}`)
			return retar(t, f)
		}, "format 1"},
		{"not a warden bundle", func() []byte {
			f := clone(good)
			f[".manifest"] = []byte(`{"revision":"x","roots":["warden"]}`)
			return retar(t, f)
		}, "not a Warden bundle"},
		{"file outside the root", func() []byte {
			f := clone(good)
			f["data.json"] = []byte(`{}`)
			return retar(t, f)
		}, "outside warden/"},
		{"path escapes", func() []byte {
			f := clone(good)
			f["warden/../../etc/passwd"] = []byte("x")
			return retar(t, f)
		}, "invalid file path"},
		{"symlink", func() []byte {
			return tarWith(t, good, &tar.Header{Name: "warden/link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"})
		}, "only regular files"},
		{"too large", func() []byte {
			f := clone(good)
			f["warden/big.yaml"] = bytes.Repeat([]byte("a"), 2<<20)
			return retar(t, f)
		}, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := bundle.Read(bytes.NewReader(tc.data()), bundle.WithMaxSize(1<<20))
			if err == nil || !errors.Is(err, bundle.ErrFormat) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Read = %v, want ErrFormat with %q", err, tc.wantErr)
			}
		})
	}
}

func TestKeysAreChecked(t *testing.T) {
	rsaPriv, rsaPub := rsaKeys(t)
	for _, tc := range []struct {
		name, alg string
		key       []byte
		sign      bool
		wantErr   string
	}{
		{"unknown algorithm", "none", rsaPriv, true, "want one of"},
		{"short secret", "HS256", []byte("short"), true, "at least 32"},
		{"not PEM", "RS256", []byte("nope"), true, "PEM private key"},
		{"key of another kind", "ES256", rsaPriv, true, "ecdsa key; this is an rsa key"},
		{"private key to verify", "RS256", rsaPriv, false, "never a private key"},
		{"public key to sign", "RS256", rsaPub, true, `PEM block "PUBLIC KEY"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.sign {
				_, err = bundle.NewSigner(tc.alg, tc.key, "")
			} else {
				_, err = bundle.NewVerifier(tc.alg, tc.key, "", "")
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func untar(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = b
	}
}

func retar(t *testing.T, files map[string][]byte) []byte { return tarWith(t, files) }

func tarWith(t *testing.T, files map[string][]byte, extra ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, data := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	for _, h := range extra {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func clone(m map[string][]byte) map[string][]byte {
	c := make(map[string][]byte, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
