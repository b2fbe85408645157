"""A real SMTP server for the e-mail reminder tests (aiosmtpd).

Listens on 127.0.0.1, on a free port, and writes one JSON line to stdout
per event, flushed at once:

  {"event": "listening", "port": N}
  {"event": "accepted" | "rejected" | "hanging", "n": N, "code": C,
   "message_id": ..., "mail_from": ..., "rcpt_tos": [...], "from": ...,
   "to": ..., "subject": ..., "body": ..., "auto_submitted": ...}

`n` counts the messages whose data the server received (1, 2, ...).
Failure injection, decided when a message's data has arrived:

  --hang-on N             never answer the data of message N (the client
                          waits, as a replica that dies mid-send would)
  --reject-temporary K    answer the next K messages 451 (try again)
  --reject-permanent K    answer the next K messages 550 (refused)
  --delay-ms D            wait D ms before accepting each message

It exits when its standard input closes, so a test that dies does not
leave it behind; tests stop it by its PID.

Run by the contract suite (backend/tests/contract/reminders.rs) on the
interpreter `cargo xtask test` installs aiosmtpd into (TEST_SMTP_PYTHON).
"""

import argparse
import asyncio
import email
import email.policy
import json
import sys

from aiosmtpd.smtp import SMTP


def emit(record):
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


class Sink:
    def __init__(self, args):
        self.hang_on = args.hang_on
        self.temporary = args.reject_temporary
        self.permanent = args.reject_permanent
        self.delay = args.delay_ms / 1000
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        n = self.received
        record = describe(envelope)
        record["n"] = n
        if n == self.hang_on:
            emit(dict(record, event="hanging"))
            # Never answers: the client times out or dies waiting.
            await asyncio.Event().wait()
        if self.temporary > 0:
            self.temporary -= 1
            emit(dict(record, event="rejected", code=451))
            return "451 4.3.0 Temporarily unavailable, try again later"
        if self.permanent > 0:
            self.permanent -= 1
            emit(dict(record, event="rejected", code=550))
            return "550 5.7.1 Message refused"
        if self.delay:
            await asyncio.sleep(self.delay)
        emit(dict(record, event="accepted", code=250))
        return "250 2.0.0 OK"


def describe(envelope):
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    return {
        "mail_from": envelope.mail_from,
        "rcpt_tos": list(envelope.rcpt_tos),
        "message_id": message.get("Message-ID"),
        "from": str(message.get("From", "")),
        "to": str(message.get("To", "")),
        "subject": str(message.get("Subject", "")),
        "auto_submitted": message.get("Auto-Submitted"),
        "content_type": message.get_content_type(),
        "body": body.get_content() if body is not None else None,
    }


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hang-on", type=int, default=0)
    parser.add_argument("--reject-temporary", type=int, default=0)
    parser.add_argument("--reject-permanent", type=int, default=0)
    parser.add_argument("--delay-ms", type=int, default=0)
    args = parser.parse_args()
    sink = Sink(args)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.test", enable_SMTPUTF8=True),
        host="127.0.0.1",
        port=0,
    )
    emit({"event": "listening", "port": server.sockets[0].getsockname()[1]})
    # Until standard input closes (the test ended, however it ended).
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
