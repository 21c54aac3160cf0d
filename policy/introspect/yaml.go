package introspect

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteSchema writes tables, and the functions computed fields call, in
// Warden's schema file format (see policy/load), with every name quoted.
func WriteSchema(w io.Writer, tables []Table, functions []Function, header string) error {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(header), "\n") {
		if line != "" {
			b.WriteString("# " + line + "\n")
		}
	}
	if len(functions) > 0 {
		b.WriteString("functions:\n")
		for _, f := range functions {
			fmt.Fprintf(&b, "  - {name: {schema: %s, name: %s}, ", q(f.Name.Schema), q(f.Name.Name))
			if f.SetOf != nil {
				fmt.Fprintf(&b, "setof: {schema: %s, name: %s}}\n", q(f.SetOf.Schema), q(f.SetOf.Name))
				continue
			}
			extra := ""
			if f.Base != "" {
				extra += ", base: " + q(f.Base)
			}
			if len(f.Enum) > 0 {
				extra += ", enum: " + list(f.Enum)
			}
			fmt.Fprintf(&b, "returns: %s%s}\n", q(f.Type), extra)
		}
	}
	b.WriteString("tables:\n")
	for _, t := range tables {
		fmt.Fprintf(&b, "  - name: {schema: %s, name: %s}\n", q(t.Name.Schema), q(t.Name.Name))
		if t.Name.Source != "" {
			// The table of one source, for a name several sources have.
			fmt.Fprintf(&b, "    source: %s\n", q(t.Name.Source))
		}
		b.WriteString("    columns:\n")
		for _, c := range t.Columns {
			extra := ""
			if c.Base != "" {
				extra += ", base: " + q(c.Base)
			}
			if len(c.Enum) > 0 {
				extra += ", enum: " + list(c.Enum)
			}
			fmt.Fprintf(&b, "      - {name: %s, type: %s%s, nullable: %t}\n", q(c.Name), q(c.Type), extra, c.Nullable && !contains(t.PrimaryKey, c.Name))
		}
		if len(t.PrimaryKey) > 0 {
			fmt.Fprintf(&b, "    primary_key: %s\n", list(t.PrimaryKey))
		}
		if len(t.ForeignKeys) > 0 {
			b.WriteString("    foreign_keys:\n")
			for _, fk := range t.ForeignKeys {
				fmt.Fprintf(&b, "      - {columns: %s, references: {table: {schema: %s, name: %s}, columns: %s}}\n",
					list(fk.Columns), q(fk.RefTable.Schema), q(fk.RefTable.Name), list(fk.RefColumns))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// q quotes a string; a JSON string is a YAML flow scalar.
func q(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func list(ss []string) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = q(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
