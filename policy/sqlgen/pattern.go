package sqlgen

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A pattern operator arrives as the Go (RE2) regular expression the Rego
// evaluates. It is parsed with the flags regexp.Compile uses and rendered
// from the parse tree:
//
//   - an anchored sequence of literals, single characters (. with s) and
//     runs (.* with s) is a LIKE pattern (PostgreSQL, MySQL) or a GLOB
//     pattern (SQLite); case folding (i) goes into GLOB character classes,
//     and to a regular expression in PostgreSQL and MySQL;
//   - anything else is printed as a regular expression in the dialect's
//     syntax (PostgreSQL ARE, MySQL ICU / MariaDB PCRE2) with every
//     construct spelled out, so that flags, newline handling, case folding
//     and word boundaries mean exactly what they mean in Go.

// likeItem is one element of a LIKE-shaped pattern.
type likeItem struct {
	kind  int // itemLit, itemOne, itemAny
	runes []rune
	fold  bool
}

const (
	itemLit = iota + 1
	itemOne
	itemAny
)

// parseRegex parses a regular expression as regexp.Compile does.
func parseRegex(re string) (*syntax.Regexp, error) {
	x, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return nil, err
	}
	return x.Simplify(), nil
}

// likeShape returns the items of an anchored LIKE-shaped expression, and
// whether any literal folds case; ok is false for other expressions.
func likeShape(x *syntax.Regexp) (items []likeItem, fold, ok bool) {
	if x.Op != syntax.OpConcat || len(x.Sub) < 2 ||
		x.Sub[0].Op != syntax.OpBeginText || x.Sub[len(x.Sub)-1].Op != syntax.OpEndText {
		return nil, false, false
	}
	for _, s := range x.Sub[1 : len(x.Sub)-1] {
		switch {
		case s.Op == syntax.OpLiteral:
			f := s.Flags&syntax.FoldCase != 0
			if f {
				for _, r := range s.Rune {
					if len(orbit(r)) > 1 {
						fold = true
					}
				}
			}
			items = append(items, likeItem{kind: itemLit, runes: s.Rune, fold: f})
		case s.Op == syntax.OpAnyChar:
			items = append(items, likeItem{kind: itemOne})
		case s.Op == syntax.OpStar && s.Sub[0].Op == syntax.OpAnyChar:
			items = append(items, likeItem{kind: itemAny})
		default:
			return nil, false, false
		}
	}
	return items, fold, true
}

// orbit returns the runes that match r under case folding, r first.
func orbit(r rune) []rune {
	out := []rune{r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		out = append(out, f)
	}
	return out
}

// likePattern renders LIKE-shaped items without case folding as a LIKE
// pattern with escape character esc.
func likePattern(items []likeItem, esc rune) string {
	var b strings.Builder
	for _, it := range items {
		switch it.kind {
		case itemOne:
			b.WriteByte('_')
		case itemAny:
			b.WriteByte('%')
		case itemLit:
			for _, r := range it.runes {
				if r == '%' || r == '_' || r == esc {
					b.WriteRune(esc)
				}
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// globPattern renders LIKE-shaped items as a SQLite GLOB pattern; folded
// letters become classes of their case orbit.
func globPattern(items []likeItem) string {
	var b strings.Builder
	for _, it := range items {
		switch it.kind {
		case itemOne:
			b.WriteByte('?')
		case itemAny:
			b.WriteByte('*')
		case itemLit:
			for _, r := range it.runes {
				var set []rune
				if it.fold {
					set = orbit(r)
				}
				switch {
				case len(set) > 1:
					b.WriteString(globClass(set))
				case r == '*' || r == '?' || r == '[':
					b.WriteString("[" + string(r) + "]")
				default:
					b.WriteRune(r)
				}
			}
		}
	}
	return b.String()
}

// globClass renders a set of runes as a GLOB class: ']' first, '-' last,
// '^' not first.
func globClass(set []rune) string {
	var first, mid, last strings.Builder
	for _, r := range set {
		switch r {
		case ']':
			first.WriteRune(r)
		case '-':
			last.WriteRune(r)
		default:
			mid.WriteRune(r)
		}
	}
	s := first.String() + mid.String() + last.String()
	if strings.HasPrefix(s, "^") {
		s = s[1:] + "^"
	}
	return "[" + s + "]"
}

// regexFlavor is a dialect's regular expression syntax.
type regexFlavor struct {
	d Dialect
}

// wordClass is RE2's \w: ASCII word characters.
const wordClass = "[0-9A-Za-z_]"

// print renders x in the dialect's regular expression syntax.
func (f regexFlavor) print(x *syntax.Regexp) (string, error) {
	var b strings.Builder
	if err := f.write(&b, x); err != nil {
		return "", err
	}
	return b.String(), nil
}

func (f regexFlavor) write(b *strings.Builder, x *syntax.Regexp) error {
	group := func(s *syntax.Regexp, suffix string) error {
		b.WriteString("(?:")
		if err := f.write(b, s); err != nil {
			return err
		}
		b.WriteString(")" + suffix)
		return nil
	}
	pg := f.d == Postgres
	switch x.Op {
	case syntax.OpNoMatch:
		if pg {
			// No text character is NUL, so this class never matches.
			b.WriteString(`[\u0000]`)
			return nil
		}
		b.WriteString("(?!)")
	case syntax.OpEmptyMatch:
		b.WriteString("(?:)")
	case syntax.OpLiteral:
		for _, r := range x.Rune {
			if x.Flags&syntax.FoldCase != 0 {
				if set := orbit(r); len(set) > 1 {
					ranges := make([]rune, 0, 2*len(set))
					for _, s := range set {
						ranges = append(ranges, s, s)
					}
					f.class(b, ranges)
					continue
				}
			}
			f.literal(b, r)
		}
	case syntax.OpCharClass:
		if len(x.Rune) == 0 {
			return f.write(b, &syntax.Regexp{Op: syntax.OpNoMatch})
		}
		f.class(b, x.Rune)
	case syntax.OpAnyCharNotNL:
		b.WriteString(`[^\n]`)
	case syntax.OpAnyChar:
		if pg {
			b.WriteString(".") // not newline-sensitive: . matches \n
		} else {
			b.WriteString("(?s:.)")
		}
	case syntax.OpBeginLine:
		// Not PCRE's (?m)^, which does not match after a final newline.
		b.WriteString(`(?:^|(?<=\n))`)
	case syntax.OpEndLine:
		if pg {
			b.WriteString(`(?:$|(?=\n))`)
		} else {
			b.WriteString(`(?:\z|(?=\n))`)
		}
	case syntax.OpBeginText:
		b.WriteString("^")
	case syntax.OpEndText:
		if pg {
			b.WriteString("$")
		} else {
			b.WriteString(`\z`) // PCRE's $ also matches before a final newline
		}
	case syntax.OpWordBoundary:
		b.WriteString("(?:(?<=" + wordClass + ")(?!" + wordClass + ")|(?<!" + wordClass + ")(?=" + wordClass + "))")
	case syntax.OpNoWordBoundary:
		b.WriteString("(?:(?<=" + wordClass + ")(?=" + wordClass + ")|(?<!" + wordClass + ")(?!" + wordClass + "))")
	case syntax.OpCapture:
		return group(x.Sub[0], "")
	case syntax.OpStar:
		return group(x.Sub[0], "*")
	case syntax.OpPlus:
		return group(x.Sub[0], "+")
	case syntax.OpQuest:
		return group(x.Sub[0], "?")
	case syntax.OpRepeat:
		if x.Max > 255 || x.Min > 255 {
			return fmt.Errorf("a repetition count above 255")
		}
		if x.Max < 0 {
			return group(x.Sub[0], fmt.Sprintf("{%d,}", x.Min))
		}
		return group(x.Sub[0], fmt.Sprintf("{%d,%d}", x.Min, x.Max))
	case syntax.OpConcat:
		for _, s := range x.Sub {
			if err := f.write(b, s); err != nil {
				return err
			}
		}
	case syntax.OpAlternate:
		b.WriteString("(?:")
		for i, s := range x.Sub {
			if i > 0 {
				b.WriteString("|")
			}
			if err := f.write(b, s); err != nil {
				return err
			}
		}
		b.WriteString(")")
	default:
		return fmt.Errorf("regular expression construct %v", x.Op)
	}
	return nil
}

func isAlnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// literal writes one character matched literally.
func (f regexFlavor) literal(b *strings.Builder, r rune) {
	switch {
	case isAlnum(r):
		b.WriteRune(r)
	case r < utf8.RuneSelf && r > ' ' && r != 0x7f:
		b.WriteByte('\\')
		b.WriteRune(r)
	default:
		f.escape(b, r)
	}
}

// escape writes a character as a numeric escape.
func (f regexFlavor) escape(b *strings.Builder, r rune) {
	if f.d == Postgres {
		if r <= 0xFFFF {
			fmt.Fprintf(b, `\u%04X`, r)
		} else {
			fmt.Fprintf(b, `\U%08X`, r)
		}
		return
	}
	fmt.Fprintf(b, `\x{%X}`, r)
}

// class writes a character class of lo-hi pairs.
func (f regexFlavor) class(b *strings.Builder, ranges []rune) {
	b.WriteByte('[')
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		f.classChar(b, lo)
		if hi != lo {
			b.WriteByte('-')
			f.classChar(b, hi)
		}
	}
	b.WriteByte(']')
}

func (f regexFlavor) classChar(b *strings.Builder, r rune) {
	if isAlnum(r) {
		b.WriteRune(r)
		return
	}
	f.escape(b, r)
}
