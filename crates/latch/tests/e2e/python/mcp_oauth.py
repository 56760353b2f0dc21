#!/usr/bin/env python3
"""The official MCP Python SDK client completing OAuth against Latch.

Run by the Rust end-to-end test in the venv built from requirements.txt beside this file.
Everything comes from the environment:

  LATCH_ISSUER    Latch's issuer, e.g. http://127.0.0.1:PORT/oidc
  MCP_PORT        free port for the MCP server on 127.0.0.1; its URL, also the resource
                  indicator registered in Latch, is http://127.0.0.1:$MCP_PORT/mcp
  LATCH_USERNAME  the end user who signs in
  LATCH_PASSWORD  their password
  LATCH_SCOPE     the API scope the MCP server requires, e.g. tools:call
  MCP_CLIENT_MODE optional: the SDK Client's `mode`, "legacy" (default: the initialize
                  handshake) or "auto" (probes server/discover, protocol 2026-07-28)

What happens:
  1. An MCP server (the SDK's MCPServer, formerly FastMCP; streamable HTTP at /mcp) starts
     in a background task. It publishes RFC 9728 protected resource metadata naming
     LATCH_ISSUER as its authorization server and verifies bearer tokens itself: JWT
     signature against Latch's JWKS, iss, aud (= the MCP URL), exp, and that `scope`
     holds LATCH_SCOPE.
  2. The SDK client (OAuthClientProvider) connects. On the 401 it discovers Latch from the
     resource metadata, registers itself at Latch's registration_endpoint (RFC 7591), and
     runs authorization code + PKCE with resource=<MCP URL>. The redirect handler plays the
     user with httpx instead of a browser: it follows Latch's redirects, fills in the
     sign-in form, approves the consent page, and hands the code, state and iss it finds
     on the redirect URI to the SDK's callback handler.
  3. Connected, it lists the tools, calls `whoami`, and prints, as its last line,
     `MCP_OK sub=<subject> aud=<aud> client_id=<registered client_id>`; exit 0.
Any failure prints the reason and exits 1; the whole run is bounded by 60 s.
Progress goes to stderr, the final line to stdout.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import anyio
import httpx
import httpx2
import jwt
import uvicorn
from mcp.client import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from mcp_types import TextContent

TIMEOUT_SECONDS = 60.0
ALGORITHMS = ("RS256", "ES256")


def log(who: str, message: str) -> None:
    print(f"[{who}] {message}", file=sys.stderr, flush=True)


class Failure(Exception):
    """A reason to stop, already worded for the log."""


def env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise Failure(f"environment variable {name} is not set")
    return value


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


@dataclass(frozen=True)
class Config:
    issuer: str
    mcp_port: int
    mcp_url: str
    username: str
    password: str
    scope: str
    redirect_uri: str

    @classmethod
    def from_env(cls) -> Config:
        issuer = env("LATCH_ISSUER")
        port = int(env("MCP_PORT"))
        return cls(
            issuer=issuer,
            mcp_port=port,
            mcp_url=f"http://127.0.0.1:{port}/mcp",
            username=env("LATCH_USERNAME"),
            password=env("LATCH_PASSWORD"),
            scope=env("LATCH_SCOPE"),
            # Nothing listens here: the redirect handler stops at the redirect to it.
            redirect_uri=f"http://127.0.0.1:{free_port()}/callback",
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------
# The MCP server (resource server)
# --------------------------------------------------------------------------------------


class LatchJwtVerifier:
    """mcp.server.auth.provider.TokenVerifier for Latch's JWT access tokens."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.jwks_url = cfg.issuer.rstrip("/") + "/jwks"
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._lock = anyio.Lock()

    async def _fetch_keys(self) -> None:
        async with httpx.AsyncClient(timeout=10.0) as http:
            response = await http.get(self.jwks_url)
        if response.status_code != 200:
            raise Failure(f"JWKS {self.jwks_url} answered {response.status_code}")
        keys: dict[str | None, jwt.PyJWK] = {}
        for entry in response.json().get("keys", []):
            if entry.get("use", "sig") != "sig":
                continue
            try:
                keys[entry.get("kid")] = jwt.PyJWK(entry)
            except jwt.PyJWTError as e:
                log("mcp-server", f"skipping JWKS key {entry.get('kid')!r}: {e}")
        self._keys = keys
        log("mcp-server", f"fetched JWKS: kids {sorted(str(k) for k in keys)}")

    async def _key_for(self, kid: str | None) -> jwt.PyJWK:
        async with self._lock:
            for attempt in range(2):
                if attempt or not self._keys:
                    await self._fetch_keys()
                if kid in self._keys:
                    return self._keys[kid]
                if kid is None and len(self._keys) == 1:
                    return next(iter(self._keys.values()))
        raise Failure(f"no JWKS key with kid {kid!r}")

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            return await self._verify(token)
        except (Failure, jwt.PyJWTError, ValueError, httpx.HTTPError) as e:
            log("mcp-server", f"rejected bearer token: {type(e).__name__}: {e}")
            return None

    async def _verify(self, token: str) -> AccessToken:
        header = jwt.get_unverified_header(token)
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise Failure(f"alg {alg!r} is not one of {ALGORITHMS}")
        key = await self._key_for(header.get("kid"))
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key.key,
            algorithms=[alg],
            audience=self.cfg.mcp_url,
            issuer=self.cfg.issuer,
            options={"require": ["exp", "iss", "aud", "sub"], "verify_exp": True},
        )
        scope = claims.get("scope")
        if not isinstance(scope, str):
            raise Failure(f"scope claim is {scope!r}, not a space-separated string")
        scopes = scope.split()
        if self.cfg.scope not in scopes:
            raise Failure(f"scope {scope!r} lacks {self.cfg.scope!r}")
        log("mcp-server", f"accepted token: typ={header.get('typ')} sub={claims['sub']} aud={claims['aud']} scope={scope!r}")
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id") or claims.get("azp") or ""),
            scopes=scopes,
            expires_at=int(claims["exp"]),
            # aud was checked to hold the MCP URL above: that is the resource it was issued for.
            resource=self.cfg.mcp_url,
            subject=str(claims["sub"]),
            claims=claims,
        )


def build_mcp_server(cfg: Config) -> MCPServer:
    mcp = MCPServer(
        "latch-e2e",
        token_verifier=LatchJwtVerifier(cfg),
        auth=AuthSettings(
            issuer_url=cfg.issuer,
            resource_server_url=cfg.mcp_url,
            required_scopes=[cfg.scope],
            validate_token_resource=True,
        ),
        log_level="WARNING",
    )

    @mcp.tool()
    def whoami() -> str:
        """The subject, audience and client of the caller's access token."""
        token = get_access_token()
        if token is None:
            raise ValueError("no access token in the request context")
        claims = token.claims or {}
        return json.dumps(
            {
                "sub": token.subject,
                "aud": claims.get("aud"),
                "client_id": claims.get("client_id") or claims.get("azp"),
                "scope": claims.get("scope"),
                "iss": claims.get("iss"),
            }
        )

    return mcp


# --------------------------------------------------------------------------------------
# The user at the browser
# --------------------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: list[dict[str, str | None]] = field(default_factory=list)


class FormParser(HTMLParser):
    """Collects <form>s with their <input>s and <button>s (attributes already unescaped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._current: Form | None = None
        self.errors: list[str] = []
        self._in_error = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._current = Form(action=a.get("action") or "", method=(a.get("method") or "get").lower())
            self.forms.append(self._current)
        elif tag in ("input", "button") and self._current is not None:
            entry = dict(a)
            entry["_tag"] = tag
            self._current.fields.append(entry)
        if "error" in (a.get("class") or "").split() or a.get("role") == "alert":
            self._in_error = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        self._in_error = False

    def handle_data(self, data: str) -> None:
        if self._in_error and data.strip():
            self.errors.append(data.strip())


def form_data(form: Form, *, decision: str | None = None, extra: dict[str, str] | None = None) -> list[tuple[str, str]]:
    data: list[tuple[str, str]] = []
    for f in form.fields:
        name = f.get("name")
        if not name:
            continue
        kind = (f.get("type") or ("submit" if f["_tag"] == "button" else "text")).lower()
        if kind == "hidden":
            data.append((name, f.get("value") or ""))
        elif kind == "checkbox":
            if "checked" in f:
                data.append((name, f.get("value") or "on"))
        elif kind == "submit" and name == "decision":
            if decision is not None and f.get("value") == decision:
                data.append((name, decision))
    if decision is not None and ("decision", decision) not in data:
        raise Failure(f"form {form.action} has no decision={decision} button")
    data.extend((extra or {}).items())
    return data


class Browser:
    """Plays the user: follows Latch's redirects, signs in, consents, catches the code."""

    MAX_STEPS = 20

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.latch_origin = origin(cfg.issuer)
        self.result: AuthorizationCodeResult | None = None
        self.authorize_params: dict[str, list[str]] = {}

    def _is_redirect_uri(self, url: str) -> bool:
        a, b = urlsplit(url), urlsplit(self.cfg.redirect_uri)
        return origin(url) == origin(self.cfg.redirect_uri) and a.path == b.path

    async def redirect_handler(self, authorization_url: str) -> None:
        self.authorize_params = parse_qs(urlsplit(authorization_url).query)
        shown = {k: v[0] if len(v) == 1 else v for k, v in self.authorize_params.items()}
        log("user", f"authorization request: {urlsplit(authorization_url)._replace(query='').geturl()} {shown}")
        if origin(authorization_url) != self.latch_origin:
            raise Failure(f"authorization URL {authorization_url} is not on Latch's origin")
        async with httpx.AsyncClient(follow_redirects=False, timeout=15.0) as http:
            response = await http.get(authorization_url)
            signed_in = consented = False
            for _ in range(self.MAX_STEPS):
                url = str(response.url)
                if response.is_redirect:
                    location = urljoin(url, response.headers["location"])
                    if self._is_redirect_uri(location):
                        self._take_callback(location)
                        return
                    if origin(location) != self.latch_origin:
                        raise Failure(f"redirect from {url} leaves Latch for {location}")
                    log("user", f"{response.status_code} -> {location}")
                    response = await http.get(location)
                    continue
                if response.status_code != 200:
                    raise Failure(f"{response.request.method} {url} answered {response.status_code}: {response.text[:500]}")
                parser = FormParser()
                parser.feed(response.text)
                forms = {urlsplit(urljoin(url, f.action)).path.rsplit("/", 1)[-1]: f for f in parser.forms if f.method == "post"}
                if "sign-in" in forms:
                    if signed_in:
                        raise Failure(f"sign-in page shown again: {parser.errors or response.text[:500]}")
                    signed_in = True
                    form = forms["sign-in"]
                    data = form_data(form, extra={"identifier": self.cfg.username, "password": self.cfg.password})
                    log("user", f"signing in as {self.cfg.username} at {urljoin(url, form.action)}")
                elif "consent" in forms:
                    if consented:
                        raise Failure(f"consent page shown again: {parser.errors or response.text[:500]}")
                    consented = True
                    form = forms["consent"]
                    data = form_data(form, decision="authorize")
                    granted = [v for k, v in data if k in ("scope", "organization")]
                    log("user", f"authorizing at {urljoin(url, form.action)} (checked: {granted})")
                else:
                    raise Failure(f"page {url} has no sign-in or consent form: {parser.errors or response.text[:800]}")
                response = await http.post(urljoin(url, form.action), data=dict_or_pairs(data))
            raise Failure(f"no redirect to {self.cfg.redirect_uri} after {self.MAX_STEPS} steps")

    def _take_callback(self, location: str) -> None:
        query = parse_qs(urlsplit(location).query)
        one = {k: v[0] for k, v in query.items()}
        if "error" in one:
            raise Failure(f"authorization failed: {one}")
        if "code" not in one:
            raise Failure(f"redirect {location} carries no code")
        log("user", f"redirected back with code, state, iss={one.get('iss')!r}")
        self.result = AuthorizationCodeResult(code=one["code"], state=one.get("state"), iss=one.get("iss"))

    async def callback_handler(self) -> AuthorizationCodeResult:
        if self.result is None:
            raise Failure("callback handler called before the redirect came back")
        result, self.result = self.result, None
        return result


def dict_or_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]] | dict[str, str]:
    """httpx takes repeated fields as a dict of lists; keep order and repeats."""
    grouped: dict[str, Any] = {}
    for k, v in pairs:
        grouped.setdefault(k, []).append(v)
    return {k: v[0] if len(v) == 1 else v for k, v in grouped.items()}


# --------------------------------------------------------------------------------------
# The MCP client
# --------------------------------------------------------------------------------------


class InMemoryTokenStorage:
    """mcp.client.auth.TokenStorage kept in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        log("client", f"registered: {client_info.model_dump(mode='json', exclude_none=True)}")
        self.client_info = client_info


async def run_client(cfg: Config) -> str:
    storage = InMemoryTokenStorage()
    browser = Browser(cfg)
    provider = OAuthClientProvider(
        server_url=cfg.mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="MCP SDK e2e",
            redirect_uris=[cfg.redirect_uri],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
    )
    async with httpx2.AsyncClient(auth=provider, timeout=httpx2.Timeout(20.0)) as http:
        transport = streamable_http_client(cfg.mcp_url, http_client=http)
        async with Client(transport, mode=os.environ.get("MCP_CLIENT_MODE", "legacy")) as client:
            log("client", f"connected: protocol {client.protocol_version}, server {client.server_info}")
            tools = await client.list_tools()
            names = [t.name for t in tools.tools]
            log("client", f"tools: {names}")
            if "whoami" not in names:
                raise Failure(f"whoami not among the tools {names}")
            result = await client.call_tool("whoami", {})
            texts = [c.text for c in result.content if isinstance(c, TextContent)]
            if result.is_error or not texts:
                raise Failure(f"whoami failed: {result.content}")
            who = json.loads(texts[0])
            log("client", f"whoami: {who}")

    if storage.tokens is None or storage.client_info is None:
        raise Failure("connected without tokens or client registration in storage")
    client_id = storage.client_info.client_id
    token_claims = jwt.decode(storage.tokens.access_token, options={"verify_signature": False})
    log("client", f"token response: scope={storage.tokens.scope!r} expires_in={storage.tokens.expires_in} "
        f"refresh_token={'yes' if storage.tokens.refresh_token else 'no'}")
    if who.get("sub") != token_claims.get("sub"):
        raise Failure(f"whoami sub {who.get('sub')!r} is not the token's {token_claims.get('sub')!r}")
    if who.get("client_id") not in (None, client_id):
        raise Failure(f"token client_id {who.get('client_id')!r} is not the registered {client_id!r}")
    aud = who.get("aud")
    aud_text = aud if isinstance(aud, str) else ",".join(aud or [])
    return f"MCP_OK sub={who.get('sub')} aud={aud_text} client_id={client_id}"


# --------------------------------------------------------------------------------------


async def serve_and_connect(cfg: Config) -> str:
    app = build_mcp_server(cfg).streamable_http_app(host="127.0.0.1")
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=cfg.mcp_port, log_level="warning", lifespan="on", timeout_graceful_shutdown=3
        )
    )
    async def serve() -> None:
        try:
            await server.serve()
        except SystemExit as e:  # uvicorn exits when it cannot start, e.g. the port is taken
            raise Failure(f"MCP server could not start on 127.0.0.1:{cfg.mcp_port} (uvicorn exit {e.code})") from None

    async with anyio.create_task_group() as tg:
        tg.start_soon(serve)
        with anyio.fail_after(10):
            while not server.started:
                if server.should_exit:
                    raise Failure(f"MCP server did not start on 127.0.0.1:{cfg.mcp_port}")
                await anyio.sleep(0.05)
        log("mcp-server", f"listening at {cfg.mcp_url}")
        outcome: str | BaseException
        try:
            outcome = await run_client(cfg)
        except Exception as e:  # re-raised once uvicorn has stopped, rather than cancelling it
            outcome = e
        # The task group then waits for uvicorn, which gives open streams 3 s to close.
        server.should_exit = True
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def leaves(e: BaseException) -> list[BaseException]:
    if isinstance(e, BaseExceptionGroup):
        return [leaf for sub in e.exceptions for leaf in leaves(sub)]
    return [e]


def main() -> int:
    # A hard stop in case something refuses to be cancelled.
    watchdog = threading.Timer(TIMEOUT_SECONDS + 15, lambda: (print("MCP_FAIL watchdog: hung past the timeout", flush=True), os._exit(1)))
    watchdog.daemon = True
    watchdog.start()
    try:
        cfg = Config.from_env()

        async def bounded() -> str:
            with anyio.fail_after(TIMEOUT_SECONDS):
                return await serve_and_connect(cfg)

        line = anyio.run(bounded)
    except BaseException as e:  # noqa: BLE001 - every failure is reported the same way
        reasons = []
        for leaf in leaves(e):
            if not isinstance(leaf, Failure):
                traceback.print_exception(leaf, file=sys.stderr)
            reasons.append(f"{type(leaf).__name__}: {leaf}" if not isinstance(leaf, Failure) else str(leaf))
            if isinstance(leaf, TimeoutError):
                reasons[-1] = f"timed out after {TIMEOUT_SECONDS:.0f} s"
        print(f"MCP_FAIL {'; '.join(reasons)}", flush=True)
        return 1
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
