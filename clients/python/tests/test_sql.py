"""Filter fragments through psycopg (PostgreSQL) and sqlite3, against the
example's schema.sql and seed.sql: the rows each query returns are the rows
Check allows."""

import os
import secrets
import sqlite3
import unittest

import warden_client as w
from tests import server

ALICE = w.Principal(role="user", session={"x-hasura-user-id": "1", "x-hasura-org-id": "1"})
DAVE = w.Principal(role="editor", session={"x-hasura-user-id": "4", "x-hasura-org-id": "2"})
BLOG = server.REPO_ROOT / "policy" / "examples" / "blog"
PG_DSN = os.environ.get("WARDEN_TEST_POSTGRES", "host=127.0.0.1 port=5432 user=postgres dbname=test")
S: server.Setup


def setUpModule():
    global S
    S = server.setup()


def tearDownModule():
    S.server.stop()


def client():
    return w.Client(S.server.addr, api_key=S.api_key, plaintext=True)


def allowed_by_check(c, principal, rows):
    """The ids of the article rows Check allows."""
    values = [{"id": r[0], "org_id": r[1], "author_id": r[2], "published": bool(r[3])} for r in rows]
    res = c.check(principal, "articles", "select", [w.Row(v, id=str(v["id"])) for v in values])
    return sorted(int(d.id) for d in res.decisions if d.allowed)


class FilterTest(unittest.TestCase):
    def setUp(self):
        self.c = client()
        self.addCleanup(self.c.close)

    def test_postgres(self):
        f = self.c.filter(ALICE, "articles", "select", dialect="postgres", table_alias="a")
        self.assertEqual((f.kind, f.limit, f.role, f.allow_aggregations), ("conditional", 100, "user", False))
        self.assertTrue(f.revision and f.decision_id and f.reason)
        self.assertEqual(f.columns, ["author_id", "body", "created_at", "id", "org_id", "published", "title"])
        self.assertRegex(f.where.sql, r'^\(.*"a"\."author_id" = \$1::bigint.*\$3.*\)$')
        self.assertEqual(f.where.params, [1, 1, True])
        self.assertEqual(f.predicate.WhichOneof("node"), "any")

    def test_predicate_only(self):
        f = self.c.filter(DAVE, "public.articles", "delete")
        self.assertIsNone(f.where)
        cmp = f.predicate.comparison
        self.assertEqual((cmp.column.name, cmp.value.number_value), ("org_id", 2))

    def test_insert_presets_sqlite(self):
        f = self.c.filter(ALICE, "articles", "insert", dialect="sqlite")
        self.assertEqual(f.presets, {"author_id": 1, "org_id": 1})
        self.assertEqual(f.columns, ["body", "published", "title"])
        self.assertEqual(f.where.params, [1])
        self.assertNotIn("$", f.where.sql)

    def test_always_denied(self):
        f = self.c.filter(w.Principal(role="anonymous"), "users", "select", dialect="postgres")
        self.assertEqual((f.kind, f.columns), ("always_denied", []))

    def test_errors(self):
        with self.assertRaises(w.FailedPrecondition) as cm:
            self.c.filter(w.Principal(role="user", session={"x-hasura-user-id": "1"}), "articles", "select")
        self.assertEqual(cm.exception.missing_variables, ["x-hasura-org-id"])
        with self.assertRaises(w.InvalidArgument) as cm:
            self.c.filter(ALICE, "", "select")
        self.assertEqual(cm.exception.fields[0].field, "table")
        with self.assertRaises(w.NotFound):
            self.c.filter(ALICE, "invoices", "select")
        with self.assertRaises(ValueError):
            self.c.filter(ALICE, "articles", "select", dialect="oracle")


class FragmentTest(unittest.TestCase):
    def test_psycopg(self):
        f = w.Fragment('("a"."x" = $3::bigint OR "a"."y" LIKE $4::text || \'%$1\' OR "$5" = $3)', [7, "p%"])
        sql, params = f.psycopg()
        self.assertEqual(sql, '("a"."x" = %s::bigint OR "a"."y" LIKE %s::text || \'%%$1\' OR "$5" = %s)')
        self.assertEqual(params, [7, "p%", 7])
        with self.assertRaises(ValueError):
            w.Fragment("x = $1 AND y = $2", [1]).psycopg()
        with self.assertRaises(ValueError):
            w.Fragment("x = ?", [1], "sqlite").psycopg()

    def test_sqlite3(self):
        self.assertEqual(w.Fragment('"x" = ?', [1], "sqlite").sqlite3(), ('"x" = ?', [1]))
        with self.assertRaises(ValueError):
            w.Fragment("x = $1", [1]).sqlite3()

    def test_renumber_leaves_quotes_and_comments(self):
        got = w.renumber("$1 '$2''$3' \"$4\" -- $5\n/* $6 */ x$7 $8", lambda n: f"${n + 10}")
        self.assertEqual(got, "$11 '$2''$3' \"$4\" -- $5\n/* $6 */ x$7 $18")


class SQLiteTest(unittest.TestCase):
    def test_filter_in_sqlite(self):
        db = sqlite3.connect(":memory:")
        self.addCleanup(db.close)
        db.executescript((BLOG / "schema.sql").read_text() + (BLOG / "seed.sql").read_text())
        rows = db.execute("SELECT id, org_id, author_id, published FROM articles ORDER BY id").fetchall()
        with client() as c:
            for name, principal, want in [("alice", ALICE, [1, 2, 3]), ("dave", DAVE, [5, 6, 7])]:
                with self.subTest(name):
                    f = c.filter(principal, "articles", "select", dialect="sqlite", table_alias="a")
                    sql, params = f.where.sqlite3()
                    got = [r[0] for r in db.execute(f"SELECT a.id FROM articles a WHERE {sql} ORDER BY a.id", params)]
                    self.assertEqual(got, want)
                    self.assertEqual(got, allowed_by_check(c, principal, rows))


class PostgresTest(unittest.TestCase):
    def setUp(self):
        try:
            import psycopg
        except ImportError:
            if os.environ.get("CI") == "true":
                raise
            self.skipTest("psycopg is not installed (Debian: python3-psycopg)")
        try:
            admin = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=3)
        except psycopg.OperationalError as e:
            if os.environ.get("CI") == "true":
                raise
            self.skipTest(f"PostgreSQL is unreachable at {PG_DSN!r}: {e}")
        name = "warden_py_" + secrets.token_hex(4)
        admin.execute(f'CREATE DATABASE "{name}"')

        def drop():
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            admin.close()

        self.addCleanup(drop)
        self.db = psycopg.connect(PG_DSN + f" dbname={name}", autocommit=True)
        self.addCleanup(self.db.close)
        self.db.execute((BLOG / "schema.sql").read_text())
        self.db.execute((BLOG / "seed.sql").read_text())

    def test_filter_in_postgres(self):
        rows = self.db.execute("SELECT id, org_id, author_id, published FROM articles ORDER BY id").fetchall()
        with client() as c:
            for name, principal, want in [("alice", ALICE, [1, 2, 3]), ("dave", DAVE, [5, 6, 7])]:
                with self.subTest(name):
                    f = c.filter(principal, "articles", "select", dialect="postgres", table_alias="a")
                    sql, params = f.where.psycopg()
                    # A query of our own with a parameter before the fragment's.
                    query = "SELECT a.id FROM articles a WHERE a.id > %s AND " + sql + " ORDER BY a.id"
                    got = [r[0] for r in self.db.execute(query, [0, *params])]
                    self.assertEqual(got, want)
                    self.assertEqual(got, allowed_by_check(c, principal, rows))


if __name__ == "__main__":
    unittest.main()
