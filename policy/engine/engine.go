// Package engine evaluates a compiled policy set with OPA: prepared queries
// per (table, operation, role), chosen by map lookup. STUB.
package engine

import (
	"context"
	"errors"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
)

// Option configures New.
type Option func(*config)

type config struct{}

// Set is a compiled, immutable policy set ready to evaluate. Safe for
// concurrent use.
type Set struct {
	policy  *model.Policy
	modules []compile.Module
}

// New compiles p and prepares its queries.
func New(ctx context.Context, p *model.Policy, opts ...Option) (*Set, error) {
	return nil, errors.New("engine: not implemented")
}

// Policy returns the model the set was built from.
func (s *Set) Policy() *model.Policy { return s.policy }

// Revision returns the policy revision.
func (s *Set) Revision() string { return s.policy.Revision }

// Modules returns every compiled module, sorted by path.
func (s *Set) Modules() []compile.Module { return s.modules }

// TableModules returns the modules of one table, sorted by path; an unknown
// table is *UnknownTableError.
func (s *Set) TableModules(t model.TableName) ([]compile.Module, error) {
	return nil, errors.New("engine: not implemented")
}

// Check decides on every row. Errors: *UnknownTableError,
// *MissingSessionVariablesError, InvalidValueErrors / *InvalidValueError.
// A deny is a result, never an error.
func (s *Set) Check(ctx context.Context, in CheckInput) (*CheckResult, error) {
	return nil, errors.New("engine: not implemented")
}
