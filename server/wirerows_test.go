package server

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/policy/engine"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// randomValue is a column value as callers send them, and as they should
// not: numbers of every size, strings that are and are not numbers or
// times, nulls, objects and lists (related rows), nested a few levels.
func randomValue(r *rand.Rand, depth int) any {
	n := 9
	if depth > 2 {
		n = 7
	}
	switch r.IntN(n) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return []float64{0, 1, 2, -1, 1.5, 1 << 53, 1<<53 + 2, 9.2e18, math.Inf(1), math.NaN(), 0.1}[r.IntN(11)]
	case 3:
		return float64(r.IntN(10))
	case 4:
		return []string{"", "t", "1", "9223372036854775807", "9223372036854775808", "-3", "2024-01-01T00:00:00Z", "x\u00e9\u6f22", "true", "null"}[r.IntN(10)]
	case 5, 6:
		return randomString(r)
	case 7:
		m := map[string]any{}
		for range r.IntN(4) {
			m[randomKey(r)] = randomValue(r, depth+1)
		}
		return m
	}
	l := make([]any, r.IntN(4))
	for i := range l {
		l[i] = randomValue(r, depth+1)
	}
	return l
}

func randomString(r *rand.Rand) string {
	b := make([]rune, r.IntN(6))
	for i := range b {
		b[i] = rune('a' + r.IntN(26))
	}
	return string(b)
}

// articleColumns are the example's articles columns and relationships,
// and names it does not have.
var articleColumns = []string{"id", "org_id", "author_id", "title", "body", "published", "created_at", "author", "comments", "organisation", "nope", ""}

func randomKey(r *rand.Rand) string { return articleColumns[r.IntN(len(articleColumns))] }

// randomRequest is a Check of the example's articles with random rows:
// values, sometimes new_values, values_json and json_nulls.
func randomRequest(r *rand.Rand) *wardenv1.CheckRequest {
	ops := []wardenv1.Operation{wardenv1.Operation_OPERATION_SELECT, wardenv1.Operation_OPERATION_INSERT,
		wardenv1.Operation_OPERATION_UPDATE, wardenv1.Operation_OPERATION_DELETE}
	req := &wardenv1.CheckRequest{
		Principal: &wardenv1.Principal{Role: []string{"user", "editor", "anonymous"}[r.IntN(3)],
			SessionVariables: map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}},
		Table: "articles", Operation: ops[r.IntN(len(ops))],
	}
	row := func() *structpb.Struct {
		m := map[string]any{"id": float64(r.IntN(9)), "org_id": float64(1 + r.IntN(2)), "author_id": float64(1 + r.IntN(3)),
			"published": r.IntN(2) == 0, "title": "t", "created_at": "2024-01-01T00:00:00Z"}
		for range r.IntN(3) {
			k := randomKey(r)
			if r.IntN(2) == 0 {
				k = articleColumns[r.IntN(7)] // a column, not a relationship
			}
			if r.IntN(3) == 0 {
				delete(m, k)
			} else {
				m[k] = randomValue(r, 1)
			}
		}
		s, err := structpb.NewStruct(m)
		if err != nil {
			panic(err)
		}
		return s
	}
	// The principal, decoded on the fast path too: now and then none, a
	// variable more or fewer, a name in capitals, backend-only.
	switch r.IntN(8) {
	case 0:
		req.Principal = nil
	case 1:
		req.Principal.SessionVariables["X-Hasura-Team"] = randomKey(r)
	case 2:
		delete(req.Principal.SessionVariables, "x-hasura-org-id")
	case 3:
		req.Principal.UseBackendOnlyPermissions = true
	case 4:
		req.Principal.SessionVariables = nil
	}
	// Mostly valid requests, so that most reach the engine; now and then
	// a mistake validation refuses.
	update := req.GetOperation() == wardenv1.Operation_OPERATION_UPDATE
	for i := range 1 + r.IntN(4) {
		w := &wardenv1.Row{Id: fmt.Sprintf("r%d", i)}
		if r.IntN(20) == 0 {
			w.Id = "r0"
		}
		if r.IntN(30) != 0 {
			w.Values = row()
		}
		if update && r.IntN(2) == 0 || r.IntN(30) == 0 {
			w.NewValues = row()
		}
		for range r.IntN(2) {
			if w.ValuesJson == nil {
				w.ValuesJson = map[string]string{}
			}
			w.ValuesJson[randomKey(r)] = []string{"1", "null", `{"a": 9223372036854775807}`, `"t"`, "[1,", "true"}[r.IntN(6)]
		}
		if (update || r.IntN(20) == 0) && r.IntN(3) == 0 {
			w.NewValuesJson = map[string]string{randomKey(r): "2"}
		}
		for range r.IntN(3) / 2 {
			w.JsonNulls = append(w.JsonNulls, []string{"values.body", "values.title", "new_values.body", "values.author.name", "values.comments[0].body", "values"}[r.IntN(6)])
		}
		req.Rows = append(req.Rows, w)
	}
	return req
}

// decodeBoth decodes b through the codec armed, as a unary call is, with
// the fast path off and on.
func decodeBoth(t *testing.T, b []byte) (whole, fast *wardenv1.CheckRequest, slotWhole, slotFast *decodeSlot) {
	t.Helper()
	decode := func(structRows bool) (*wardenv1.CheckRequest, *decodeSlot) {
		c := newHoldingCodec(DefaultConfig().requestCaps())
		c.structRows.Store(structRows)
		req, slot := new(wardenv1.CheckRequest), &decodeSlot{}
		c.armed.Store(req, slot)
		defer c.armed.Delete(req)
		// protobuf's decoding reads one buffer in place; the fast path
		// gets the bytes in up to three buffers, as a message over
		// several HTTP/2 frames arrives (copied into one, contiguous).
		data := mem.BufferSlice{mem.SliceBuffer(b)}
		if !structRows && len(b) >= 3 {
			data = mem.BufferSlice{mem.SliceBuffer(b[:len(b)/3]), mem.SliceBuffer(b[len(b)/3 : 2*len(b)/3]), mem.SliceBuffer(b[2*len(b)/3:])}
		}
		if err := c.Unmarshal(data, req); err != nil {
			t.Fatalf("an armed message never fails: %v", err)
		}
		return req, slot
	}
	whole, slotWhole = decode(true)
	fast, slotFast = decode(false)
	return whole, fast, slotWhole, slotFast
}

// sameRequest fails unless the fast path decoded b as protobuf does: the
// same message once the rows' Structs are set aside, and each row's values
// as Struct.AsMap gives them.
func sameRequest(t *testing.T, b []byte) (taken bool) {
	t.Helper()
	whole, fast, sw, sf := decodeBoth(t, b)
	if sw.rows != nil {
		t.Fatal("wire rows with the fast path off")
	}
	if (sw.err == nil) != (sf.err == nil) || sw.err != nil && sw.err.Error() != sf.err.Error() {
		t.Fatalf("decoding errors differ: %v and %v", sw.err, sf.err)
	}
	if sf.rows == nil {
		if !proto.Equal(whole, fast) {
			t.Fatalf("the fallback decoded otherwise:\n%v\n%v", whole, fast)
		}
		return false
	}
	stripped := proto.Clone(whole).(*wardenv1.CheckRequest)
	for _, r := range stripped.GetRows() {
		r.Values, r.NewValues = nil, nil
	}
	if diff := cmp.Diff(stripped, fast, protocmp.Transform()); diff != "" {
		t.Fatalf("the request without values differs (-protobuf +fast):\n%s", diff)
	}
	if len(sf.rows.rows) != len(whole.GetRows()) {
		t.Fatalf("%d wire rows for %d rows", len(sf.rows.rows), len(whole.GetRows()))
	}
	for i, r := range whole.GetRows() {
		var want, wantNew map[string]any
		if r.GetValues() != nil {
			want = r.GetValues().AsMap()
		}
		if r.GetNewValues() != nil {
			wantNew = r.GetNewValues().AsMap()
		}
		got := sf.rows.rows[i]
		values, err := objectMap(got.values)
		if err != nil {
			t.Fatalf("rows[%d].values: %v", i, err)
		}
		newValues, err := objectMap(got.newValues)
		if err != nil {
			t.Fatalf("rows[%d].new_values: %v", i, err)
		}
		if diff := cmp.Diff(want, values, cmpopts.EquateNaNs()); diff != "" || (want == nil) != (got.values == nil) {
			t.Fatalf("rows[%d].values (-protobuf +fast):\n%s", i, diff)
		}
		if diff := cmp.Diff(wantNew, newValues, cmpopts.EquateNaNs()); diff != "" || (wantNew == nil) != (got.newValues == nil) {
			t.Fatalf("rows[%d].new_values (-protobuf +fast):\n%s", i, diff)
		}
	}
	return true
}

// sameCheck fails unless validation, the engine's input and the answer
// are the same from both decodings of b.
// It returns how far the request went: "decode", "validation", "input"
// or "engine".
func sameCheck(t *testing.T, set *engine.Set, b []byte) string {
	t.Helper()
	whole, fast, sw, sf := decodeBoth(t, b)
	if sw.err != nil || sf.err != nil {
		return "decode"
	}
	lim := Limits{MaxRows: 100, StatedSession: true}
	errW, errF := validateRequest(whole, lim, nil), validateRequest(fast, lim, sf.rows)
	sameStatus(t, "validation", errW, errF)
	if errW != nil {
		return "validation"
	}
	sess := SessionFromPrincipal(whole.GetPrincipal())
	inW, errW := checkInput(whole, sess, nil)
	inF, errF := checkInput(fast, sess, sf.rows)
	sameStatus(t, "input", errW, errF)
	if errW != nil {
		return "input"
	}
	if diff := cmp.Diff(inW, plainInput(inF), cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("engine input (-protobuf +fast):\n%s", diff)
	}
	resW, errW := set.Check(context.Background(), inW)
	resF, errF := set.Check(context.Background(), inF)
	if fmt.Sprint(errW) != fmt.Sprint(errF) {
		t.Fatalf("engine errors differ: %v and %v", errW, errF)
	}
	if diff := cmp.Diff(resW, resF); diff != "" {
		t.Fatalf("decisions (-protobuf +fast):\n%s", diff)
	}
	// The decision log reads the values as sent.
	for i := range whole.GetRows() {
		for _, col := range articleColumns {
			vw, okW := requestRows{whole.GetRows(), nil}.Value(i, col)
			vf, okF := requestRows{fast.GetRows(), sf.rows}.Value(i, col)
			if okW != okF || !cmp.Equal(vw, vf, cmpopts.EquateNaNs()) {
				t.Fatalf("logged rows[%d].%s: %v, %v and %v, %v", i, col, vw, okW, vf, okF)
			}
		}
	}
	if errW != nil {
		return "engine error"
	}
	return "engine"
}

func sameStatus(t *testing.T, what string, a, b error) {
	t.Helper()
	if (a == nil) != (b == nil) {
		t.Fatalf("%s: %v and %v", what, a, b)
	}
	if a == nil {
		return
	}
	if diff := cmp.Diff(status.Convert(a).Proto(), status.Convert(b).Proto(), protocmp.Transform()); diff != "" {
		t.Fatalf("%s: statuses differ (-protobuf +fast):\n%s", what, diff)
	}
}

// TestWireRowsRandom decodes random Checks both ways: the fast path takes
// every one protobuf's Marshal writes, and validation, the engine's input,
// the decisions and what the decision log reads are the same.
func TestWireRowsRandom(t *testing.T) {
	set := exampleSet(t)
	r := rand.New(rand.NewPCG(1, 2))
	reached := map[string]int{}
	for i := range 2000 {
		req := randomRequest(r)
		b, err := proto.MarshalOptions{Deterministic: i%2 == 0}.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 && req.GetPrincipal() != nil {
			// The session in a segment of its own, as wardenbench sends
			// it: the principal given twice, merged.
			vars, err := proto.Marshal(&wardenv1.CheckRequest{Principal: &wardenv1.Principal{SessionVariables: req.GetPrincipal().GetSessionVariables()}})
			if err != nil {
				t.Fatal(err)
			}
			rest := proto.Clone(req).(*wardenv1.CheckRequest)
			rest.Principal.SessionVariables = nil
			body, err := proto.Marshal(rest)
			if err != nil {
				t.Fatal(err)
			}
			b = append(vars, body...)
		}
		if !sameRequest(t, b) {
			t.Fatalf("the fast path did not take a request protobuf wrote: %v", req)
		}
		reached[sameCheck(t, set, b)]++
	}
	// Each stage is compared on many requests, refused and decided.
	t.Logf("requests by the stage they reached: %v", reached)
	for _, stage := range []string{"validation", "engine error", "engine"} {
		if reached[stage] < 50 {
			t.Errorf("only %d requests reached %s", reached[stage], stage)
		}
	}
}

// TestWireRowsEdgeCases are wire forms protobuf's Marshal does not
// write: the fast path either reads them as protobuf does or leaves them
// to it.
func TestWireRowsEdgeCases(t *testing.T) {
	tag := protowire.AppendTag
	bytesField := func(b []byte, num protowire.Number, v []byte) []byte {
		return protowire.AppendBytes(tag(b, num, protowire.BytesType), v)
	}
	entry := func(k string, v []byte) []byte {
		return bytesField(bytesField(nil, 1, []byte(k)), 2, v)
	}
	str := func(s string) []byte { return bytesField(nil, 3, []byte(s)) }
	num := func(f float64) []byte {
		return protowire.AppendFixed64(tag(nil, 2, protowire.Fixed64Type), math.Float64bits(f))
	}
	row := func(fields ...[]byte) []byte {
		b := bytesField(nil, 1, []byte("a"))
		for _, f := range fields {
			b = append(b, f...)
		}
		return bytesField([]byte{0x12, 1, 't'}, checkRequestRows, b) // table "t"
	}
	values := func(entries ...[]byte) []byte {
		var s []byte
		for _, e := range entries {
			s = bytesField(s, structFields, e)
		}
		return bytesField(nil, rowValues, s)
	}
	unknownVarint := protowire.AppendVarint(tag(nil, 99, protowire.VarintType), 7)
	principal := func(fields ...[]byte) []byte {
		var b []byte
		for _, f := range fields {
			b = append(b, f...)
		}
		return bytesField(row(values(entry("id", num(1)))), checkRequestPrincipal, b)
	}
	varEntry := func(k, v string) []byte {
		return bytesField(nil, principalSession, bytesField(bytesField(nil, mapEntryKey, []byte(k)), mapEntryValue, []byte(v)))
	}
	cases := map[string]struct {
		b    []byte
		fast bool // the fast path takes it
	}{
		"a key given twice: the last wins":      {row(values(entry("id", num(1)), entry("id", num(2)))), true},
		"an entry without a value is null":      {row(values(bytesField(nil, 1, []byte("id")))), true},
		"an entry without a key":                {row(values(bytesField(nil, 2, num(3)))), true},
		"a Value without a kind":                {row(values(entry("id", nil))), true},
		"empty values":                          {row(bytesField(nil, rowValues, nil)), true},
		"unknown fields everywhere":             {append(row(values(entry("id", append(num(1), unknownVarint...)), unknownVarint), unknownVarint), unknownVarint...), true},
		"values given twice: merged":            {row(values(entry("id", num(1))), values(entry("title", str("x")))), false},
		"a kind given twice":                    {row(values(entry("id", append(num(1), str("x")...)))), false},
		"a value given twice in an entry":       {row(values(append(entry("id", num(1)), bytesField(nil, 2, num(2))...))), false},
		"a number with another wire type":       {row(values(entry("id", protowire.AppendVarint(tag(nil, 2, protowire.VarintType), 1)))), false},
		"invalid UTF-8 in a string":             {row(values(entry("title", str("\xff")))), false},
		"invalid UTF-8 in a key":                {row(values(entry("\xff", num(1)))), false},
		"a key given twice, the first invalid":  {row(values(append(bytesField(nil, 1, []byte("\xff")), entry("id", num(1))...))), false},
		"invalid UTF-8 in the id":               {bytesField(nil, checkRequestRows, bytesField(bytesField(nil, 1, []byte("\xff")), rowValues, nil)), false},
		"truncated":                             {row(values(entry("id", num(1))))[:9], false},
		"rows with another wire type":           {protowire.AppendVarint(tag(nil, checkRequestRows, protowire.VarintType), 1), false},
		"values with another wire type":         {row(protowire.AppendVarint(tag(nil, rowValues, protowire.VarintType), 1)), false},
		"an unknown group":                      {append(row(values(entry("id", num(1)))), tag(tag(nil, 77, protowire.StartGroupType), 77, protowire.EndGroupType)...), true},
		"a stray end of group":                  {append(row(values(entry("id", num(1)))), tag(nil, 77, protowire.EndGroupType)...), false},
		"a null_value of any number":            {row(values(entry("body", protowire.AppendVarint(tag(nil, 1, protowire.VarintType), 12345)))), true},
		"a bool of any varint":                  {row(values(entry("published", protowire.AppendVarint(tag(nil, 4, protowire.VarintType), 300)))), true},
		"a struct value nested":                 {row(values(entry("author", bytesField(nil, 5, bytesField(nil, 1, entry("id", num(1))))))), true},
		"an empty list":                         {row(values(entry("comments", bytesField(nil, 6, nil)))), true},
		"a list with an unknown field":          {row(values(entry("comments", bytesField(nil, 6, append(bytesField(nil, 1, num(1)), unknownVarint...))))), true},
		"no rows":                               {[]byte{0x12, 1, 't'}, true},
		"a principal":                           {principal(bytesField(nil, principalRole, []byte("user")), varEntry("x-hasura-user-id", "1"), varEntry("X-Hasura-Org-Id", "2")), true},
		"an empty principal":                    {principal(), true},
		"a role given twice: the last wins":     {principal(bytesField(nil, principalRole, []byte("a")), bytesField(nil, principalRole, []byte("user"))), true},
		"a variable given twice: the last wins": {principal(varEntry("x-hasura-user-id", "1"), varEntry("x-hasura-user-id", "2")), true},
		"a variable without a value or a name":  {principal(bytesField(nil, principalSession, bytesField(nil, mapEntryKey, []byte("x-hasura-a"))), bytesField(nil, principalSession, bytesField(nil, mapEntryValue, []byte("v")))), true},
		"backend-only of any varint":            {principal(protowire.AppendVarint(tag(nil, principalBackendOnly, protowire.VarintType), 300)), true},
		"a principal given twice: merged":       {append(principal(bytesField(nil, principalRole, []byte("a")), varEntry("x-hasura-org-id", "1")), principal(varEntry("x-hasura-user-id", "1"), varEntry("x-hasura-org-id", "2"))...), true},
		"the second principal's role wins":      {append(principal(bytesField(nil, principalRole, []byte("a"))), principal(bytesField(nil, principalRole, []byte("b")))...), true},
		"invalid UTF-8 in the role":             {principal(bytesField(nil, principalRole, []byte("\xff"))), false},
		"invalid UTF-8 in a variable":           {principal(varEntry("x-hasura-user-id", "\xff")), false},
		"an unknown field in the principal":     {principal(unknownVarint), false},
		"a role with another wire type":         {principal(protowire.AppendVarint(tag(nil, principalRole, protowire.VarintType), 1)), false},
		"an unknown field in a variable":        {principal(bytesField(nil, principalSession, append(bytesField(nil, mapEntryKey, []byte("x-hasura-a")), unknownVarint...))), false},
		"nothing":                               {nil, true},
		// The request's scalars and plain rows are decoded without
		// protobuf; anything more goes to it.
		"an operation of any varint":                             {append(row(values(entry("id", num(1)))), protowire.AppendVarint(tag(nil, checkRequestOperation, protowire.VarintType), 1<<40+3)...), true},
		"the table given twice: the last wins":                   {append(row(values(entry("id", num(1)))), bytesField(nil, checkRequestTable, []byte("u"))...), true},
		"explain of any varint":                                  {append(row(values(entry("id", num(1)))), protowire.AppendVarint(tag(nil, checkRequestExplain, protowire.VarintType), 300)...), true},
		"invalid UTF-8 in the table":                             {append(row(values(entry("id", num(1)))), bytesField(nil, checkRequestTable, []byte("\xff"))...), false},
		"a table with another wire type":                         {append(row(values(entry("id", num(1)))), protowire.AppendVarint(tag(nil, checkRequestTable, protowire.VarintType), 1)...), true},
		"columns":                                                {append(row(values(entry("id", num(1)))), bytesField(nil, 5, []byte("id"))...), true},
		"an unknown field in the request":                        {append(row(values(entry("id", num(1)))), unknownVarint...), true},
		"a row's id given twice: the last wins":                  {row(bytesField(nil, rowID, []byte("b")), values(entry("id", num(1)))), true},
		"a row's id with another wire type":                      {row(protowire.AppendVarint(tag(nil, rowID, protowire.VarintType), 1), values(entry("id", num(1)))), true},
		"a row with json_nulls after a plain one":                {append(row(values(entry("id", num(1)))), row(bytesField(nil, 4, []byte("body")), values(entry("id", num(2))))[3:]...), true},
		"a row with values_json before a plain one":              {append(row(bytesField(nil, 5, entry("body", []byte("null"))), values(entry("id", num(2)))), row(values(entry("id", num(1))))[3:]...), true},
		"a row with an unknown field":                            {row(values(entry("id", num(1))), unknownVarint), true},
		"fields with another wire type in a struct":              {row(bytesField(nil, rowValues, protowire.AppendVarint(tag(nil, structFields, protowire.VarintType), 0))), false},
		"fields with another wire type in a second row's struct": {append(row(values(entry("id", num(1)))), row(bytesField(nil, rowValues, append(tag(nil, structFields, protowire.Fixed64Type), 0x0a, 6, 'a', 'b', 'c', 'd', 'e', 'f')))[3:]...), false},
	}
	deep := num(1)
	for range wireMaxDepth + 2 {
		deep = bytesField(nil, 6, bytesField(nil, 1, deep))
	}
	cases["deeper than the fast path reads"] = struct {
		b    []byte
		fast bool
	}{row(values(entry("comments", deep))), false}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := sameRequest(t, c.b); got != c.fast {
				t.Errorf("fast path took it: %v, want %v", got, c.fast)
			}
		})
	}
}

// capsUnderTest are tight request caps, so that random requests exceed
// each of them; the last has no depth cap: the walk's own bound on
// nesting holds then.
var capsUnderTest = []RequestCaps{
	{MaxValues: 3}, {MaxValues: 12}, {MaxListElements: 1}, {MaxListElements: 2},
	{MaxDepth: 1}, {MaxDepth: 2}, {MaxDepth: 3, MaxValues: 20, MaxListElements: 2}, {MaxValues: 100_000},
}

// sameCaps fails unless the fast path, which checks the caps as it
// decodes, refuses b for the cap RequestCaps.Check refuses it for, with
// the same status, and takes it only when Check lets it through. It
// returns how many of capsUnderTest the fast path decided (took or
// refused) rather than left to the whole walk.
func sameCaps(t *testing.T, b []byte) (decided int) {
	t.Helper()
	md := (&wardenv1.CheckRequest{}).ProtoReflect().Descriptor()
	for _, caps := range capsUnderTest {
		want := caps.Check(b, md)
		_, ok, got := decodeCheckWire(b, new(wardenv1.CheckRequest), caps)
		if ok && got != nil {
			t.Fatalf("caps %+v: taken and refused (%v)", caps, got)
		}
		if !ok && got == nil {
			continue // left to the whole walk and protobuf
		}
		decided++
		if (want == nil) != (got == nil) || want != nil && cmp.Diff(status.Convert(want).Proto(), status.Convert(got).Proto(), protocmp.Transform()) != "" {
			t.Fatalf("caps %+v: the fast path says %v, RequestCaps.Check %v", caps, got, want)
		}
	}
	return decided
}

// TestWireRowsChecksTheCaps: on random requests and on deep ones, the
// fast path refuses as RequestCaps.Check does, and decides most of them
// itself.
func TestWireRowsChecksTheCaps(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	decided, refused := 0, 0
	var inputs [][]byte
	for range 300 {
		b, err := proto.Marshal(randomRequest(r))
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, b)
	}
	// Nested lists and objects 30 to 40 deep: past the walk's bound on
	// nesting with no depth cap, within the fast path's.
	for depth := 30; depth <= 40; depth++ {
		for _, obj := range []bool{false, true} {
			v := structpb.NewNumberValue(1)
			for range depth {
				if obj {
					v = structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{"a": v}})
				} else {
					v = structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{v}})
				}
			}
			b, err := proto.Marshal(&wardenv1.CheckRequest{Table: "articles", Rows: []*wardenv1.Row{{Id: "a", Values: &structpb.Struct{Fields: map[string]*structpb.Value{"x": v}}}}})
			if err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, b)
		}
	}
	md := (&wardenv1.CheckRequest{}).ProtoReflect().Descriptor()
	for _, b := range inputs {
		decided += sameCaps(t, b)
		for _, caps := range capsUnderTest {
			if caps.Check(b, md) != nil {
				refused++
			}
		}
	}
	total := len(inputs) * len(capsUnderTest)
	t.Logf("%d of %d decided by the fast path, %d refused", decided, total, refused)
	if decided < total*9/10 || refused < total/4 || refused == total {
		t.Errorf("%d of %d decided by the fast path, %d refused: the test no longer exercises the caps", decided, total, refused)
	}
}

// FuzzWireRows holds the fast path to protobuf's decoding on any bytes:
//
//	go test ./server -run '^$' -fuzz FuzzWireRows -fuzztime 60s
func FuzzWireRows(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 40 {
		b, err := proto.Marshal(randomRequest(r))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	set := exampleSet(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeRows(b, new(wardenv1.CheckRequest), DefaultConfig().requestCaps()) // a fault fails here: the codec would recover
		sameRequest(t, b)
		sameCaps(t, b)
		sameCheck(t, set, b)
	})
}

// FuzzJSONScalar holds ParseJSONValue's scalar path to encoding/json's
// decoder: what it takes, it reads as the decoder does.
//
//	go test ./server -run '^$' -fuzz FuzzJSONScalar -fuzztime 60s
func FuzzJSONScalar(f *testing.F) {
	for _, s := range []string{"1", "-0", "0.5e-3", "1E+2", "01", "-", "1.", ".5", "1e", "9223372036854775808", " 12 ",
		"true", "false", "null", "nul", `"t"`, `"a\"b"`, `"\u00e9"`, "\"\xff\"", `"`, `""`, "\t\"x\"\n", `{"a": 1}`, "[1]", "", "1 2", "tru"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := jsonScalar(s)
		want, err := decodeJSONValue(s)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("%q: the scalar path read %#v, the decoder refuses it: %v", s, got, err)
		}
		if !cmp.Equal(got, want) {
			t.Fatalf("%q: the scalar path read %#v, the decoder %#v", s, got, want)
		}
	})
}

// TestJSONScalarTakesTheCommonForms: the scalar path is taken for the
// values a client sends most.
func TestJSONScalarTakesTheCommonForms(t *testing.T) {
	for _, s := range []string{"1", "-12", "9223372036854775807", "0.1", "1e3", "true", "false", "null", `"t"`, ` "2024-01-01T00:00:00Z" `} {
		if _, ok := jsonScalar(s); !ok {
			t.Errorf("%q: not taken", s)
		}
	}
	for _, s := range []string{"01", `"\u00e9"`, `"é"`, `{"a":1}`, "[1]", "1 2", "+1", "NaN"} {
		if _, ok := jsonScalar(s); ok {
			t.Errorf("%q: taken", s)
		}
	}
}

// TestGuardDecodesRowsFromTheWire: a unary call's request, decoded by
// the guarded handler as grpc-go decodes it, reaches validation and the
// handler with its rows' values decoded from the wire, as AsMap gives
// them.
func TestGuardDecodesRowsFromTheWire(t *testing.T) {
	codec := newHoldingCodec(DefaultConfig().requestCaps())
	g := guardRegistrar{codec: codec}
	sent := benchArticles(t, 3)
	b, err := proto.Marshal(sent)
	if err != nil {
		t.Fatal(err)
	}
	var got *wireRows
	generated := func(_ any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
		req := new(wardenv1.CheckRequest)
		if err := dec(req); err != nil {
			return nil, err
		}
		return interceptor(ctx, req, &grpc.UnaryServerInfo{}, func(ctx context.Context, req any) (any, error) {
			got = wireRowsOf(ctx, req)
			return req, nil
		})
	}
	dec := func(m any) error { return codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, m) }
	if _, err := g.guard(generated)(nil, context.Background(), dec, validationInterceptor(Limits{MaxRows: 10})); err != nil {
		t.Fatalf("refused: %v", err)
	}
	if got == nil || len(got.rows) != 3 {
		t.Fatalf("no wire rows in the handler: %+v", got)
	}
	for i, r := range sent.GetRows() {
		values, err := objectMap(got.rows[i].values)
		if err != nil {
			t.Fatalf("rows[%d]: %v", i, err)
		}
		if diff := cmp.Diff(r.GetValues().AsMap(), values); diff != "" {
			t.Errorf("rows[%d] (-sent +decoded):\n%s", i, diff)
		}
	}
}

// TestWireRowsRefusesBeforeMakingRoom: the fast path checks the caps as
// it decodes, so it must not make room for what it counted before the
// cap is reached: a list of a million two-byte elements is refused for
// its length having built about the cap's worth, not a million.
func TestWireRowsRefusesBeforeMakingRoom(t *testing.T) {
	var list []byte
	for range 1_000_000 {
		list = protowire.AppendBytes(protowire.AppendTag(list, listValueItems, protowire.BytesType), nil)
	}
	req := &wardenv1.CheckRequest{Table: "articles", Rows: []*wardenv1.Row{{Id: "a", Values: &structpb.Struct{Fields: map[string]*structpb.Value{"x": structpb.NewNullValue()}}}}}
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	// The row's one value becomes the list.
	value := protowire.AppendBytes(protowire.AppendTag(nil, valueList, protowire.BytesType), list)
	entry := protowire.AppendBytes(protowire.AppendTag(protowire.AppendBytes(protowire.AppendTag(nil, mapEntryKey, protowire.BytesType), []byte("x")), mapEntryValue, protowire.BytesType), value)
	row := protowire.AppendBytes(protowire.AppendTag(protowire.AppendBytes(protowire.AppendTag(nil, rowID, protowire.BytesType), []byte("a")), rowValues, protowire.BytesType),
		protowire.AppendBytes(protowire.AppendTag(nil, structFields, protowire.BytesType), entry))
	b = protowire.AppendBytes(protowire.AppendTag(b[:0], checkRequestRows, protowire.BytesType), row)
	caps := DefaultConfig().requestCaps()
	want := caps.Check(b, (&wardenv1.CheckRequest{}).ProtoReflect().Descriptor())
	if status.Code(want) != codes.ResourceExhausted {
		t.Fatalf("RequestCaps.Check: %v", want)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, ok, got := decodeCheckWire(b, new(wardenv1.CheckRequest), caps)
	runtime.ReadMemStats(&after)
	if ok || got == nil || got.Error() != want.Error() {
		t.Fatalf("the fast path: taken %v, %v; want %v", ok, got, want)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 2<<20 {
		t.Errorf("refusing a list of a million elements allocated %d bytes", n)
	}
}

// objectMap returns o as a map (nil for nil), after checking what the
// engine relies on: no name twice in o or in an object nested in it.
func objectMap(o engine.Object) (map[string]any, error) {
	if o == nil {
		return nil, nil
	}
	if err := distinctNames(o); err != nil {
		return nil, err
	}
	return o.Map(), nil
}

func distinctNames(v any) error {
	switch x := v.(type) {
	case engine.Object:
		seen := make(map[string]bool, len(x))
		for _, f := range x {
			if seen[f.Name] {
				return fmt.Errorf("the name %q twice in one object", f.Name)
			}
			seen[f.Name] = true
			if err := distinctNames(f.Value); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := distinctNames(e); err != nil {
				return err
			}
		}
	case map[string]any:
		return fmt.Errorf("a map where the decoder gives Objects")
	}
	return nil
}

// plainInput returns in with its rows' Objects made maps, as the engine
// reads them.
func plainInput(in engine.CheckInput) engine.CheckInput {
	rows := make([]engine.Row, len(in.Rows))
	for i, r := range in.Rows {
		rows[i] = engine.Row{ID: r.ID, Values: r.ValuesMap(), New: r.NewMap()}
	}
	in.Rows = rows
	return in
}
