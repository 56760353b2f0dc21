#!/usr/bin/env python3
"""A real SMTP server for Latch's end-to-end tests (aiosmtpd), run in the tests' venv.

  smtp_sink.py PORT OUT [--starttls CERT KEY] [--auth USER:PASSWORD]

Listens on 127.0.0.1:PORT and appends every message it accepts to the file OUT as one JSON
line: {"from": ..., "to": [...], "data": <the message as sent>, "tls": bool, "auth": user,
"subject": <decoded>, "text": <the decoded text/plain part>, "html": <the text/html part, or null>}.
With --starttls it offers STARTTLS with that certificate and refuses mail before it; with
--auth it requires AUTH PLAIN/LOGIN with those credentials (over TLS when --starttls is on).
Prints READY on stdout once it listens; runs until killed.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, out: str) -> None:
        self.out = out

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "subject": str(message["subject"] or ""),
            "text": text.get_content() if text is not None else "",
            "html": html.get_content() if html is not None else None,
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "data": envelope.content.decode("utf-8", "replace"),
            "tls": session.ssl is not None,
            "auth": bool(session.authenticated),
        }
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        return "250 OK"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("out")
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--auth", metavar="USER:PASSWORD")
    a = p.parse_args()
    kwargs: dict = {}
    if a.starttls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.starttls[0], a.starttls[1])
        kwargs["tls_context"] = ctx
        kwargs["require_starttls"] = True
    if a.auth:
        user, password = a.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and \
                auth_data.password.decode() == password
            # handled=False: aiosmtpd answers 535 itself (its default, handled=True, answers nothing).
            return AuthResult(success=ok, handled=False)

        kwargs["authenticator"] = authenticator
        kwargs["auth_required"] = True
        kwargs["auth_require_tls"] = bool(a.starttls)
    controller = Controller(Sink(a.out), hostname="127.0.0.1", port=a.port, **kwargs)
    controller.start()
    print("READY", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()
        sys.exit(0)


if __name__ == "__main__":
    main()
