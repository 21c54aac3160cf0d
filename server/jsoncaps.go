package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// The gateway decodes a JSON body into the request message before it
// calls the in-process gRPC server, where the wire caps (RequestCaps) are
// checked: too late for memory, since `[0,0,0,...]` is two bytes a value
// in JSON and some fifty once decoded. So the body of a gateway call is
// scanned first, in one pass without allocation, for the same caps:
// values (every JSON value), the elements of one array, and the nesting
// of arrays and objects. The JSON form of a request nests a few levels
// above its column values ({"rows":[{"values":{...}}]}), so the depth
// allowed is jsonStructureDepth more than --max-value-depth; the exact
// caps are then checked on the wire form, as for every call.

// jsonStructureDepth is how deeply the JSON form of a request nests
// above a column value: {"tables":[{"rows":[{ column: value }]}]}.
// jsonValuesPerRow are the JSON values of a row's structure (the row, its
// id, its values and new_values objects), and jsonValuesPerRequest those
// of the rest (principal, table, operation, columns, ...): the request's
// own structure is not held against the values cap.
const (
	jsonStructureDepth   = 4
	jsonValuesPerRow     = 4
	jsonValuesPerRequest = 256
)

// checkJSON scans a JSON body against the caps, allowing the structure of
// a request of up to maxRows rows; it does not validate the JSON (the
// gateway's decoder does).
func (c RequestCaps) checkJSON(b []byte, maxRows int) error {
	maxDepth := 0
	if c.MaxDepth > 0 {
		maxDepth = c.MaxDepth + jsonStructureDepth
	}
	// The rows array may be as long as --max-rows.
	maxValues, maxElements := c.MaxValues, c.MaxListElements
	if maxValues > 0 {
		maxValues += jsonValuesPerRow*maxRows + jsonValuesPerRequest
	}
	if maxElements > 0 {
		maxElements = max(maxElements, maxRows)
	}
	var (
		values, depth int
		inString, esc bool
		// elements counts the elements of the open arrays (0 for an open
		// object), up to the depth allowed.
		elements  [256]int
		valueOpen bool // a scalar value is being read
		expectKey bool // the next string is an object's key, not a value
	)
	value := func() error {
		values++
		if maxValues > 0 && values > maxValues {
			return capStatus(codes.ResourceExhausted, ReasonTooManyValues, "max-request-values", c.MaxValues,
				fmt.Sprintf("the request holds more than %d values (--max-request-values)", c.MaxValues))
		}
		if depth > 0 && depth <= len(elements) && elements[depth-1] > 0 {
			elements[depth-1]++
			if maxElements > 0 && elements[depth-1]-1 > maxElements {
				return capStatus(codes.ResourceExhausted, ReasonListTooLong, "max-list-elements", c.MaxListElements,
					fmt.Sprintf("a list value of the request has more than %d elements (--max-list-elements)", c.MaxListElements))
			}
		}
		return nil
	}
	for _, ch := range b {
		if inString {
			switch {
			case esc:
				esc = false
			case ch == '\\':
				esc = true
			case ch == '"':
				inString = false
			}
			continue
		}
		switch ch {
		case ' ', '\t', '\n', '\r':
			valueOpen = false
		case ':':
			valueOpen, expectKey = false, false
		case ',':
			valueOpen = false
			expectKey = depth > 0 && depth <= len(elements) && elements[depth-1] == 0
		case '"':
			inString = true
			if expectKey {
				expectKey = false
				continue
			}
			if err := value(); err != nil {
				return err
			}
		case '[', '{':
			valueOpen = false
			if err := value(); err != nil {
				return err
			}
			depth++
			if maxDepth > 0 && depth > maxDepth || depth > len(elements) {
				return capStatus(codes.InvalidArgument, ReasonTooDeep, "max-value-depth", c.MaxDepth,
					fmt.Sprintf("the request's values nest more than %d deep (--max-value-depth)", c.MaxDepth))
			}
			elements[depth-1], expectKey = 0, ch == '{'
			if ch == '[' {
				elements[depth-1] = 1 // an array: count its elements from 1
			}
		case ']', '}':
			valueOpen, expectKey = false, false
			if depth > 0 {
				depth--
			}
		default:
			if !valueOpen { // a number, true, false or null begins
				valueOpen = true
				if err := value(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// limitBody refuses a body over the gRPC message limit — with 413 when
// its length is declared, and as a read error (400) when it is not — and
// a JSON body over the request caps, before the gateway decodes it.
func limitBody(gw *runtime.ServeMux, limit int64, caps RequestCaps, maxRows int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			// Read (a bounded part of) what the client is sending before
			// answering, or it may see a reset connection, not the 413.
			_, _ = io.CopyN(io.Discard, r.Body, limit)
			st := newStatus(codes.ResourceExhausted, fmt.Sprintf("request body of %d bytes; at most %d", r.ContentLength, limit))
			writeStatus(w, http.StatusRequestEntityTooLarge, st)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		var buf bytes.Buffer
		if r.ContentLength > 0 {
			buf.Grow(int(r.ContentLength))
		}
		if _, err := buf.ReadFrom(r.Body); err != nil {
			st := newStatus(codes.ResourceExhausted, fmt.Sprintf("request body over %d bytes, or not read whole: %v", limit, err))
			writeStatus(w, http.StatusRequestEntityTooLarge, st)
			return
		}
		if err := caps.checkJSON(buf.Bytes(), maxRows); err != nil {
			_, out := runtime.MarshalerForRequest(gw, r)
			gatewayError(r.Context(), gw, out, w, r, err)
			return
		}
		r.Body = io.NopCloser(&buf)
		next.ServeHTTP(w, r)
	})
}

// writeStatus writes a status as the gateway's JSON error body.
func writeStatus(w http.ResponseWriter, code int, st *status.Status) {
	body, _ := protojson.Marshal(st.Proto())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(body)
}
