package sqlgen

import (
	"fmt"
	"regexp/syntax"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// Comparisons of a lower-cased column (residual.Column.Lower: a citext
// column, which the Rego reads as lower(column)) must lower-case as Go's
// strings.ToLower does: every character on its own by Unicode's simple
// lower-case mapping. No dialect's LOWER() is that everywhere (SQLite's
// folds ASCII only; MySQL's and MariaDB's follow their collation's, often
// older, Unicode tables; PostgreSQL's follows the locale), so:
//
//   - equality and _in with values never call LOWER(): lower(c) = v holds
//     exactly when every character of c lower-cases to the character of v
//     at its place, so it is c matching a pattern whose characters are the
//     classes of the characters that lower-case to v's (k: [kKK] with
//     the Kelvin sign; i: [iIİ]). PostgreSQL and MySQL match a regular
//     expression, SQLite a GLOB per value. A value without letters compares as text, and a value no text
//     lower-cases to (one with an upper-case letter) matches nothing. This
//     is exact in every dialect, locale and collation.
//   - ordering and comparisons with another column need the lower-cased
//     text itself: PostgreSQL only, with LOWER(c COLLATE "default"), the
//     lower-casing of the citext type itself (the database's LC_CTYPE); it
//     is Go's for glibc UTF-8 locales (checked for every code point on
//     glibc 2.36's C.UTF-8), ASCII-only for the C and POSIX locales, and
//     differs for ICU locales (İ, and a final Σ). MySQL and SQLite report
//     an UnsupportedError.

// lowerInverse maps a character to the other characters that lower-case to
// it (k: K and the Kelvin sign).
var lowerInverse = sync.OnceValue(func() map[rune][]rune {
	m := map[rune][]rune{}
	// Every character unicode.ToLower changes lies in a case range.
	for _, cr := range unicode.CaseRanges {
		for r := rune(cr.Lo); r <= rune(cr.Hi); r++ {
			if l := unicode.ToLower(r); l != r {
				m[l] = append(m[l], r)
			}
		}
	}
	for _, rs := range m {
		sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
	}
	return m
})

// lowerPreimage returns the characters unicode.ToLower maps to c, c first
// when it is one of them; none when c is not lower case.
func lowerPreimage(c rune) []rune {
	var out []rune
	if unicode.ToLower(c) == c {
		out = append(out, c)
	}
	return append(out, lowerInverse()[c]...)
}

// lowerSets returns, per character of s, the characters that lower-case to
// it; ok is false when some character has none (no text lower-cases to s),
// plain is true when every set is the character alone (text lower-cases to
// s only if it is s).
func lowerSets(s string) (sets [][]rune, ok, plain bool) {
	plain = true
	for _, c := range s {
		set := lowerPreimage(c)
		if len(set) == 0 {
			return nil, false, false
		}
		if len(set) > 1 {
			plain = false
		}
		sets = append(sets, set)
	}
	return sets, true, plain
}

// lowerEquality renders lower(c) = v (neg: <>) or lower(c) IN values for a
// lower-cased column: as a plain text comparison when no value has a
// letter, else as a pattern match (see above).
func (w *work) lowerEquality(c residual.Column, f *frame, values []any, neg, in bool) error {
	var matchable []string
	var sets [][][]rune
	plain := true
	for _, v := range values {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("sqlgen: %v (%T) compared with lower(%s) is not text", v, v, c.Name)
		}
		ss, ok, p := lowerSets(s)
		if !ok {
			continue // no text lower-cases to s
		}
		matchable = append(matchable, s)
		sets = append(sets, ss)
		plain = plain && p
	}
	c.Lower = false
	switch {
	case len(matchable) == 0 && neg:
		// lower(c) <> v for every text.
		return w.expr(residual.Not{Item: residual.IsNull{Column: c}}, f, nil)
	case len(matchable) == 0:
		w.b.WriteString("FALSE")
		return nil
	case plain && in:
		list := make([]any, len(matchable))
		for i, s := range matchable {
			list[i] = s
		}
		return w.in(residual.In{Column: c, List: residual.Value{V: list, Kind: model.KindText}}, f)
	case plain:
		op := residual.Eq
		if neg {
			op = residual.Neq
		}
		return w.compare(residual.Compare{Op: op, Left: c, Right: residual.Value{V: matchable[0], Kind: model.KindText}}, f)
	}
	ref, mc, err := w.colRef(c, f)
	if err != nil {
		return err
	}
	if neg {
		w.b.WriteString("NOT (")
	}
	switch w.d {
	case SQLite:
		if len(sets) > 1 {
			w.b.WriteString("(")
		}
		for i, ss := range sets {
			if i > 0 {
				w.b.WriteString(" OR ")
			}
			w.b.WriteString(ref + " GLOB " + w.rawParam(lowerGlob(ss), ""))
		}
		if len(sets) > 1 {
			w.b.WriteString(")")
		}
	default:
		text, err := regexFlavor{d: w.d}.print(lowerRegex(sets))
		if err != nil {
			return err
		}
		if w.d == Postgres {
			if mc.Type.Fold {
				ref += "::text" // citext's ~ ignores case
			}
			w.b.WriteString(ref + " ~ " + w.rawParam(text, "text"))
		} else {
			w.b.WriteString(ref + " COLLATE utf8mb4_bin REGEXP " + w.rawParam(text, ""))
		}
	}
	if neg {
		w.b.WriteString(")")
	}
	return nil
}

// lowerRegex is the anchored regular expression matching the texts that
// lower-case to one of the values given as character sets.
func lowerRegex(values [][][]rune) *syntax.Regexp {
	alts := make([]*syntax.Regexp, len(values))
	for i, sets := range values {
		seq := &syntax.Regexp{Op: syntax.OpConcat}
		for _, set := range sets {
			if len(set) == 1 {
				seq.Sub = append(seq.Sub, &syntax.Regexp{Op: syntax.OpLiteral, Rune: set})
				continue
			}
			ranges := make([]rune, 0, 2*len(set))
			for _, r := range set {
				ranges = append(ranges, r, r)
			}
			seq.Sub = append(seq.Sub, &syntax.Regexp{Op: syntax.OpCharClass, Rune: ranges})
		}
		if len(seq.Sub) == 0 {
			seq = &syntax.Regexp{Op: syntax.OpEmptyMatch}
		}
		alts[i] = seq
	}
	body := alts[0]
	if len(alts) > 1 {
		body = &syntax.Regexp{Op: syntax.OpAlternate, Sub: alts}
	}
	return &syntax.Regexp{Op: syntax.OpConcat, Sub: []*syntax.Regexp{
		{Op: syntax.OpBeginText}, body, {Op: syntax.OpEndText},
	}}
}

// lowerGlob is the GLOB pattern matching the texts that lower-case to the
// value given as character sets.
func lowerGlob(sets [][]rune) string {
	var b strings.Builder
	for _, set := range sets {
		switch r := set[0]; {
		case len(set) > 1:
			b.WriteString(globClass(set))
		case r == '*' || r == '?' || r == '[':
			b.WriteString("[" + string(r) + "]")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lowerSupport says whether a dialect can render a comparison that needs
// the lower-cased text itself (an ordering, or a comparison with another
// column); op names the operator for the error.
func lowerSupport(d Dialect, op string) *UnsupportedError {
	switch d {
	case MySQL:
		return &UnsupportedError{Op: op + " on citext", Dialect: d, Reason: "it needs the lower-cased text, and LOWER() maps case by the collation's Unicode tables, " +
			"which differ from Go's strings.ToLower for hundreds of characters (_eq, _neq, _in and _nin on citext are rendered exactly)"}
	case SQLite:
		return &UnsupportedError{Op: op + " on citext", Dialect: d, Reason: "it needs the lower-cased text, and SQLite's lower() folds ASCII letters only " +
			"(_eq, _neq, _in and _nin on citext are rendered exactly)"}
	}
	return nil
}

// cmpOpName names a residual comparison as the Hasura operator (a column
// comparison as its _c twin).
func cmpOpName(x residual.Compare) string {
	if _, ok := x.Right.(residual.Column); ok {
		return "_c" + cmpOpNames[x.Op]
	}
	return "_" + cmpOpNames[x.Op]
}

var cmpOpNames = map[residual.CmpOp]string{
	residual.Eq: "eq", residual.Neq: "neq", residual.Lt: "lt", residual.Lte: "lte", residual.Gt: "gt", residual.Gte: "gte",
}
