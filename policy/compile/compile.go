// Package compile turns a model.Policy into Rego modules (v1 syntax): one
// package per table and operation, rules per role. STUB.
package compile

import (
	"errors"

	"github.com/wardenpdp/warden/policy/model"
)

// Module is one compiled Rego module.
type Module struct {
	// Path is "public/articles/select.rego".
	Path string
	// Package is the Rego package path, e.g. "warden.tables.public.articles.select".
	Package string
	Table   model.TableName
	Op      model.Operation
	// Source is the Rego text.
	Source string
}

// Compile compiles every table and operation of p. Modules are sorted by Path.
func Compile(p *model.Policy) ([]Module, error) {
	return nil, errors.New("compile: not implemented")
}
