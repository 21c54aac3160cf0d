package callerauth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// KeyPrefix starts every key GenerateKey makes, so a leaked key is easy to
// recognise in a secret scanner. Keys without it are accepted too.
const KeyPrefix = "wdn_"

// hashPrefix starts every configured key hash.
const hashPrefix = "sha256:"

// MaxKeyBytes is the longest API key accepted; longer ones are rejected
// before hashing.
const MaxKeyBytes = 512

// HashKey returns the configured form of an API key: "sha256:" followed by
// the lower-case hex SHA-256 of the key.
//
// Why SHA-256 and not bcrypt or argon2id: API keys are not passwords. Keys
// made by GenerateKey carry 256 bits from crypto/rand, so nobody can find a
// key from its hash by guessing, and a slow hash would add no protection
// while costing milliseconds of CPU on every request, which is itself a
// denial-of-service lever for anyone holding a wrong key. Slow hashes exist
// for low-entropy secrets that people choose; operators must therefore use
// GenerateKey (or another source of at least 128 random bits), never a
// chosen word. Hashes are compared in constant time.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hashPrefix + hex.EncodeToString(sum[:])
}

// GenerateKey returns a new random API key, to give to the caller, and its
// hash, to put in the configuration.
func GenerateKey() (key, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("generate key: %w", err)
	}
	key = KeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return key, HashKey(key), nil
}

// Entry configures one caller: its identity (an API key hash, a client
// certificate, or both), its level and, for user-level callers, its grants.
//
// In a file (YAML or JSON, a list of entries):
//
//   - id: checkout
//     hash: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//     level: user
//     grants: [check, filter]
//   - id: gateway
//     certificate: {uri: spiffe://example.org/ns/prod/sa/gateway}
//     level: user
//     grants: [filter, trusted-session]
//   - id: ops
//     hash: sha256:...
//     level: admin
type Entry struct {
	// ID names the caller in logs, metrics and rate limits. Required,
	// unique.
	ID string `json:"id" yaml:"id"`
	// Hash is HashKey of the caller's API key.
	Hash string `json:"hash,omitempty" yaml:"hash,omitempty"`
	// Certificate matches the caller's client certificate.
	Certificate *CertificateMatch `json:"certificate,omitempty" yaml:"certificate,omitempty"`
	// Level is "user" or "admin". Required.
	Level Level `json:"level" yaml:"level"`
	// Grants of a user-level caller.
	Grants []Grant `json:"grants,omitempty" yaml:"grants,omitempty"`
}

// CertificateMatch names a client certificate by exactly one of its
// identities. The certificate must also chain to the configured client CA.
type CertificateMatch struct {
	// URI is a URI SAN, typically a SPIFFE ID ("spiffe://trust-domain/path").
	URI string `json:"uri,omitempty" yaml:"uri,omitempty"`
	// DNS is a DNS SAN.
	DNS string `json:"dns,omitempty" yaml:"dns,omitempty"`
	// CN is the subject common name; prefer URI or DNS, which CAs constrain.
	CN string `json:"cn,omitempty" yaml:"cn,omitempty"`
}

func (m CertificateMatch) String() string {
	switch {
	case m.URI != "":
		return "uri:" + m.URI
	case m.DNS != "":
		return "dns:" + strings.ToLower(m.DNS)
	case m.CN != "":
		return "cn:" + m.CN
	}
	return ""
}

// ParseEntries parses a list of entries from JSON or YAML and validates it.
func ParseEntries(data []byte) ([]Entry, error) {
	var entries []Entry
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&entries); err != nil {
			return nil, fmt.Errorf("caller entries: %w", err)
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&entries); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("caller entries: %w", err)
		}
	}
	if err := ValidateEntries(entries); err != nil {
		return nil, err
	}
	return entries, nil
}

// LoadEntriesFile reads and parses a file of entries.
func LoadEntriesFile(path string) ([]Entry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("caller entries: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		// Most likely caught half-written (the file reloads on change);
		// a file meant to list nobody says so.
		return nil, fmt.Errorf("%s is empty: write [] for a file that lists no caller", path)
	}
	entries, err := ParseEntries(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// ValidateEntries reports every problem at once: missing or duplicate ids,
// malformed or duplicate hashes and certificate matches, unknown levels and
// grants.
func ValidateEntries(entries []Entry) error {
	var errs []error
	ids := map[string]int{}
	hashes := map[string]int{}
	certs := map[string]int{}
	for i, e := range entries {
		at := fmt.Sprintf("entry %d", i)
		if e.ID != "" {
			at = fmt.Sprintf("entry %d (%s)", i, e.ID)
		}
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf(at+": "+format, args...))
		}
		if e.ID == "" {
			bad("id is required")
		} else if j, dup := ids[e.ID]; dup {
			bad("id is also entry %d", j)
		} else {
			ids[e.ID] = i
		}
		if e.Hash == "" && e.Certificate == nil {
			bad("needs a hash (an API key) or a certificate match")
		}
		if e.Hash != "" {
			if err := checkHash(e.Hash); err != nil {
				bad("%v", err)
			} else if j, dup := hashes[strings.ToLower(e.Hash)]; dup {
				bad("hash is also entry %d's: one key, one caller", j)
			} else {
				hashes[strings.ToLower(e.Hash)] = i
			}
		}
		if m := e.Certificate; m != nil {
			n := 0
			for _, s := range []string{m.URI, m.DNS, m.CN} {
				if s != "" {
					n++
				}
			}
			if n != 1 {
				bad("certificate needs exactly one of uri, dns, cn")
			} else if j, dup := certs[m.String()]; dup {
				bad("certificate %s is also entry %d's", m, j)
			} else {
				certs[m.String()] = i
			}
		}
		switch e.Level {
		case LevelUser, LevelAdmin:
		default:
			bad("level is required: user or admin")
		}
		for _, g := range e.Grants {
			if _, err := ParseGrant(string(g)); err != nil {
				bad("%v", err)
			}
		}
	}
	return errors.Join(errs...)
}

func checkHash(h string) error {
	hexPart, ok := strings.CutPrefix(h, hashPrefix)
	if !ok {
		return fmt.Errorf("hash must start with %q (see warden keys generate); plain-text keys are not accepted", hashPrefix)
	}
	if b, err := hex.DecodeString(hexPart); err != nil || len(b) != sha256.Size {
		return errors.New("hash must be sha256: followed by 64 hex digits")
	}
	return nil
}
