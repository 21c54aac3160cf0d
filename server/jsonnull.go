package server

import (
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"

	"github.com/wardenpdp/warden/policy/engine"
)

// MaxJSONNulls is the most json_nulls entries a row (or a TableRows) may
// carry: a row has no more JSON nulls than values, and the entries are
// read before anything else bounds them.
const MaxJSONNulls = 1000

// markJSONNulls marks the JSON nulls that paths name (engine.MarkJSONNull)
// and returns a field violation of field[i] for each entry that names no
// null value: the path and why, never a value.
func markJSONNulls(roots map[string]any, paths []string, field string) violations {
	var v violations
	if len(paths) > MaxJSONNulls {
		v.add(field, fmt.Sprintf("%d entries; at most %d", len(paths), MaxJSONNulls))
		return v
	}
	for i, p := range paths {
		if err := engine.MarkJSONNull(roots, p); err != nil {
			v.add(fmt.Sprintf("%s[%d]", field, i), err.Error())
		}
	}
	return v
}

// jsonNullsErr is the InvalidArgument status of json_nulls entries that
// name no null value.
func (v violations) jsonNullsErr() error {
	msgs := make([]string, len(v))
	for i, x := range v {
		msgs[i] = x.GetField() + ": " + x.GetDescription()
	}
	return newStatus(codes.InvalidArgument, strings.Join(msgs, "; "), errorInfo(ReasonInvalidValue),
		&errdetails.BadRequest{FieldViolations: v}).Err()
}
