package bundle

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// DefaultKeyID is the key id a signature names when none is given: OPA's
// default too (opa build --signing-key without a key id; a bundle
// verification key named "default").
const DefaultKeyID = "default"

// hashAlgorithm is the one file hash written and read: SHA-256, OPA's
// default. OPA can also write others (opa build --signing-alg does not
// change it); a bundle listing another is refused with its name.
const hashAlgorithm = "SHA-256"

// fileHash is one file of a signature's payload, as OPA writes it.
type fileHash struct {
	Name      string `json:"name"`
	Hash      string `json:"hash"`
	Algorithm string `json:"algorithm"`
}

// payload is the signed JWS payload: OPA's DecodedSignature.
type payload struct {
	Files []fileHash `json:"files"`
	// KeyID is OPA's deprecated payload key id, read when the header
	// has no kid.
	KeyID string `json:"keyid,omitempty"`
	Scope string `json:"scope,omitempty"`
}

// signatures is .signatures.json.
type signatures struct {
	Signatures []string `json:"signatures"`
}

// algorithms are the JWS algorithms a bundle may be signed with, and the
// kind of key each takes.
var algorithms = map[string]string{
	"RS256": "rsa", "RS384": "rsa", "RS512": "rsa",
	"PS256": "rsa", "PS384": "rsa", "PS512": "rsa",
	"ES256": "ecdsa", "ES384": "ecdsa", "ES512": "ecdsa",
	"EdDSA": "ed25519",
	"HS256": "hmac", "HS384": "hmac", "HS512": "hmac",
}

func lookupAlg(alg string) (jwa.SignatureAlgorithm, string, error) {
	kind, ok := algorithms[alg]
	sa, found := jwa.LookupSignatureAlgorithm(alg)
	if !ok || !found {
		names := make([]string, 0, len(algorithms))
		for n := range algorithms {
			names = append(names, n)
		}
		slices.Sort(names)
		return jwa.SignatureAlgorithm{}, "", fmt.Errorf("signing algorithm %q: want one of %s", alg, strings.Join(names, ", "))
	}
	return sa, kind, nil
}

// Signer signs bundles with one key.
type Signer struct {
	alg   jwa.SignatureAlgorithm
	key   any
	keyID string
}

// NewSigner reads a signing key: a PEM private key (PKCS#8, PKCS#1 RSA or
// SEC 1 EC) for the RS, PS, ES and EdDSA algorithms, the secret itself for
// HS256/384/512. keyID is the kid the signature names (DefaultKeyID when
// empty); a verifier looks its key up by it.
func NewSigner(alg string, key []byte, keyID string) (*Signer, error) {
	sa, kind, err := lookupAlg(alg)
	if err != nil {
		return nil, err
	}
	if keyID == "" {
		keyID = DefaultKeyID
	}
	s := &Signer{alg: sa, keyID: keyID}
	if kind == "hmac" {
		if len(key) < 32 {
			return nil, fmt.Errorf("%s secret: %d bytes, want at least 32", alg, len(key))
		}
		s.key = key
		return s, nil
	}
	block, _ := pem.Decode(key)
	if block == nil {
		return nil, fmt.Errorf("%s signing key: want a PEM private key", alg)
	}
	var priv any
	switch block.Type {
	case "PRIVATE KEY":
		priv, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		priv, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		priv, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%s signing key: PEM block %q, want PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY", alg, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s signing key: %w", alg, err)
	}
	if k := keyKind(priv); k != kind {
		return nil, fmt.Errorf("%s signs with an %s key; this is an %s key", alg, kind, k)
	}
	s.key = priv
	return s, nil
}

func (s *Signer) sign(files []fileHash) ([]byte, error) {
	p, err := json.Marshal(payload{Files: files})
	if err != nil {
		return nil, err
	}
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.KeyIDKey, s.keyID); err != nil {
		return nil, err
	}
	tok, err := jws.Sign(p, jws.WithKey(s.alg, s.key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return nil, fmt.Errorf("bundle: sign: %w", err)
	}
	return json.Marshal(signatures{Signatures: []string{string(tok)}})
}

// Verifier checks a bundle's signature against one configured key. The
// algorithm is configured with the key, never taken from the signature.
type Verifier struct {
	alg   jwa.SignatureAlgorithm
	key   any
	keyID string
	scope string
}

// NewVerifier reads a verification key: a PEM public key (PKIX, PKCS#1
// RSA) or certificate for the RS, PS, ES and EdDSA algorithms, the secret
// for HS256/384/512. A signature must name keyID (DefaultKeyID when empty)
// and carry scope (usually empty), as OPA's verification does.
func NewVerifier(alg string, key []byte, keyID, scope string) (*Verifier, error) {
	sa, kind, err := lookupAlg(alg)
	if err != nil {
		return nil, err
	}
	if keyID == "" {
		keyID = DefaultKeyID
	}
	v := &Verifier{alg: sa, keyID: keyID, scope: scope}
	if kind == "hmac" {
		if len(key) < 32 {
			return nil, fmt.Errorf("%s secret: %d bytes, want at least 32", alg, len(key))
		}
		v.key = key
		return v, nil
	}
	block, _ := pem.Decode(key)
	if block == nil {
		return nil, fmt.Errorf("%s verification key: want a PEM public key or certificate", alg)
	}
	var pub any
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			pub = cert.PublicKey
		}
	default:
		return nil, fmt.Errorf("%s verification key: PEM block %q, want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE (never a private key)", alg, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s verification key: %w", alg, err)
	}
	if k := keyKind(pub); k != kind {
		return nil, fmt.Errorf("%s verifies with an %s key; this is an %s key", alg, kind, k)
	}
	v.key = pub
	return v, nil
}

// KeyID is the key id signatures must name.
func (v *Verifier) KeyID() string { return v.keyID }

// verify checks .signatures.json against every file of the bundle (by
// name, the signatures file left out) and returns the key id.
func (v *Verifier) verify(sigFile []byte, files map[string][]byte) (string, error) {
	var sigs signatures
	if err := json.Unmarshal(sigFile, &sigs); err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrSignature, SignaturesFile, err)
	}
	if len(sigs.Signatures) != 1 {
		return "", fmt.Errorf("%w: %s holds %d signatures, want exactly one", ErrSignature, SignaturesFile, len(sigs.Signatures))
	}
	tok := []byte(sigs.Signatures[0])
	msg, err := jws.Parse(tok)
	if err != nil {
		return "", fmt.Errorf("%w: not a JWS: %v", ErrSignature, err)
	}
	if len(msg.Signatures()) != 1 {
		return "", fmt.Errorf("%w: the JWS holds %d signatures, want one", ErrSignature, len(msg.Signatures()))
	}
	var p payload
	if err := json.Unmarshal(msg.Payload(), &p); err != nil {
		return "", fmt.Errorf("%w: payload: %v", ErrSignature, err)
	}
	hdr := msg.Signatures()[0].ProtectedHeaders()
	kid, _ := hdr.KeyID()
	if kid == "" {
		kid = p.KeyID
	}
	if kid != v.keyID {
		return "", fmt.Errorf("%w: signed with key %q; the configured verification key is %q", ErrSignature, kid, v.keyID)
	}
	if alg, _ := hdr.Algorithm(); alg.String() != v.alg.String() {
		return "", fmt.Errorf("%w: signed with %s; the configured verification key is %s", ErrSignature, alg, v.alg)
	}
	if _, err := jws.Verify(tok, jws.WithKey(v.alg, v.key)); err != nil {
		return "", fmt.Errorf("%w: does not verify with key %q: %v", ErrSignature, v.keyID, err)
	}
	if p.Scope != v.scope {
		return "", fmt.Errorf("%w: scope %q, want %q", ErrSignature, p.Scope, v.scope)
	}

	listed := make(map[string]fileHash, len(p.Files))
	for _, f := range p.Files {
		listed[strings.TrimPrefix(f.Name, "/")] = f
	}
	for name, data := range files {
		if name == SignaturesFile {
			continue
		}
		f, ok := listed[name]
		if !ok {
			return "", fmt.Errorf("%w: %s is not in the signature", ErrSignature, name)
		}
		delete(listed, name)
		if f.Algorithm != hashAlgorithm {
			return "", fmt.Errorf("%w: %s: hash algorithm %q; this Warden verifies %s only", ErrSignature, name, f.Algorithm, hashAlgorithm)
		}
		h, err := hashFile(name, data)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrSignature, err)
		}
		if h.Hash != f.Hash {
			return "", fmt.Errorf("%w: %s does not match its hash in the signature (altered after signing)", ErrSignature, name)
		}
	}
	for name := range listed {
		return "", fmt.Errorf("%w: %s is in the signature but not in the bundle", ErrSignature, name)
	}
	return kid, nil
}

// hashFile hashes a file as OPA does: a structured document (.manifest,
// data.json, data.yaml) by its canonical JSON form, so that whitespace
// and key order do not count; any other file by its bytes.
func hashFile(name string, data []byte) (fileHash, error) {
	h := sha256.New()
	switch path.Base(name) {
	case ManifestFile, "data.json":
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return fileHash{}, fmt.Errorf("%s: %v", name, err)
		}
		if err := canonical(h, v); err != nil {
			return fileHash{}, fmt.Errorf("%s: %v", name, err)
		}
	case "data.yaml", "data.yml":
		// Warden never writes data documents; OPA hashes a YAML one by
		// its JSON form, which this package does not reproduce.
		return fileHash{}, fmt.Errorf("%s: YAML data documents are not part of a Warden bundle", name)
	default:
		h.Write(data)
	}
	return fileHash{Name: name, Hash: hex.EncodeToString(h.Sum(nil)), Algorithm: hashAlgorithm}, nil
}

// canonical writes v as OPA's structured-document hash reads it: objects
// with sorted keys, no whitespace, strings and numbers as encoding/json
// writes them without HTML escaping.
func canonical(w interface{ Write([]byte) (int, error) }, v any) error {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		w.Write([]byte("{"))
		for i, k := range keys {
			if i > 0 {
				w.Write([]byte(","))
			}
			if err := primitive(w, k); err != nil {
				return err
			}
			w.Write([]byte(":"))
			if err := canonical(w, x[k]); err != nil {
				return err
			}
		}
		w.Write([]byte("}"))
	case []any:
		w.Write([]byte("["))
		for i, e := range x {
			if i > 0 {
				w.Write([]byte(","))
			}
			if err := canonical(w, e); err != nil {
				return err
			}
		}
		w.Write([]byte("]"))
	default:
		return primitive(w, x)
	}
	return nil
}

func primitive(w interface{ Write([]byte) (int, error) }, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return err
}

func keyKind(k any) string {
	switch k.(type) {
	case *rsa.PrivateKey, *rsa.PublicKey:
		return "rsa"
	case *ecdsa.PrivateKey, *ecdsa.PublicKey:
		return "ecdsa"
	case ed25519.PrivateKey, ed25519.PublicKey:
		return "ed25519"
	}
	return fmt.Sprintf("%T", k)
}
