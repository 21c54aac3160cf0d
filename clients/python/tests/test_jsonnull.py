"""A jsonb column's JSON null, end to end (clients/testdata/jsonnull):
JSON_NULL is 'null'::jsonb, which IS NOT NULL; None is SQL NULL; a preset
that is JSON null comes back as JSON_NULL."""

import json
import unittest

import warden_client as w
from tests import server

JSONNULL = server.REPO_ROOT / "clients" / "testdata" / "jsonnull"
KEY = server.Key("service", "user", ["check", "filter", "trusted-session"])
SERVER: server.Server


def setUpModule():
    global SERVER
    SERVER = server.Server("--api-keys", json.dumps([KEY.entry()]), "--policy", str(JSONNULL))


def tearDownModule():
    SERVER.stop()


class JSONNullTest(unittest.TestCase):
    def setUp(self):
        self.c = w.Client(SERVER.addr, api_key=KEY.secret, plaintext=True)
        self.addCleanup(self.c.close)

    def test_paths(self):
        row = {"meta": w.JSON_NULL, "note": None, "author": {"prefs": w.JSON_NULL}, "tags": [{}, {"x": w.JSON_NULL}]}
        self.assertEqual(w.json_null_paths("values", row), ["values.author.prefs", "values.meta", "values.tags[1].x"])

    def test_not_sql_null(self):
        res = self.c.check(
            w.Principal(role="untagged"),
            "docs",
            "select",
            [{"id": 1, "title": "t", "meta": None}, {"id": 2, "title": "t", "meta": w.JSON_NULL}],
        )
        self.assertEqual([d.effect for d in res.decisions], ["allow", "deny"])

    def test_preset(self):
        res = self.c.check_row(w.Principal(role="user", session={"x-hasura-meta": "null"}), "docs", "insert", {"id": 1, "title": "t"})
        self.assertEqual(res.decisions[0].effect, "allow")
        self.assertIs(res.presets["meta"], w.JSON_NULL)
        obj = self.c.check_row(w.Principal(role="user", session={"x-hasura-meta": "{}"}), "docs", "insert", {"id": 1, "title": "t"})
        self.assertEqual(obj.presets, {"meta": {}})


if __name__ == "__main__":
    unittest.main()
