package bundle_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/wardenpdp/warden/policy/bundle"
)

// FuzzRead: Read never panics and bounds what it holds, whatever the
// bytes; with a verifier it accepts only what the key signed.
func FuzzRead(f *testing.F) {
	b := &bundle.Bundle{
		Manifest: bundle.Manifest{Revision: "r", Roots: []string{bundle.Root}, Metadata: map[string]any{bundle.FormatKey: bundle.Format}},
		Files:    map[string][]byte{"schema.yaml": []byte("tables: []\n"), "metadata.json": []byte("{}")},
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	s, err := bundle.NewSigner("RS256", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), "")
	if err != nil {
		f.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	v, err := bundle.NewVerifier("RS256", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), "", "")
	if err != nil {
		f.Fatal(err)
	}
	var signed, unsigned bytes.Buffer
	if err := bundle.Write(&signed, b, s); err != nil {
		f.Fatal(err)
	}
	if err := bundle.Write(&unsigned, b, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(signed.Bytes())
	f.Add(unsigned.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		const max = 1 << 16
		if got, err := bundle.Read(bytes.NewReader(data), bundle.WithMaxSize(max)); err == nil {
			total := 0
			for _, d := range got.Files {
				total += len(d)
			}
			if total > max {
				t.Fatalf("read %d bytes of files, over the %d bound", total, max)
			}
		}
		if got, err := bundle.Read(bytes.NewReader(data), bundle.WithVerifier(v)); err == nil {
			// Verified: its files are the signed ones (a fuzzer cannot
			// forge RS256), so the manifest is ours.
			if got.Manifest.Revision != "r" {
				t.Fatalf("a bundle verified with revision %q", got.Manifest.Revision)
			}
		}
	})
}
