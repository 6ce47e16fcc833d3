#!/usr/bin/env python3
"""A simulated medical device's network services, for the namespace test network only.

Runs inside one network namespace (10.99.0.0/24 exists only there). Options, repeatable:
  --http PORT:SERVER      HTTP server answering with that Server header (HEAD and GET)
  --hl7 PORT              HL7 v2 MLLP listener; answers each message with an ACK
  --banner PORT:TEXT      greets with TEXT (SSH/FTP style), then reads until the peer closes
  --telnet PORT           Telnet option negotiation, then a login prompt
Nothing here initiates a connection.
"""
import argparse
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve_tcp(port, handler):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)

    def loop():
        while True:
            c, _ = s.accept()
            threading.Thread(target=guarded, args=(handler, c), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


def guarded(handler, c):
    try:
        c.settimeout(10)
        handler(c)
    except OSError:
        pass
    finally:
        c.close()


def drain(c):
    while c.recv(4096):
        pass


def banner(text):
    def h(c):
        c.sendall(text.encode() + b"\r\n")
        drain(c)

    return h


def telnet(c):
    # IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD, IAC DO NAWS, then a prompt.
    c.sendall(b"\xff\xfb\x01\xff\xfb\x03\xff\xfd\x1f\r\nVxWorks login: ")
    drain(c)


def hl7(c):
    buf = b""
    while True:
        d = c.recv(4096)
        if not d:
            return
        buf += d
        while b"\x1c\x0d" in buf:
            msg, buf = buf.split(b"\x1c\x0d", 1)
            msh = msg.lstrip(b"\x0b").split(b"\r")[0].split(b"|")
            control = msh[9] if len(msh) > 9 else b"0"
            ack = (b"MSH|^~\\&|LIS|LAB|||20260101000000||ACK^R01|A" + control +
                   b"|P|2.5\rMSA|AA|" + control + b"\r")
            c.sendall(b"\x0b" + ack + b"\x1c\x0d")


def http(port, server):
    class H(BaseHTTPRequestHandler):
        server_version = server
        sys_version = ""

        def do_HEAD(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            body = b"<html><head><title>Device</title></head></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("0.0.0.0", port), H)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--http", action="append", default=[])
    p.add_argument("--hl7", action="append", type=int, default=[])
    p.add_argument("--banner", action="append", default=[])
    p.add_argument("--telnet", action="append", type=int, default=[])
    a = p.parse_args()
    for spec in a.http:
        port, server = spec.split(":", 1)
        http(int(port), server)
    for port in a.hl7:
        serve_tcp(port, hl7)
    for spec in a.banner:
        port, text = spec.split(":", 1)
        serve_tcp(int(port), banner(text))
    for port in a.telnet:
        serve_tcp(port, telnet)
    threading.Event().wait()


if __name__ == "__main__":
    main()
