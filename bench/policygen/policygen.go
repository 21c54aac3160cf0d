// Package policygen generates a realistic policy set for load tests: many
// tables chained by object and array relationships, five plain roles with a
// permission for each of the four operations on every table, and two
// inherited roles. Rules mix _eq, _in with literal lists and with array
// session variables, _and, _or, and filters through object and array
// relationships. The same Config always yields the same files.
package policygen

import (
	"fmt"
	"math/rand/v2"
)

// Session variables the generated rules read (names as the engine sees
// them: lower case).
const (
	VarUserID   = "x-hasura-user-id"  // integer
	VarOrgID    = "x-hasura-org-id"   // integer
	VarTeamIDs  = "x-hasura-team-ids" // integer array, {1,2,3}
	VarStatuses = "x-hasura-statuses" // text array, {open,pending}
)

// Value ranges of the generated data.
const (
	TeamCount = 60 // team ids are 1..TeamCount
	OrgCount  = 20 // org ids are 1..OrgCount
)

// Relationship names: parent is the object relationship to the previous
// table, children the array relationship to the next one, both through
// parent_id.
const (
	RelParent   = "parent"
	RelChildren = "children"
)

const (
	sessionUser = "X-Hasura-User-Id" // as written in the metadata
	sessionOrg  = "X-Hasura-Org-Id"
	sessionTeam = "X-Hasura-Team-Ids"
	sessionStat = "X-Hasura-Statuses"
	schemaName  = "public"
	sourceName  = "default"
	colParentID = "parent_id"
	defaultSeed = 1
	defaultN    = 50
	minTables   = 2
	maxTables   = 500
)

const (
	statusDraft = "draft"
	statusOpen  = "open"
	statusPend  = "pending"
	statusAppr  = "approved"
	statusClose = "closed"
	statusArch  = "archived"
	statusDel   = "deleted"
)

// Statuses lists the values of the status column.
var Statuses = []string{statusDraft, statusOpen, statusPend, statusAppr, statusClose, statusArch, statusDel}

// Roles are the plain roles; every one has a permission for every
// operation on every table.
var Roles = []string{"viewer", "member", "manager", "auditor", "support"}

// Inherited are the inherited roles and their parents, as in
// inherited_roles.yaml. Their select permission is inherited; insert,
// update and delete are stated explicitly, because the parents differ.
var Inherited = []InheritedRole{
	{Name: "lead", Parents: []string{"member", "manager"}},
	{Name: "staff", Parents: []string{"viewer", "auditor"}},
}

// Operations in the order the files list them.
var Operations = []string{"select", "insert", "update", "delete"}

// InheritedRole is one entry of inherited_roles.yaml.
type InheritedRole struct {
	Name    string
	Parents []string
}

// AllRoles returns the plain roles, then the inherited ones.
func AllRoles() []string {
	out := append([]string(nil), Roles...)
	for _, r := range Inherited {
		out = append(out, r.Name)
	}
	return out
}

// AllVarsRole, AllVarsOp and table 0 name the permission that reads every
// session variable; the load generator evaluates it (engine.Replay) to
// learn the session document OPA is given.
const (
	AllVarsRole = "lead"
	AllVarsOp   = "update"
)

// Config says what to generate.
type Config struct {
	// Tables is the number of tables, 2 to 500; 0 means 50.
	Tables int
	// Seed picks the rule variants; 0 means 1.
	Seed uint64
}

// Spec is a generated policy set: what the files say, for the load
// generator to build requests that fit it.
type Spec struct {
	Tables []*Table
}

// Table is one generated table. Every table has the same columns
// (Columns); they differ in name, relationships and rules.
type Table struct {
	Index int
	Name  string // without schema
	// Parent is the table the parent relationship points to; nil for the
	// first table. Child is the table of the children relationship; nil for
	// the last.
	Parent, Child *Table
	perms         map[string]map[string]permission // op -> role
}

// Qualified returns "public.<name>".
func (t *Table) Qualified() string { return schemaName + "." + t.Name }

// Column is one column of every generated table.
type Column struct {
	Name, Type string
	NotNull    bool
}

// Columns of every table; id is the primary key and parent_id references
// the previous table.
var Columns = []Column{
	{"id", "integer", true},
	{"org_id", "integer", true},
	{"owner_id", "integer", true},
	{"team_id", "integer", true},
	{colParentID, "integer", false},
	{"status", "text", true},
	{"published", "boolean", true},
	{"amount", "numeric(12,2)", false},
	{"title", "text", false},
	{"created_at", "timestamptz", true},
}

var nouns = []string{
	"accounts", "projects", "tasks", "documents", "invoices", "orders", "order_items",
	"tickets", "comments", "contracts", "assets", "shipments", "payments", "refunds",
	"subscriptions", "plans", "campaigns", "leads", "opportunities", "quotes",
	"products", "inventory", "warehouses", "suppliers", "purchase_orders",
}

// Generate builds the spec of a policy set.
func Generate(cfg Config) (*Spec, error) {
	if cfg.Tables == 0 {
		cfg.Tables = defaultN
	}
	if cfg.Seed == 0 {
		cfg.Seed = defaultSeed
	}
	if cfg.Tables < minTables || cfg.Tables > maxTables {
		return nil, fmt.Errorf("policygen: %d tables: want %d to %d", cfg.Tables, minTables, maxTables)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5741_5244_454e)) // "WARDEN"
	s := &Spec{Tables: make([]*Table, cfg.Tables)}
	for i := range s.Tables {
		name := nouns[i%len(nouns)]
		if r := i / len(nouns); r > 0 {
			name = fmt.Sprintf("%s_%d", name, r+1)
		}
		s.Tables[i] = &Table{Index: i, Name: name}
	}
	for i, t := range s.Tables {
		if i > 0 {
			t.Parent = s.Tables[i-1]
		}
		if i+1 < len(s.Tables) {
			t.Child = s.Tables[i+1]
		}
		t.perms = rules(t, rng)
	}
	return s, nil
}

// Permissions counts the permissions stated in the files (inherited select
// permissions are not stated; the loader derives them).
func (s *Spec) Permissions() int {
	n := 0
	for _, t := range s.Tables {
		for _, byRole := range t.perms {
			n += len(byRole)
		}
	}
	return n
}

// permission is one entry of a *_permissions list. Fields are in the
// order Hasura writes them.
type permission struct {
	Columns           any               `yaml:"columns,omitempty"`
	Filter            any               `yaml:"filter,omitempty"`
	Check             any               `yaml:"check,omitempty"`
	Set               map[string]string `yaml:"set,omitempty"`
	Limit             int               `yaml:"limit,omitempty"`
	AllowAggregations bool              `yaml:"allow_aggregations,omitempty"`
}

// Boolean expression builders, producing what the YAML holds.
type obj = map[string]any

func eq(col string, v any) obj      { return obj{col: obj{"_eq": v}} }
func in(col string, v any) obj      { return obj{col: obj{"_in": v}} }
func and(items ...obj) obj          { return obj{"_and": items} }
func or(items ...obj) obj           { return obj{"_or": items} }
func through(rel string, e obj) obj { return obj{rel: e} }

var (
	ownRow     = eq("owner_id", sessionUser)
	ownOrg     = eq("org_id", sessionOrg)
	inTeams    = in("team_id", sessionTeam)
	inStatuses = in("status", sessionStat)
)

// rules states every permission of a table. Variants chosen by rng make the
// tables differ; the shape stays the same so requests fit any table.
func rules(t *Table, rng *rand.Rand) map[string]map[string]permission {
	viewerCols := []string{"id", "org_id", "owner_id", "title", "status", "published", "created_at"}
	auditCols := []string{"id", "org_id", "status", "amount", "created_at"}
	supportCols := []string{"id", "status", "title", "owner_id", "created_at"}
	audited := []any{statusAppr, statusClose, statusArch}
	if rng.IntN(2) == 0 {
		audited = []any{statusClose, statusArch}
	}
	viewer := and(ownOrg, or(eq("published", true), ownRow))
	if rng.IntN(3) == 0 {
		viewer = and(ownOrg, obj{"status": obj{"_neq": statusDel}}, or(eq("published", true), ownRow))
	}
	member := and(ownOrg, or(ownRow, inTeams))
	manager := inTeams
	if t.Parent != nil {
		manager = or(inTeams, through(RelParent, ownRow))
		if rng.IntN(2) == 0 {
			member = and(ownOrg, or(ownRow, inTeams, through(RelParent, inTeams)))
		}
	}
	support := inStatuses
	if t.Child != nil {
		support = or(inStatuses, through(RelChildren, ownRow))
	}
	auditor := and(ownOrg, in("status", audited))
	every := or(ownRow, and(ownOrg, inTeams), inStatuses) // reads every session variable

	sel := map[string]permission{
		"viewer":  {Columns: viewerCols, Filter: viewer, Limit: 100},
		"member":  {Columns: "*", Filter: member},
		"manager": {Columns: "*", Filter: manager, AllowAggregations: true},
		"auditor": {Columns: auditCols, Filter: auditor, AllowAggregations: true, Limit: 1000},
		"support": {Columns: supportCols, Filter: support},
	}
	writable := []string{"title", "status", "published", "amount", "team_id", colParentID}
	// As Hasura writes an insert, a row states only the permission's
	// columns and the presets fill theirs before the check: every column a
	// check reads is writable, or preset where the check does not read it
	// (the load generator's OPA baseline gets each user's session, not
	// rows made anew for each user).
	owned := append([]string{"owner_id", "org_id"}, writable...)
	ins := map[string]permission{
		"viewer":  {Check: ownRow, Set: map[string]string{"published": "false"}, Columns: owned},
		"member":  {Check: and(ownOrg, inTeams), Set: map[string]string{"owner_id": sessionUser}, Columns: append([]string{"org_id"}, writable...)},
		"manager": {Check: inTeams, Columns: owned},
		"auditor": {Check: and(ownOrg, eq("status", statusDraft)), Columns: []string{"title", "status", "org_id"}},
		"support": {Check: or(ownRow, inStatuses), Columns: []string{"title", "status", "owner_id"}},
		"lead":    {Check: inTeams, Set: map[string]string{"owner_id": sessionUser}, Columns: writable},
		"staff":   {Check: and(ownOrg, ownRow), Columns: []string{"title", "status", "owner_id", "org_id"}},
	}
	upd := map[string]permission{
		"viewer":  {Columns: []string{"title", "status", "published"}, Filter: ownRow, Check: ownRow},
		"member":  {Columns: writable, Filter: member, Check: inTeams},
		"manager": {Columns: writable, Filter: manager},
		"auditor": {Columns: []string{"status"}, Filter: and(ownOrg, in("status", []any{statusAppr, statusClose})), Check: in("status", audited)},
		"support": {Columns: []string{"status", "title"}, Filter: inStatuses, Check: inStatuses},
		"lead":    {Columns: writable, Filter: every, Check: inTeams},
		"staff":   {Columns: []string{"title", "status"}, Filter: and(ownOrg, ownRow)},
	}
	del := map[string]permission{
		"viewer":  {Filter: and(ownRow, eq("published", false))},
		"member":  {Filter: ownRow},
		"manager": {Filter: manager},
		"auditor": {Filter: and(ownOrg, eq("status", statusArch))},
		"support": {Filter: support},
		"lead":    {Filter: or(ownRow, inTeams)},
		"staff":   {Filter: and(ownOrg, ownRow, eq("published", false))},
	}
	return map[string]map[string]permission{"select": sel, "insert": ins, "update": upd, "delete": del}
}
