// Warden console: plain JavaScript, no build step, no dependency. Every
// value from the server is written with textContent (never as HTML), and
// the API key lives in this tab's sessionStorage only.
"use strict";

const KEY = "warden.apiKey";
const OPS = ["OPERATION_SELECT", "OPERATION_INSERT", "OPERATION_UPDATE", "OPERATION_DELETE"];
const OP_NAMES = { OPERATION_SELECT: "select", OPERATION_INSERT: "insert", OPERATION_UPDATE: "update", OPERATION_DELETE: "delete" };
const DIALECTS = [["SQL_DIALECT_POSTGRES", "PostgreSQL"], ["SQL_DIALECT_MYSQL", "MySQL / MariaDB"], ["SQL_DIALECT_SQLITE", "SQLite"]];

const $ = (id) => document.getElementById(id);

// el builds an element: attributes (on* are never used), then children
// (strings become text nodes).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// ApiError is a gateway error: the HTTP status and the gRPC status JSON.
class ApiError extends Error {
  constructor(httpStatus, body) {
    super((body && body.message) || "HTTP " + httpStatus);
    this.httpStatus = httpStatus;
    this.body = body || {};
  }
}

// explainError says what an error means for the person at the console.
function explainError(err) {
  if (!(err instanceof ApiError)) return "The request failed: " + err.message;
  const msg = err.body.message || "";
  switch (err.httpStatus) {
    case 401: return "Not signed in: the server did not accept this API key (" + msg + "). Sign in again with an admin-level key.";
    case 403: return "Refused (403): " + msg + ". The console's admin pages need an admin-level API key; a user-level key may only call Check or Filter, and only with its grants.";
    case 429: return "Rate limited (429): " + msg;
  }
  const details = (err.body.details || []).flatMap((d) => (d.fieldViolations || []).map((v) => v.field + ": " + v.description));
  return "Error " + err.httpStatus + ": " + msg + (details.length ? " — " + details.join("; ") : "");
}

async function api(method, path, body, extraHeaders) {
  const headers = { "X-Warden-Api-Key": sessionStorage.getItem(KEY) || "", ...(extraHeaders || {}) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit", cache: "no-store" });
  let json = null;
  try { json = await r.json(); } catch (_) { /* not JSON: the status says it */ }
  if (!r.ok) {
    const err = new ApiError(r.status, json);
    if (r.status === 401) signOut(explainError(err));
    throw err;
  }
  return json;
}

function say(text, info) {
  const m = $("message");
  m.textContent = text || "";
  m.className = info ? "info" : "";
}

// ---- navigation ----

const SECTIONS = ["matrix", "try", "status"];

function show(name) {
  if (name !== "signin") say("");
  for (const s of ["signin", ...SECTIONS]) $(s).hidden = s !== name;
  for (const b of document.querySelectorAll("nav button[data-section]")) {
    if (b.dataset.section === name) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
  $("nav").hidden = name === "signin";
  const h = $(name).querySelector("h2");
  if (h) { h.tabIndex = -1; h.focus(); }
}

function signOut(reason) {
  sessionStorage.removeItem(KEY);
  show("signin");
  say(reason || "Signed out.", !reason);
}

// ---- sign in ----

let roles = [], tables = [];

async function signIn(key) {
  sessionStorage.setItem(KEY, key);
  say("");
  try {
    setQueryDatabases(await api("GET", "/v1/admin/status"));
  } catch (err) {
    sessionStorage.removeItem(KEY);
    if (!(err instanceof ApiError) || err.httpStatus !== 401) show("signin");
    say(explainError(err));
    return false;
  }
  $("apikey").value = "";
  await loadAll();
  show("matrix");
  say("Signed in.", true);
  return true;
}

async function loadAll() {
  const [t, r] = await Promise.all([api("GET", "/v1/admin/tables"), api("GET", "/v1/admin/roles")]);
  tables = t.tables || [];
  roles = (r.roles || []).filter((x) => x.name !== "admin");
  fillTry();
  await renderMatrix();
  await renderStatus();
}

// ---- matrix ----

let permsByTable = {};

async function renderMatrix() {
  permsByTable = {};
  const answers = await Promise.all(tables.map((t) => api("GET", "/v1/admin/tables/" + encodeURIComponent(t.name) + "/permissions")));
  answers.forEach((a, i) => {
    const m = {};
    for (const p of a.permissions || []) m[p.role + "/" + p.operation] = p;
    for (const o of a.inconsistentPermissions || []) m[o.name + "/" + o.operation] = { inconsistent: o };
    permsByTable[tables[i].name] = m;
  });
  const head1 = el("tr", {}, el("th", { scope: "col", rowspan: 2 }, "Table"),
    roles.map((r) => el("th", { scope: "colgroup", colspan: 4 }, r.name, r.roleSet && r.roleSet.length ? el("span", { class: "inherited" }, " ↑ " + r.roleSet.join(", ")) : null)));
  const head2 = el("tr", {}, roles.map(() => OPS.map((op) => el("th", { scope: "col" }, OP_NAMES[op]))));
  const body = tables.map((t) => el("tr", {}, el("th", { scope: "row" }, t.name),
    roles.map((r) => OPS.map((op) => cell(t.name, r.name, op)))));
  const table = el("table", { id: "matrix-grid" }, el("caption", {}, "Tables × roles × operations"), el("thead", {}, head1, head2), el("tbody", {}, body));
  $("matrix-table").replaceChildren(table);
  // One tab stop for the whole grid (roving tabindex): Tab enters and
  // leaves it, the arrow keys, Home and End move between cells.
  const cells = [...table.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("button")]);
  cells.flat().forEach((b) => { b.tabIndex = -1; });
  if (cells.length && cells[0].length) cells[0][0].tabIndex = 0;
  table.addEventListener("keydown", (e) => {
    const r = cells.findIndex((row) => row.includes(e.target));
    if (r < 0) return;
    const c = cells[r].indexOf(e.target);
    const to = { ArrowRight: [r, c + 1], ArrowLeft: [r, c - 1], ArrowDown: [r + 1, c], ArrowUp: [r - 1, c], Home: [r, 0], End: [r, cells[r].length - 1] }[e.key];
    if (!to) return;
    const [nr, nc] = to;
    if (nr < 0 || nr >= cells.length || nc < 0 || nc >= cells[nr].length) return;
    e.preventDefault();
    e.target.tabIndex = -1;
    cells[nr][nc].tabIndex = 0;
    cells[nr][nc].focus();
  });
}

function cellKind(p) {
  if (!p) return { kind: "none", symbol: "–", words: "no permission" };
  if (p.inconsistent) return { kind: "inconsistent", symbol: "⚠", words: "inconsistent, left out: requests for it are refused" };
  const cond = p.kind === "PERMISSION_KIND_CONDITIONAL";
  const inh = p.inheritedFrom && p.inheritedFrom.length ? ", inherited from " + p.inheritedFrom.join(", ") : "";
  return {
    kind: cond ? "conditional" : "always",
    symbol: (cond ? "◐" : "✓") + (inh ? "↑" : ""),
    words: (cond ? "conditional" : "always allowed") + inh,
  };
}

function cell(table, role, op) {
  const p = permsByTable[table][role + "/" + op];
  const k = cellKind(p);
  const label = table + ", role " + role + ", " + OP_NAMES[op] + ": " + k.words;
  const b = el("button", { type: "button", class: "kind-" + k.kind, "aria-label": label, title: label,
    "data-table": table, "data-role": role, "data-op": op, "data-kind": k.kind }, k.symbol);
  b.addEventListener("click", () => openRule(table, role, op));
  return el("td", { class: "cell" }, b);
}

// hasuraYAML writes the permission as it sits in the table's metadata
// file, in YAML with the rules in flow style (as the server gives them).
function hasuraYAML(p, op) {
  const lines = [];
  if (p.inheritedFrom && p.inheritedFrom.length) {
    lines.push("# inherited role: the combination of " + p.inheritedFrom.join(", ") + "'s " + OP_NAMES[op] + " permissions (inherited_roles.yaml)");
  } else if (p.sourceFile) {
    lines.push("# " + p.sourceFile + (p.sourcePath ? ": " + p.sourcePath : ""));
  }
  lines.push(OP_NAMES[op] + "_permissions:", "  - role: " + p.role, "    permission:");
  if (op !== "OPERATION_DELETE") lines.push("      columns: [" + (p.columns || []).join(", ") + "]");
  if (p.computedFields && p.computedFields.length) lines.push("      computed_fields: [" + p.computedFields.join(", ") + "]");
  if (p.filter) lines.push("      filter: " + p.filter);
  if (p.check) lines.push("      check: " + p.check);
  const set = Object.entries(p.set || {});
  if (set.length) { lines.push("      set:"); for (const [c, v] of set.sort()) lines.push("        " + c + ": " + v); }
  if (p.limit !== undefined) lines.push("      limit: " + p.limit);
  if (p.allowAggregations) lines.push("      allow_aggregations: true");
  if (p.backendOnly) lines.push("      backend_only: true");
  return lines.join("\n");
}

let ruleTarget = null;

async function openRule(table, role, op) {
  let p = permsByTable[table][role + "/" + op];
  ruleTarget = { table, role, op };
  $("rule").hidden = false;
  $("rule-title").textContent = table + " · " + role + " · " + OP_NAMES[op] + " — " + cellKind(p).words;
  if (p && p.inconsistent) {
    const o = p.inconsistent;
    $("rule-yaml").textContent = "# " + (o.file || "") + (o.path ? ": " + o.path : "") + "\n# " + o.description + " was left out as inconsistent:\n" + (o.reasons || []).map((r) => "#   " + r).join("\n");
    p = null;
  } else {
    $("rule-yaml").textContent = p ? hasuraYAML(p, op) : "(role " + role + " has no " + OP_NAMES[op] + " permission on " + table + ")";
  }
  $("rule-sql").replaceChildren();
  const vars = p ? [...new Set(((p.filter || "") + " " + (p.check || "")).match(/X-Hasura-[A-Za-z0-9-]+/gi) || [])] : [];
  const fs = $("rule-vars");
  fs.replaceChildren(el("legend", {}, vars.length ? "Session variables the rule names" : "The rule names no session variable"));
  vars.forEach((v, i) => {
    const id = "rule-var-" + i;
    fs.append(el("label", { for: id }, v), el("input", { id, type: "text", "data-var": v.toLowerCase(), value: String(i + 1) }));
  });
  $("rule-title").focus();
  $("rule-rego").textContent = "loading…";
  try {
    const rego = await api("GET", "/v1/admin/tables/" + encodeURIComponent(table) + "/rego");
    const mod = (rego.modules || []).find((m) => m.path.endsWith("/" + OP_NAMES[op] + ".rego"));
    $("rule-rego").textContent = mod ? "# " + mod.path + " (every role's " + OP_NAMES[op] + " rule of the table)\n" + mod.source : "(no Rego module for " + OP_NAMES[op] + ")";
  } catch (err) {
    $("rule-rego").textContent = explainError(err);
  }
}

async function renderRuleSQL() {
  if (!ruleTarget) return;
  const vars = {};
  for (const i of $("rule-vars").querySelectorAll("input[data-var]")) vars[i.dataset.var] = i.value;
  const out = $("rule-sql");
  out.replaceChildren(el("p", {}, "rendering…"));
  const parts = [];
  for (const [dialect, name] of DIALECTS) {
    try {
      const f = await api("POST", "/v1/filter", {
        principal: { role: ruleTarget.role, sessionVariables: vars },
        table: ruleTarget.table, operation: ruleTarget.op, sql: { dialect },
      });
      parts.push(el("h5", {}, name), sqlView(f.sql, vars));
    } catch (err) {
      parts.push(el("h5", {}, name), el("p", { class: "deny" }, explainError(err)));
    }
  }
  out.replaceChildren(...parts);
}

// paramText writes one bind parameter's value.
function paramText(p) {
  if (p.text !== undefined) return { v: p.text, type: "text" };
  if (p.integer !== undefined) return { v: String(p.integer), type: "integer" };
  if (p.boolean !== undefined) return { v: String(p.boolean), type: "boolean" };
  if (p.real !== undefined) return { v: String(p.real), type: "real" };
  if (p.array !== undefined) return { v: "{" + (p.array.elements || []).map((e) => paramText(e).v).join(",") + "}", type: "array" };
  return { v: "", type: "?" };
}

// fragmentView shows SQL and its parameters, each named by the session
// variable whose value it carries when exactly one variable has that value.
function fragmentView(title, f, first, dialect, vars, heading) {
  if (!f) return null;
  const params = (f.parameters || []).map((p, i) => {
    const t = paramText(p);
    const names = Object.entries(vars || {}).filter(([, v]) => v === t.v).map(([k]) => k);
    const place = dialect === "SQL_DIALECT_POSTGRES" ? "$" + (first + i) : "?" + (i + 1);
    return el("li", {}, el("code", {}, place), " = ", el("code", {}, t.v), " (" + t.type + (names.length === 1 ? ", from " + names[0] : "") + ")");
  });
  return el("div", {}, el(heading || "h6", {}, title), el("pre", { class: "sql" }, f.sql), params.length ? el("ul", { "aria-label": title + " parameters" }, params) : el("p", {}, "no parameters"));
}

// sqlView shows Filter's fragments: the row filter, and update's check.
function sqlView(sql, vars) {
  if (!sql) return el("p", {}, "(no SQL)");
  const n = (sql.where && sql.where.parameters ? sql.where.parameters.length : 0);
  return el("div", {}, fragmentView("WHERE", sql.where, 1, sql.dialect, vars), fragmentView("CHECK (after update)", sql.check, 1 + n, sql.dialect, vars));
}

// ---- try it ----

function fillTry() {
  $("try-role").replaceChildren(...roles.map((r) => el("option", { value: r.name }, r.name)), el("option", { value: "admin" }, "admin"));
  $("try-table").replaceChildren(...tables.map((t) => el("option", { value: t.name }, t.name)));
  if (!$("try-rows").value) sampleRows();
}

function sampleValue(type) {
  const t = (type || "").toLowerCase();
  if (/int|serial/.test(t)) return 1;
  if (/numeric|decimal|real|double|float/.test(t)) return "1";
  if (/bool/.test(t)) return true;
  if (/timestamp/.test(t)) return "2026-01-01T00:00:00Z";
  if (/date/.test(t)) return "2026-01-01";
  if (/uuid/.test(t)) return "00000000-0000-0000-0000-000000000001";
  if (/json/.test(t)) return {};
  return "text";
}

function sampleRows() {
  const t = tables.find((x) => x.name === $("try-table").value);
  if (!t) return;
  const values = {};
  for (const c of t.columns || []) values[c.name] = sampleValue(c.type);
  const other = { ...values };
  for (const c of t.columns || []) if (typeof other[c.name] === "number") other[c.name] = 2;
  $("try-rows").value = JSON.stringify([{ id: "row1", values }, { id: "row2", values: other }], null, 2);
}

// principalAndHeaders reads the role and either the session variables or
// the JWT (sent as Authorization: Bearer, as an application would).
function principalAndHeaders() {
  const role = $("try-role").value;
  const jwt = $("try-jwt").value.trim();
  if (jwt) return { principal: { role }, headers: { Authorization: "Bearer " + jwt } };
  let vars;
  try { vars = JSON.parse($("try-vars").value || "{}"); } catch (e) { throw new Error("Session variables are not JSON: " + e.message); }
  if (typeof vars !== "object" || Array.isArray(vars) || vars === null) throw new Error("Session variables must be a JSON object of strings");
  for (const k of Object.keys(vars)) vars[k] = String(vars[k]);
  return { principal: { role, sessionVariables: vars }, headers: {} };
}

const DECISION_CLASS = { DECISION_ALLOW: "allow", DECISION_DENY: "deny", DECISION_NEEDS_DATA: "needs" };

async function runCheck() {
  const out = $("try-result");
  let rows, pa;
  try {
    pa = principalAndHeaders();
    rows = JSON.parse($("try-rows").value);
    if (!Array.isArray(rows)) throw new Error("Rows must be a JSON array");
  } catch (e) {
    out.replaceChildren(el("p", { class: "deny" }, e.message));
    return;
  }
  out.replaceChildren(el("p", {}, "checking…"));
  try {
    const r = await api("POST", "/v1/check", { principal: pa.principal, table: $("try-table").value, operation: $("try-op").value, rows, explain: true }, pa.headers);
    const items = (r.decisions || []).map((d) => el("li", { class: "decision", "data-row": d.id },
      el("strong", {}, d.id), ": ", el("span", { class: DECISION_CLASS[d.decision] || "" }, (d.decision || "").replace("DECISION_", "")),
      " — " + (d.reason || ""),
      d.deniedColumns && d.deniedColumns.length ? el("div", {}, "denied columns: " + d.deniedColumns.join(", ")) : null,
      d.missingData && d.missingData.length ? el("div", {}, "missing data: " + d.missingData.join(", ")) : null,
      explanationView(d.explanation)));
    out.replaceChildren(el("div", {}, el("h3", {}, "Check as " + r.role + " (revision " + r.revision + ")"), el("ul", { id: "decisions-list" }, items),
      r.presets && Object.keys(r.presets).length ? el("p", {}, "presets: " + JSON.stringify(r.presets)) : null));
  } catch (err) {
    out.replaceChildren(el("p", { class: "deny" }, explainError(err)));
  }
}

function explanationView(x) {
  if (!x) return null;
  const parts = [];
  if (x.grantedBy && x.grantedBy.length) parts.push(el("div", {}, "granted by: " + x.grantedBy.join(", ")));
  if (x.filter) parts.push(el("div", {}, "filter:"), el("ul", { class: "tree", role: "tree", "aria-label": "filter explanation" }, nodeView(x.filter)));
  if (x.check) parts.push(el("div", {}, "check:"), el("ul", { class: "tree", role: "tree", "aria-label": "check explanation" }, nodeView(x.check)));
  for (const c of x.columnConditions || []) parts.push(el("div", {}, "column " + c.column + ": " + (c.outcome || "").replace("EXPLAIN_OUTCOME_", "")));
  if (x.truncated) parts.push(el("div", {}, "(explanation truncated)"));
  return el("details", { class: "explanation" }, el("summary", {}, "Why"), parts);
}

function nodeView(n) {
  const outcome = (n.outcome || "").replace("EXPLAIN_OUTCOME_", "");
  const detail = [];
  if (n.column) detail.push("the row's " + n.column + ": " + (n.rowValueMissing ? "(not in the row)" : JSON.stringify(n.rowValue)));
  if (n.value !== undefined) detail.push("compared with " + JSON.stringify(n.value));
  if (n.note) detail.push(n.note);
  return el("li", { role: "treeitem", "aria-expanded": n.children && n.children.length ? "true" : null },
    el("span", { class: "outcome " + outcome }, outcome), " ", el("code", {}, n.text || n.op),
    detail.length ? el("span", { class: "detail" }, " — " + detail.join("; ")) : null,
    n.children && n.children.length ? el("ul", { class: "tree", role: "group" }, n.children.map(nodeView)) : null);
}

async function runFilter() {
  const out = $("try-result");
  let pa;
  try { pa = principalAndHeaders(); } catch (e) { out.replaceChildren(el("p", { class: "deny" }, e.message)); return; }
  out.replaceChildren(el("p", {}, "filtering…"));
  const vars = pa.principal.sessionVariables || {};
  try {
    const f = await api("POST", "/v1/filter", { principal: pa.principal, table: $("try-table").value, operation: $("try-op").value, sql: { dialect: $("try-dialect").value }, explain: true }, pa.headers);
    const x = f.explanation || {};
    out.replaceChildren(el("h3", {}, "Filter as " + f.role + ": " + (f.kind || "").replace("FILTER_KIND_", "").toLowerCase()),
      el("p", {}, f.reason || ""),
      el("dl", {}, el("dt", {}, "Rule"), el("dd", {}, el("code", {}, x.rule || "")),
        el("dt", {}, "Bound"), el("dd", {}, el("code", { id: "filter-bound" }, x.bound || "")),
        (x.fellAway || []).length ? [el("dt", {}, "Fell away"), el("dd", {}, x.fellAway.join("; "))] : null,
        el("dt", {}, "Columns"), el("dd", {}, (f.columns || []).join(", ") || "(none)")),
      el("div", { id: "filter-sql" }, sqlView(f.sql, vars)));
  } catch (err) {
    out.replaceChildren(el("p", { class: "deny" }, explainError(err)));
  }
}

// ---- the table's database ----

// queryDatabases are the metadata sources the server may query
// (GetStatus); empty hides the controls.
let queryDatabases = [];

function setQueryDatabases(status) {
  queryDatabases = (status && status.queryDatabases) || [];
  $("query-controls").hidden = queryDatabases.length === 0;
}

async function runQuery() {
  const out = $("query-result");
  let pa;
  try { pa = principalAndHeaders(); } catch (e) { out.replaceChildren(el("p", { class: "deny" }, e.message)); return; }
  const table = $("try-table").value;
  const limit = parseInt($("try-limit").value, 10) || 0;
  out.replaceChildren(el("p", {}, "querying…"));
  try {
    const q = await api("POST", "/v1/admin/query", { principal: pa.principal, table, limit }, pa.headers);
    out.replaceChildren(queryView(q, table, pa.principal.sessionVariables || {}));
  } catch (err) {
    out.replaceChildren(el("p", { class: "deny" }, explainError(err)));
  }
}

// queryView shows the statement that ran and the rows, as a table whose
// caption says what they are.
function queryView(q, table, vars) {
  const f = q.filter || {};
  const head = el("h3", {}, "Rows of " + table + " that " + f.role + " may select, from database " + q.database);
  if (!q.sql) {
    return el("div", { id: "query-view" }, head, el("p", {}, "Nothing ran: " + (f.reason || "the role may read no row or no column of this table") + "."));
  }
  const rows = q.rows || [];
  const cols = q.columns || [];
  const n = rows.length + (rows.length === 1 ? " row" : " rows");
  const caption = n + (q.truncated ? " (more exist: the limit is " + q.limit + ")" : "") + " — " + table + " as " + f.role;
  const grid = el("table", { id: "query-rows" }, el("caption", {}, caption),
    el("thead", {}, el("tr", {}, cols.map((c) => el("th", { scope: "col" }, c)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, (r.values || []).map((v) => v.isNull ? el("td", { class: "null" }, "NULL") : el("td", {}, v.text || ""))))));
  return el("div", { id: "query-view" }, head,
    el("p", {}, "Filter: " + (f.kind || "").replace("FILTER_KIND_", "").toLowerCase() + (f.reason ? " — " + f.reason : "")),
    fragmentView("The SQL that ran (read-only, rolled back)", { sql: q.sql, parameters: q.parameters }, 1, f.sql && f.sql.dialect, vars, "h4"),
    el("div", { class: "scroll" }, grid));
}

// ---- status ----

function attemptView(a, title) {
  if (!a) return el("p", {}, title + ": none since start.");
  return el("div", {}, el("p", {}, title + ": " + (a.outcome || "").replace("RELOAD_OUTCOME_", "").toLowerCase() + " at " + (a.finishedAt || "?") + (a.trigger ? " (" + a.trigger + ")" : "") + (a.revision ? ", revision " + a.revision : "")),
    a.error ? el("p", { class: "deny" }, a.error) : null,
    (a.problems || []).length ? el("ul", {}, a.problems.map((p) => el("li", {}, (p.file || "") + (p.line ? ":" + p.line : "") + " " + (p.path || "") + ": " + p.message))) : null,
    a.problemCount > (a.problems || []).length ? el("p", {}, "… " + a.problemCount + " problems in all") : null);
}

// testsSummary is one line on the latest run of the policy's own suites
// (tests/ of the policy directory, run by the server after each load).
function testsSummary(t) {
  if (!t) return "not run by this server (a bundle has no suites): run warden test";
  if (!t.ranAt) return "running on revision " + t.revision + "…";
  const again = t.running ? " (running again on a newer revision)" : "";
  if (t.noTests) return "no tests/ directory in the policy directory" + again;
  if (t.error) return "did not run on revision " + t.revision + ": " + t.error + again;
  const failed = (t.failed || 0) + (t.errored || 0);
  return (failed ? "FAILED: " : "passed: ") + (t.passed || 0) + " passed, " + (t.failed || 0) + " failed, " + (t.errored || 0) + " errored" +
    " on revision " + t.revision + " at " + t.ranAt + again;
}

function testsView(t) {
  const fails = (t && t.failures) || [];
  const total = t ? (t.failed || 0) + (t.errored || 0) : 0;
  return el("div", {},
    el("p", { id: "status-tests-summary", class: t && (total || t.error) ? "deny" : null }, testsSummary(t)),
    fails.length ? el("ul", { id: "status-tests-failures" }, fails.map((f) => el("li", {},
      el("strong", {}, f.name), " ", el("code", {}, (f.file || "") + (f.line ? ":" + f.line : "")),
      el("pre", {}, f.message || "")))) : null,
    total > fails.length ? el("p", {}, "… " + total + " failing tests in all") : null);
}

async function renderStatus() {
  try {
    const s = await api("GET", "/v1/admin/status");
    setQueryDatabases(s);
    const row = (k, v) => [el("dt", {}, k), el("dd", {}, v === undefined || v === "" ? "—" : String(v))];
    $("status-list").replaceChildren(...[
      row("Revision", s.revision), row("Source", s.source + " (" + (s.sourceKind || "").replace("POLICY_SOURCE_KIND_", "").toLowerCase() + ")"),
      row("Loaded at", s.loadedAt), row("Tables", s.tableCount || 0), row("Roles", s.roleCount || 0),
      row("Inconsistent objects", s.inconsistentObjectCount || 0), row("Watching files", s.watching ? "yes" : "no"),
      row("Server version", s.version), row("Policy tests", testsSummary(s.policyTests)),
      row("Console databases", (s.queryDatabases || []).join(", ") || "none (serve --console-database NAME=URL)"),
    ].flat());
    $("status-tests").replaceChildren(testsView(s.policyTests));
    const inc = s.inconsistentObjects || [];
    $("status-inconsistent").replaceChildren(inc.length
      ? el("ul", {}, inc.map((o) => el("li", {}, o.description, el("ul", {}, (o.reasons || []).map((r) => el("li", {}, el("code", {}, r)))))),
        (s.inconsistentObjectCount || 0) > inc.length ? el("li", {}, "… " + s.inconsistentObjectCount + " in all") : null)
      : el("p", {}, "None: every object of the metadata is in the policy set."));
    $("status-reload").replaceChildren(el("div", {}, attemptView(s.lastReload, "Last reload"), s.lastFailedReload ? attemptView(s.lastFailedReload, "Last failed reload") : null));
  } catch (err) {
    $("status-list").replaceChildren(el("dd", { class: "deny" }, explainError(err)));
  }
  await renderDecisions();
}

async function renderDecisions() {
  const q = new URLSearchParams();
  for (const [id, name] of [["dec-role", "role"], ["dec-table", "table"], ["dec-outcome", "outcome"], ["dec-call", "call"]]) {
    if ($(id).value) q.set(name, $(id).value);
  }
  q.set("limit", "50");
  try {
    const d = await api("GET", "/v1/admin/decisions?" + q);
    const rows = (d.decisions || []).map((r) => el("tr", {}, [r.sequence, r.time, r.call, r.caller, r.role, r.table, r.operation, r.outcome, r.sql || ""].map((v) => el("td", {}, v === undefined ? "" : String(v)))));
    $("decisions").replaceChildren(rows.length
      ? el("table", {}, el("caption", {}, "Newest first"), el("thead", {}, el("tr", {}, ["#", "time", "call", "caller", "role", "table", "operation", "outcome", "SQL"].map((h) => el("th", { scope: "col" }, h)))), el("tbody", {}, rows))
      : el("p", {}, "No decisions match (the server keeps the most recent ones in memory, --recent-decisions)."));
  } catch (err) {
    $("decisions").replaceChildren(el("p", { class: "deny" }, explainError(err)));
  }
}

async function reload() {
  try {
    const r = await api("POST", "/v1/admin/reload", {});
    say("Reload: " + (r.policy && r.policy.outcome || "").replace("RELOAD_OUTCOME_", "").toLowerCase() + "; serving revision " + r.revision, true);
    await loadAll();
  } catch (err) {
    say(explainError(err));
  }
}

// ---- wiring ----

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", (e) => { e.preventDefault(); signIn($("apikey").value.trim()); });
  $("signout").addEventListener("click", () => signOut());
  for (const b of document.querySelectorAll("nav button[data-section]")) b.addEventListener("click", () => show(b.dataset.section));
  $("rule-sql-form").addEventListener("submit", (e) => { e.preventDefault(); renderRuleSQL(); });
  $("try-form").addEventListener("submit", (e) => { e.preventDefault(); runCheck(); });
  $("run-filter").addEventListener("click", runFilter);
  $("run-query").addEventListener("click", runQuery);
  $("sample-rows").addEventListener("click", sampleRows);
  $("try-table").addEventListener("change", sampleRows);
  $("refresh-status").addEventListener("click", renderStatus);
  $("reload").addEventListener("click", reload);
  $("decisions-form").addEventListener("submit", (e) => { e.preventDefault(); renderDecisions(); });
  if (sessionStorage.getItem(KEY)) {
    signIn(sessionStorage.getItem(KEY));
  } else {
    show("signin");
  }
  document.body.dataset.ready = "yes";
});
