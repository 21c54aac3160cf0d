// Package load reads a policy set — Hasura v2 metadata plus a schema file —
// and builds the validated model. STUB: replaced by the real loader.
package load

import (
	"context"
	"errors"
	"io/fs"

	"github.com/wardenpdp/warden/policy/model"
)

// Option configures loading.
type Option func(*config)

type config struct {
	schemaFile string
}

// WithSchemaFile reads the schema from this file (an OS path) instead of
// schema.yaml at the policy root.
func WithSchemaFile(path string) Option { return func(c *config) { c.schemaFile = path } }

// Dir loads the policy set in directory dir.
func Dir(ctx context.Context, dir string, opts ...Option) (*model.Policy, error) {
	return nil, errors.New("load: not implemented")
}

// FS loads the policy set at the root of fsys; source names it in status and
// errors (e.g. "embedded:example").
func FS(ctx context.Context, fsys fs.FS, source string, opts ...Option) (*model.Policy, error) {
	return nil, errors.New("load: not implemented")
}
