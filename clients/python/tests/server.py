"""Starts a real Warden server (`warden serve` on 127.0.0.1:0) for the
tests: $WARDEN_BIN, or the binary built from this repository with go."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = PACKAGE_DIR.parent.parent
_built: list[str] = []


def warden_binary() -> str:
    """$WARDEN_BIN, else the binary built once per test run."""
    if os.environ.get("WARDEN_BIN"):
        return os.environ["WARDEN_BIN"]
    if not _built:
        out = Path(tempfile.mkdtemp(prefix="warden-py-")) / "warden"
        subprocess.run(["go", "build", "-o", str(out), "./server/cmd/warden"], cwd=REPO_ROOT, check=True)
        _built.append(str(out))
    return _built[0]


@dataclass
class Key:
    """An API key and the caller entry that admits it."""

    id: str
    level: str
    grants: list[str]
    secret: str = field(default_factory=lambda: "wk_test_" + secrets.token_urlsafe(24))

    def entry(self) -> dict:
        digest = hashlib.sha256(self.secret.encode()).hexdigest()
        return {"id": self.id, "hash": "sha256:" + digest, "level": self.level, "grants": self.grants}


def token(secret: str, user_id: str, org_id: str, roles: list[str]) -> str:
    """An HS256 JWT with the session in Hasura's claims namespace."""

    def enc(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {
        "sub": user_id,
        "iat": now,
        "exp": now + 3600,
        "https://hasura.io/jwt/claims": {
            "x-hasura-allowed-roles": roles,
            "x-hasura-default-role": roles[0],
            "x-hasura-user-id": user_id,
            "x-hasura-org-id": org_id,
        },
    }
    signing = enc({"alg": "HS256", "typ": "JWT"}) + "." + enc(claims)
    sig = hmac.new(secret.encode(), signing.encode(), hashlib.sha256).digest()
    return signing + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()


class Server:
    """A running `warden serve`; stop() ends it."""

    def __init__(self, *args: str):
        cmd = [warden_binary(), "serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-format", "json"]
        # The server reads WARDEN_* variables as flags; the tests state their own.
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
        self._proc = subprocess.Popen([*cmd, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        self._lines: list[str] = []
        found = threading.Event()
        self.addr = ""

        def read() -> None:
            for line in self._proc.stderr:
                self._lines.append(line)
                try:
                    m = re.search(r"grpc listening on (\S+)", json.loads(line).get("msg", ""))
                except ValueError:
                    continue
                if m and not found.is_set():
                    self.addr = m.group(1)
                    found.set()
            found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(60) or not self.addr:
            self._proc.kill()
            raise RuntimeError("warden serve did not listen:\n" + self.logs())

    def logs(self) -> str:
        return "".join(self._lines)

    def stop(self) -> None:
        self._proc.terminate()
        code = self._proc.wait(20)
        if code != 0:
            raise RuntimeError(f"warden serve exited with {code}:\n" + self.logs())


@dataclass
class Setup:
    """A server with two callers and HS256 end-user JWTs."""

    server: Server
    api_key: str  # check, filter and trusted-session
    token_only_key: str  # check and filter only: it must forward end-user tokens
    jwt_secret: str


def setup() -> Setup:
    service = Key("service", "user", ["check", "filter", "trusted-session"])
    token_only = Key("token-only", "user", ["check", "filter"])
    jwt_secret = secrets.token_urlsafe(32)
    srv = Server(
        "--api-keys",
        json.dumps([service.entry(), token_only.entry()]),
        "--jwt-secret",
        json.dumps({"type": "HS256", "key": jwt_secret}),
    )
    return Setup(srv, service.secret, token_only.secret, jwt_secret)
