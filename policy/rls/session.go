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
