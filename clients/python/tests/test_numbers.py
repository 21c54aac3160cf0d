"""Numbers a double does not hold, end to end: bigint ids at ±2^63 and
numeric(38,0) amounts (clients/testdata/numbers) go to Warden exactly as
int, Decimal or str; a float that has already rounded one is refused; and
Filter's parameters reach PostgreSQL through psycopg exactly."""

import decimal
import json
import os
import secrets
import unittest

import warden_client as w
from tests import server

NUMBERS = server.REPO_ROOT / "clients" / "testdata" / "numbers"
PG_DSN = os.environ.get("WARDEN_TEST_POSTGRES", "host=127.0.0.1 port=5432 user=postgres dbname=test")
MAX, MIN = 2**63 - 1, -(2**63)
BIG_NUMERIC = decimal.Decimal("12345678901234567890123456789012345678")
KEY = server.Key("service", "user", ["check", "filter", "trusted-session"])
SERVER: server.Server


def setUpModule():
    global SERVER
    SERVER = server.Server("--api-keys", json.dumps([KEY.entry()]), "--policy", str(NUMBERS))


def tearDownModule():
    SERVER.stop()


def user(user_id: int) -> w.Principal:
    return w.Principal(role="user", session={"x-hasura-user-id": str(user_id)})


class CheckTest(unittest.TestCase):
    def setUp(self):
        self.c = w.Client(SERVER.addr, api_key=KEY.secret, plaintext=True)
        self.addCleanup(self.c.close)

    def test_exact(self):
        for owner, other in [(MAX, MAX - 1), (MIN, MIN + 1)]:
            with self.subTest(owner=owner):
                res = self.c.check(
                    user(owner),
                    "accounts",
                    "select",
                    [
                        w.Row({"id": 1, "owner_id": owner, "balance": BIG_NUMERIC}),
                        w.Row({"id": 2, "owner_id": str(other), "balance": -BIG_NUMERIC}),
                    ],
                )
                self.assertEqual([d.effect for d in res.decisions], ["allow", "deny"])

    def test_rounded_float_refused(self):
        with self.assertRaises(w.InvalidArgument) as cm:
            self.c.check_row(user(MAX), "accounts", "select", {"id": 1, "owner_id": float(MAX), "balance": 0})
        self.assertEqual([f.field for f in cm.exception.fields], ["rows[0].values.owner_id"])

    def test_presets(self):
        res = self.c.check_row(user(MIN), "accounts", "insert", {"id": 7, "balance": BIG_NUMERIC})
        self.assertTrue(res.allowed)
        self.assertEqual(res.presets, {"owner_id": str(MIN)})

    def test_filter_params(self):
        f = self.c.filter(user(MAX), "transfers", "select", dialect="postgres")
        self.assertEqual(f.where.params, ["12345678901234567890123456789012345676", MAX])
        f = self.c.filter(w.Principal(role="auditor"), "accounts", "select", dialect="postgres")
        self.assertEqual(f.where.params, [[MAX, MIN], str(BIG_NUMERIC)])


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
        self.db.execute((NUMBERS / "postgres.sql").read_text())
        self.c = w.Client(SERVER.addr, api_key=KEY.secret, plaintext=True)
        self.addCleanup(self.c.close)

    def test_filter_in_postgres(self):
        for principal, table, want in [
            (user(MAX), "transfers", [1]),
            (user(MIN), "transfers", [4]),
            (user(MAX - 1), "transfers", [3]),
            (user(MAX - 1), "accounts", [2]),
            (w.Principal(role="auditor"), "accounts", [MIN, 1, MAX]),
        ]:
            with self.subTest(role=principal.role, session=principal.session, table=table):
                f = self.c.filter(principal, table, "select", dialect="postgres", table_alias="t")
                sql, params = f.where.psycopg()
                got = [r[0] for r in self.db.execute(f"SELECT t.id FROM {table} t WHERE {sql} ORDER BY t.id", params)]
                self.assertEqual(got, want)
                # The rows as psycopg reads them (int, Decimal) decide the same in Check.
                cur = self.db.execute(f"SELECT * FROM {table} ORDER BY id")
                cols = [d.name for d in cur.description]
                rows = [dict(zip(cols, r)) for r in cur.fetchall()]
                if table == "accounts":
                    res = self.c.check(principal, table, "select", [w.Row(r, id=str(r["id"])) for r in rows])
                    self.assertEqual([int(d.id) for d in res.decisions if d.allowed], want)


if __name__ == "__main__":
    unittest.main()
