"""Check and errors through Client against a real server with the example
policy set (policy/examples/blog)."""

import unittest

import grpc

import warden_client as w
from tests import server

ALICE = w.Principal(role="user", session={"x-hasura-user-id": "1", "x-hasura-org-id": "1"})
S: server.Setup


def setUpModule():
    global S
    S = server.setup()


def tearDownModule():
    S.server.stop()


def article(id, org, author, published):
    return {"id": id, "org_id": org, "author_id": author, "published": published, "title": "t", "created_at": "2024-01-10T09:00:00Z"}


def client(api_key=None, **kw):
    return w.Client(S.server.addr, api_key=S.api_key if api_key is None else api_key, plaintext=True, **kw)


class CheckTest(unittest.TestCase):
    def setUp(self):
        self.c = client()
        self.addCleanup(self.c.close)

    def test_check_row(self):
        cases = [
            ("her own draft", article(2, 1, 1, False), "allow"),
            ("a published article of her organisation", article(3, 1, 2, True), "allow"),
            ("a draft of a colleague", article(4, 1, 2, False), "deny"),
            ("a published article of another organisation", article(5, 2, 3, True), "deny"),
        ]
        for name, row, want in cases:
            with self.subTest(name):
                res = self.c.check_row(ALICE, "articles", "select", row)
                self.assertEqual(len(res.decisions), 1)
                d = res.decisions[0]
                self.assertEqual(d.effect, want, d.reason)
                self.assertEqual(d.allowed, want == "allow")
                self.assertEqual(res.allowed, d.allowed)
                self.assertEqual((d.id, res.role), ("0", "user"))
                self.assertTrue(d.reason and res.revision and res.decision_id)
                if want == "allow":
                    self.assertIn("title", d.allowed_columns)

    def test_batch(self):
        res = self.c.check(
            ALICE,
            "public.articles",
            "select",
            [w.Row(article(2, 1, 1, False), id="own-draft"), w.Row(article(4, 1, 2, False), id="colleague-draft"), article(1, 1, 1, True)],
            columns=["id", "title"],
        )
        self.assertEqual([f"{d.id}={d.effect}" for d in res.decisions], ["own-draft=allow", "colleague-draft=deny", "2=allow"])
        self.assertFalse(res.allowed)
        self.assertFalse(res.decision("colleague-draft").allowed)
        self.assertIsNone(res.decision("nope"))

    def test_insert_presets(self):
        # The row states what the caller writes; the presets are applied
        # before the check, and returned.
        res = self.c.check_row(ALICE, "articles", "insert", {"title": "New", "body": "b", "published": False})
        self.assertTrue(res.allowed, res.decisions[0].reason)
        self.assertEqual(res.presets, {"author_id": 1, "org_id": 1})


class NeedsDataTest(unittest.TestCase):
    def test_relationship(self):
        with client() as c:
            comment = {"article_id": 3, "body": "Well done"}
            d = c.check_row(ALICE, "comments", "insert", comment).decisions[0]
            self.assertEqual(d.effect, "needs_data")
            self.assertIn("article", d.missing_data)
            comment["article"] = {"id": 3, "org_id": 1, "author_id": 2, "published": True}
            self.assertTrue(c.check_row(ALICE, "comments", "insert", comment).allowed)


class ErrorTest(unittest.TestCase):
    def setUp(self):
        self.c = client()
        self.addCleanup(self.c.close)

    def test_failed_precondition(self):
        bob = w.Principal(role="user", session={"x-hasura-user-id": "1"})
        with self.assertRaises(w.FailedPrecondition) as cm:
            self.c.check_row(bob, "articles", "select", article(5, 2, 3, True))
        e = cm.exception
        self.assertEqual(e.code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertEqual(e.code_name, "FailedPrecondition")
        self.assertEqual(e.missing_variables, ["x-hasura-org-id"])
        self.assertEqual((e.reason, e.metadata.get("variables")), ("MISSING_SESSION_VARIABLES", "x-hasura-org-id"))

    def test_invalid_argument(self):
        with self.assertRaises(w.InvalidArgument) as cm:
            self.c.check_row(ALICE, "articles", "select", {**article(2, 1, 1, False), "colour": "red"})
        self.assertEqual(cm.exception.fields[0].field, "rows[0].values.colour")
        with self.assertRaises(w.InvalidArgument):
            self.c.check(ALICE, "articles", "select", [])
        with self.assertRaises(ValueError):
            self.c.check_row(ALICE, "articles", "read", {"id": 1})

    def test_not_found(self):
        with self.assertRaises(w.NotFound) as cm:
            self.c.check_row(ALICE, "invoices", "select", {"id": 1})
        self.assertEqual(cm.exception.reason, "UNKNOWN_TABLE")

    def test_caller_authentication(self):
        for key in ("", "wk_not_a_key"):
            with self.subTest(key=key), client(api_key=key) as c, self.assertRaises(w.Unauthenticated):
                c.check_row(ALICE, "articles", "select", article(2, 1, 1, False))
        with client(api_key=S.token_only_key) as c, self.assertRaises(w.PermissionDenied):
            c.check_row(ALICE, "articles", "select", article(2, 1, 1, False))


class TokenTest(unittest.TestCase):
    def test_end_user_token(self):
        carol = server.token(S.jwt_secret, "3", "2", ["user", "editor"])
        with client(api_key=S.token_only_key) as c:
            res = c.check(w.Principal(token=carol), "articles", "select", [article(6, 2, 3, False), article(2, 1, 1, False)])
            self.assertEqual(res.role, "user")
            self.assertEqual([d.effect for d in res.decisions], ["allow", "deny"])
            res = c.check_row(w.Principal(token=carol, role="editor"), "articles", "select", article(7, 2, 4, False))
            self.assertTrue(res.allowed and res.role == "editor")
            forged = server.token("another-secret-another-secret-xx", "3", "2", ["user"])
            with self.assertRaises(w.Unauthenticated):
                c.check_row(w.Principal(token=forged), "articles", "select", article(6, 2, 3, False))


class ValuesTest(unittest.TestCase):
    def test_to_struct(self):
        import datetime
        import decimal

        s = w.to_struct(
            {
                "small": 2**53 - 1,
                "edge": 2**53,  # also the double of 2**53 + 1
                "big": 2**53 + 1,
                "max": 2**63 - 1,
                "min": -(2**63),
                "numeric": decimal.Decimal("12345678901234567890123456789012345678"),
                "at": datetime.datetime(2024, 1, 10, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
                "price": decimal.Decimal("1.10"),
                "ids": (1, 2),
            }
        )
        self.assertEqual(s["small"], float(2**53 - 1))
        self.assertEqual(s["edge"], "9007199254740992")
        self.assertEqual(s["big"], "9007199254740993")
        self.assertEqual(s["max"], "9223372036854775807")
        self.assertEqual(s["min"], "-9223372036854775808")
        self.assertEqual(s["numeric"], "12345678901234567890123456789012345678")
        self.assertEqual(s["at"], "2024-01-10T09:00:00Z")
        self.assertEqual(s["price"], "1.10")
        self.assertEqual(list(s["ids"]), [1.0, 2.0])
        with self.assertRaises(TypeError):
            w.to_struct({"blob": b"x"})


if __name__ == "__main__":
    unittest.main()
