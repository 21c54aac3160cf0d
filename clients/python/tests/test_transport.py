"""Retries, deadlines and credentials, against an in-process fake of the
AuthorizationService that fails, stalls and records on demand."""

import threading
import time
import unittest
from concurrent import futures

import grpc

import warden_client as w
from warden.v1 import authorization_pb2 as pb
from warden.v1 import authorization_pb2_grpc as pb_grpc


class Fake(pb_grpc.AuthorizationServiceServicer):
    def __init__(self):
        self.unavailable = 0
        self.stall = 0.0
        self.calls = 0
        self.metadata = {}
        self.lock = threading.Lock()

    def Check(self, request, context):
        with self.lock:
            self.calls += 1
            n = self.calls
            self.metadata = dict(context.invocation_metadata())
        if n <= self.unavailable:
            context.abort(grpc.StatusCode.UNAVAILABLE, "not yet")
        time.sleep(self.stall)
        return pb.CheckResponse(decisions=[pb.RowDecision(id=request.rows[0].id, decision=pb.DECISION_ALLOW)])


class TransportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = Fake()
        cls.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        pb_grpc.add_AuthorizationServiceServicer_to_server(cls.fake, cls.server)
        port = cls.server.add_insecure_port("127.0.0.1:0")
        cls.server.start()
        cls.addr = f"127.0.0.1:{port}"

    @classmethod
    def tearDownClass(cls):
        cls.server.stop(None)

    def reset(self, unavailable=0, stall=0.0):
        self.fake.unavailable, self.fake.stall, self.fake.calls = unavailable, stall, 0

    def check(self, c, token=""):
        with c:
            return c.check_row(w.Principal(role="user", token=token), "t", "select", {"id": 1})

    def test_retries(self):
        for name, unavailable, kw, fails, calls in [
            ("up to 4 attempts by default", 3, {}, False, 4),
            ("gives up after 4", 4, {}, True, 4),
            ("max_attempts=1: no retry", 1, {"max_attempts": 1}, True, 1),
        ]:
            with self.subTest(name):
                self.reset(unavailable)
                c = w.Client(self.addr, plaintext=True, **kw)
                if fails:
                    with self.assertRaises(w.Unavailable):
                        self.check(c)
                else:
                    self.assertTrue(self.check(c).allowed)
                self.assertEqual(self.fake.calls, calls)

    def test_timeout(self):
        self.reset(stall=2.0)
        start = time.monotonic()
        with self.assertRaises(w.DeadlineExceeded):
            self.check(w.Client(self.addr, plaintext=True, timeout=0.05))
        self.assertLess(time.monotonic() - start, 1.5)

    def test_credentials(self):
        self.reset()
        c = w.Client(self.addr, plaintext=True, api_key="k1", bearer_token="default-jwt")
        self.check(c)
        self.assertEqual(self.fake.metadata.get("x-warden-api-key"), "k1")
        self.assertEqual(self.fake.metadata.get("authorization"), "Bearer default-jwt")
        channel = grpc.insecure_channel(self.addr)
        self.addCleanup(channel.close)
        self.check(w.Client.from_channel(channel, api_key="k1", bearer_token="default-jwt"), token="user-jwt")
        self.assertEqual(self.fake.metadata.get("authorization"), "Bearer user-jwt")

    def test_rejects(self):
        with self.assertRaises(ValueError):
            w.Client(self.addr, plaintext=True, max_attempts=6)


if __name__ == "__main__":
    unittest.main()
