"""A real SMTP server on loopback for beian's mail tests (aiosmtpd).

Usage: python3 smtp_sink.py OUT_DIR [--auth USER:PASSWORD]
                            [--tls {starttls,implicit} --cert PEM --key PEM]
With --auth, AUTH (PLAIN or LOGIN, allowed without TLS on loopback) is required and only
those credentials pass (535 otherwise). With --tls starttls the server offers and requires
STARTTLS; with --tls implicit it speaks TLS from the start (SMTPS). Listens on 127.0.0.1 on a free port and prints `LISTENING <port>` once it accepts
connections. Each accepted message is written to OUT_DIR as NNNN.eml (the raw message as
received) and NNNN.json (envelope and decoded subject, text, html, Message-ID), each file
renamed into place only when complete. Recipients starting with `reject-permanent@` get 550,
with `reject-transient@` get 451. Exits when its standard input closes.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import pathlib
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject-permanent@"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if address.startswith("reject-transient@"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        decoded = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["Subject"]),
            "from": str(message["From"]),
            "to": str(message["To"]),
            "message_id": str(message["Message-ID"]),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
        }
        name = "%04d" % self.count
        for suffix, data in ((".eml", raw), (".json", json.dumps(decoded).encode())):
            tmp = self.out_dir / (name + suffix + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, self.out_dir / (name + suffix))
        return "250 Message accepted"


def authenticator_for(credentials):
    user, password = credentials.encode().split(b":", 1)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user
            and auth_data.password == password
        )
        # handled=False: let aiosmtpd answer 535 itself on failure.
        return AuthResult(success=ok, handled=False)

    return authenticate


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir", type=pathlib.Path)
    parser.add_argument("--auth")
    parser.add_argument("--tls", choices=["starttls", "implicit"])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    options = {"enable_SMTPUTF8": True}
    if args.auth:
        options.update(
            authenticator=authenticator_for(args.auth),
            auth_required=True,
            auth_require_tls=False,
        )
    context = None
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
    if args.tls == "starttls":
        options.update(tls_context=context, require_starttls=True)
    loop = asyncio.get_running_loop()
    handler = Handler(args.out_dir)
    server = await loop.create_server(
        lambda: SMTP(handler, **options),
        "127.0.0.1",
        0,
        ssl=context if args.tls == "implicit" else None,
    )
    port = server.sockets[0].getsockname()[1]
    print("LISTENING %d" % port, flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


asyncio.run(main())
