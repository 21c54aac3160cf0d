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
