package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/bundle"
	"github.com/wardenpdp/warden/policy/load"
)

func TestBundleBuild(t *testing.T) {
	const blog = "../../../policy/examples/blog"
	dirPolicy, err := load.Dir(t.Context(), blog)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	keyFile := filepath.Join(dir, "signing.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	out := filepath.Join(dir, "warden.tar.gz")
	stdout, stderr, err := runCLI(t, nil, "bundle", "build", "--policy", blog, "--out", out,
		"--signing-key", keyFile, "--signing-alg", "ES256", "--signing-key-id", "k1")
	if err != nil {
		t.Fatalf("bundle build: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "revision "+dirPolicy.Revision) || !strings.Contains(stdout, "signed ES256, key id k1") {
		t.Errorf("stdout %q; want the directory's revision %s and the signature", stdout, dirPolicy.Revision)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	v, err := bundle.NewVerifier("ES256", pub, "k1", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Read(bytes.NewReader(data), bundle.WithVerifier(v))
	if err != nil {
		t.Fatal(err)
	}
	if b.Manifest.Revision != dirPolicy.Revision || b.KeyID != "k1" {
		t.Errorf("manifest revision %s key %q, want %s k1", b.Manifest.Revision, b.KeyID, dirPolicy.Revision)
	}

	t.Run("an HMAC secret file's trailing newline is not the secret's", func(t *testing.T) {
		secret := "0123456789abcdef0123456789abcdef"
		f := filepath.Join(dir, "hs.secret")
		os.WriteFile(f, []byte(secret+"\n"), 0o600)
		hsOut := filepath.Join(dir, "hs.tar.gz")
		if _, stderr, err := runCLI(t, nil, "bundle", "build", blog, "--out", hsOut, "--signing-key", f, "--signing-alg", "HS256"); err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		data, _ := os.ReadFile(hsOut)
		v, err := bundle.NewVerifier("HS256", []byte(secret), "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bundle.Read(bytes.NewReader(data), bundle.WithVerifier(v)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"bundle"}, "want the subcommand build"},
			{[]string{"bundle", "build", "--out", out}, "--policy DIR is required"},
			{[]string{"bundle", "build", blog}, "--out FILE is required"},
			{[]string{"bundle", "build", blog, "--out", out, "--signing-key", keyFile, "--signing-alg", "RS256"}, "rsa key; this is an ecdsa key"},
		} {
			_, _, err := runCLI(t, nil, tc.args...)
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: err %v, want a usage error with %q", tc.args, err, tc.want)
			}
		}
	})

	t.Run("an invalid policy writes nothing", func(t *testing.T) {
		bad := t.TempDir()
		os.WriteFile(filepath.Join(bad, "schema.yaml"), []byte("tables: [oops\n"), 0o644)
		os.WriteFile(filepath.Join(bad, "metadata.json"), []byte(`{"version":3,"sources":[]}`), 0o644)
		badOut := filepath.Join(dir, "bad.tar.gz")
		_, stderr, err := runCLI(t, nil, "bundle", "build", bad, "--out", badOut)
		if err == nil || !strings.Contains(err.Error(), "is invalid") || !strings.Contains(stderr, "schema.yaml") {
			t.Fatalf("err %v, stderr %q; want the problems listed", err, stderr)
		}
		if _, err := os.Stat(badOut); !os.IsNotExist(err) {
			t.Errorf("a bundle was written: %v", err)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".bad.tar.gz*")); len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	})
}
