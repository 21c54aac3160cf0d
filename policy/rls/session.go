package rls

// functionSQL creates the session reader. Its body is constant: the
// setting's name and the path to the variables inside its json reach it
// as arguments, never as text of the body.
// A missing setting, a setting that is not a json object, or a missing or
// ambiguous (two spellings of one name) variable raises an error, so the
// statement fails instead of comparing with NULL. Names compare without
// regard to case, as Hasura's session variables do.
func functionSQL(fn string) string {
	return `CREATE OR REPLACE FUNCTION ` + fn + `(setting text, name text, path text[]) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog AS $warden$
DECLARE
  claims jsonb;
  n bigint;
  v text;
BEGIN
  claims := nullif(current_setting(setting, true), '')::jsonb;
  IF cardinality(path) > 0 THEN
    claims := claims #> path;
  END IF;
  IF claims IS NULL OR jsonb_typeof(claims) <> 'object' THEN
    RAISE EXCEPTION 'warden: setting % holds no session (a json object of session variables) at path %', setting, path
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT count(*), min(e.value) INTO n, v FROM jsonb_each_text(claims) AS e WHERE lower(e.key) = lower(name);
  IF n <> 1 OR v IS NULL THEN
    RAISE EXCEPTION 'warden: session variable % is % in setting %', name,
      CASE WHEN n > 1 THEN 'ambiguous' ELSE 'missing' END, setting
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN v;
END
$warden$;

`
}

// listFunctionSQL creates the list reader: fn(text) returns the elements
// of a one-dimensional array literal as text, parsed exactly as Check
// parses a list session variable (model.ParseArrayLiteral): ASCII space
// around the literal and its elements dropped, elements quoted ("a,b")
// or bare, a backslash escaping the next character in either, an
// unquoted unescaped NULL (in any case), an empty bare element, a nested
// array or a dimension decoration rejected with an error, so that the
// statement fails where Check refuses the session. PostgreSQL's own
// array input would read NULL elements, nested arrays and decorations.
// The caller casts the text[] to the element type (each element's text
// read by the type's input, as a scalar variable's is).
func listFunctionSQL(fn string) string {
	return `CREATE OR REPLACE FUNCTION ` + fn + `(t text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog AS $warden$
DECLARE
  ws constant text := E' \t\n\r\f' || chr(11);
  bs constant text := chr(92);
  elems text[] := '{}';
  n int;
  i int;
  c text;
  e text;
  keep int;
  escaped boolean;
BEGIN
  t := btrim(t, ws);
  n := length(t);
  IF n = 0 OR substr(t, 1, 1) <> '{' THEN
    RAISE EXCEPTION 'warden: a list session variable is not an array literal such as {1,2,3}'
      USING ERRCODE = 'invalid_text_representation';
  END IF;
  i := 2;
  WHILE i <= n AND strpos(ws, substr(t, i, 1)) > 0 LOOP
    i := i + 1;
  END LOOP;
  IF i = n AND substr(t, i, 1) = '}' THEN
    RETURN elems;
  END IF;
  LOOP
    WHILE i <= n AND strpos(ws, substr(t, i, 1)) > 0 LOOP
      i := i + 1;
    END LOOP;
    EXIT WHEN i > n;
    c := substr(t, i, 1);
    e := '';
    IF c = '{' THEN
      EXIT;
    ELSIF c = '"' THEN
      i := i + 1;
      LOOP
        EXIT WHEN i > n;
        c := substr(t, i, 1);
        IF c = bs THEN
          EXIT WHEN i = n;
          e := e || substr(t, i + 1, 1);
          i := i + 2;
        ELSIF c = '"' THEN
          EXIT;
        ELSE
          e := e || c;
          i := i + 1;
        END IF;
      END LOOP;
      EXIT WHEN i > n OR c <> '"';
      i := i + 1;
    ELSE
      keep := 0;
      escaped := false;
      WHILE i <= n LOOP
        c := substr(t, i, 1);
        EXIT WHEN c = ',' OR c = '}' OR c = '{' OR c = '"';
        IF c = bs THEN
          EXIT WHEN i = n;
          e := e || substr(t, i + 1, 1);
          keep := length(e);
          escaped := true;
          i := i + 2;
        ELSE
          e := e || c;
          IF strpos(ws, c) = 0 THEN
            keep := length(e);
          END IF;
          i := i + 1;
        END IF;
      END LOOP;
      EXIT WHEN i > n OR c = '{' OR c = '"' OR c = bs;
      e := left(e, keep);
      EXIT WHEN e = '' OR (NOT escaped AND lower(e) = 'null');
    END IF;
    elems := elems || e;
    WHILE i <= n AND strpos(ws, substr(t, i, 1)) > 0 LOOP
      i := i + 1;
    END LOOP;
    EXIT WHEN i > n;
    c := substr(t, i, 1);
    IF c = '}' AND i = n THEN
      RETURN elems;
    END IF;
    EXIT WHEN c <> ',';
    i := i + 1;
  END LOOP;
  RAISE EXCEPTION 'warden: a list session variable is not an array literal such as {1,2,3} (no NULL, nested or empty element)'
    USING ERRCODE = 'invalid_text_representation';
END
$warden$;

`
}

// jsonFunctionSQL creates the session's json reader: fn(setting, path,
// role) returns the json object Hasura passes a computed field that takes
// the session (session_argument), as Filter passes it (sqlgen.Options
// SessionVars and Role): the session variables, the keys starting with
// x-hasura- (in any case) with their names lower-cased, and x-hasura-role
// the role the policy is for. x-hasura-allowed-roles and
// x-hasura-default-role, a token's role claims, are not variables (the
// session resolver drops them too), and an x-hasura-role in the setting
// is replaced. Where the session resolver would refuse the session, or
// the names would not lower-case as Check's do, it raises an error, so
// that the statement fails instead of passing another session: no json
// object at the path, a key that is not ASCII (lower() of the database's
// collation and Go's strings.ToLower differ beyond ASCII; "C" lower-cases
// ASCII only), two spellings of one variable, a variable whose value is
// not a json string (Check's session holds strings). The object is
// equal as json to the one Filter passes; its text may differ in key
// order and spacing (jsonb's).
func jsonFunctionSQL(fn string) string {
	return `CREATE OR REPLACE FUNCTION ` + fn + `(setting text, path text[], role text) RETURNS json
LANGUAGE plpgsql STABLE SET search_path = pg_catalog AS $warden$
DECLARE
  claims jsonb;
  vars jsonb;
BEGIN
  claims := nullif(current_setting(setting, true), '')::jsonb;
  IF cardinality(path) > 0 THEN
    claims := claims #> path;
  END IF;
  IF claims IS NULL OR jsonb_typeof(claims) <> 'object' THEN
    RAISE EXCEPTION 'warden: setting % holds no session (a json object of session variables) at path %', setting, path
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF EXISTS (SELECT FROM jsonb_object_keys(claims) AS k WHERE k ~ '[^\u0001-\u007f]') THEN
    RAISE EXCEPTION 'warden: setting % holds a key that is not ASCII, which a computed field''s session would not name as Check does', setting
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF EXISTS (SELECT FROM jsonb_object_keys(claims) AS k WHERE lower(left(k, 9) COLLATE "C") = 'x-hasura-'
      GROUP BY lower(k COLLATE "C") HAVING count(*) > 1) THEN
    RAISE EXCEPTION 'warden: setting % spells a session variable twice', setting
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT jsonb_object_agg(lower(e.key COLLATE "C"), e.value) INTO vars FROM jsonb_each(claims) AS e
    WHERE lower(left(e.key, 9) COLLATE "C") = 'x-hasura-'
      AND lower(e.key COLLATE "C") NOT IN ('x-hasura-role', 'x-hasura-allowed-roles', 'x-hasura-default-role');
  IF EXISTS (SELECT FROM jsonb_each(vars) AS e WHERE jsonb_typeof(e.value) <> 'string') THEN
    RAISE EXCEPTION 'warden: setting % holds a session variable that is not a json string', setting
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN (coalesce(vars, '{}') || jsonb_build_object('x-hasura-role', role))::json;
END
$warden$;

`
}
