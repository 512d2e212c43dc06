#!/usr/bin/python3
"""A stand-in for HashiCorp Vault's HTTP API, for retort's secrets tests.

Vault itself cannot be installed on the test machines, so this speaks the subset retort uses,
with the response shapes of Vault's API documentation:

  GET  /v1/<kv v2 mount>/data/<path>[?version=N]  {"data": {"data": {...}, "metadata": {...}}, ...}
  GET  /v1/<kv v1 mount>/<path>                    {"data": {...}, "lease_duration": N, ...}
  POST /v1/auth/<approle mount>/login              {"auth": {"client_token": ..., "lease_duration": N}}
  GET  /v1/auth/token/lookup-self                  {"data": {"policies": [...], "ttl": N, ...}}

Errors are Vault's: {"errors": ["permission denied"]} with 403 (no token, unknown token, token of
another namespace, path outside the token's policy), {"errors": []} with 404 (no secret there),
{"errors": ["invalid role or secret ID"]} with 400 (AppRole login).

Configuration (JSON file given with --config):
  {"tokens":  {"TOKEN": {"paths": ["secret/data/app/*"], "policies": ["app"], "namespace": "",
                         "ttl": 0}},
   "approle": {"mount": "approle", "role_id": "...", "secret_id": "...", "token": "TOKEN",
               "lease_duration": 1200},
   "kv2":     {"secret/data/app/db": {"data": {"password": "..."}, "version": 2}},
   "kv1":     {"kv/app/db": {"data": {"password": "..."}, "ttl": 60}},
   "hang":    ["secret/data/slow"]}

Every request is appended to the --log file as one JSON line (method, path, namespace, whether a
token was sent and known, status); tokens themselves are never written. The bound port is written
to --port-file once the server listens (127.0.0.1, a free port). With --cert/--key it speaks TLS.
"""

import argparse
import fnmatch
import json
import os
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOG_LOCK = threading.Lock()


def envelope(data=None, auth=None, lease_duration=0):
    """Vault's common response wrapper."""
    return {
        "request_id": str(uuid.uuid4()),
        "lease_id": "",
        "renewable": False,
        "lease_duration": lease_duration,
        "data": data,
        "wrap_info": None,
        "warnings": None,
        "auth": auth,
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    config = {}
    log_path = ""

    def log_message(self, fmt, *args):  # keep stderr quiet
        pass

    def reply(self, status, body, record):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        record["status"] = status
        with LOG_LOCK, open(self.log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")

    def denied(self, record):
        self.reply(403, {"errors": ["permission denied"]}, record)

    def token_entry(self, record):
        token = self.headers.get("X-Vault-Token")
        record["token_sent"] = token is not None
        entry = self.config.get("tokens", {}).get(token) if token else None
        record["token_known"] = entry is not None
        if entry is None:
            return None
        if entry.get("namespace", "") != self.headers.get("X-Vault-Namespace", ""):
            return None
        return entry

    def new_record(self, path):
        return {
            "method": self.command,
            "path": path,
            "namespace": self.headers.get("X-Vault-Namespace", ""),
            "token_sent": False,
            "token_known": False,
        }

    def do_POST(self):
        url = urlsplit(self.path)
        path = url.path[len("/v1/"):] if url.path.startswith("/v1/") else url.path
        record = self.new_record(path)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        approle = self.config.get("approle")
        if approle is None or path != "auth/%s/login" % approle.get("mount", "approle"):
            self.reply(405, {"errors": ["unsupported operation"]}, record)
            return
        try:
            credentials = json.loads(body or b"{}")
        except ValueError:
            self.reply(400, {"errors": ["failed to parse JSON input"]}, record)
            return
        if (credentials.get("role_id") != approle["role_id"]
                or credentials.get("secret_id") != approle.get("secret_id")):
            self.reply(400, {"errors": ["invalid role or secret ID"]}, record)
            return
        token = approle["token"]
        entry = self.config["tokens"][token]
        auth = {
            "client_token": token,
            "accessor": str(uuid.uuid4()),
            "policies": entry.get("policies", ["default"]),
            "token_policies": entry.get("policies", ["default"]),
            "metadata": {"role_name": approle.get("role_name", "app")},
            "lease_duration": approle.get("lease_duration", 1200),
            "renewable": True,
            "entity_id": str(uuid.uuid4()),
            "token_type": "service",
            "orphan": True,
        }
        self.reply(200, envelope(auth=auth), record)

    def do_GET(self):
        url = urlsplit(self.path)
        path = url.path[len("/v1/"):] if url.path.startswith("/v1/") else url.path
        record = self.new_record(path)
        entry = self.token_entry(record)
        if entry is None:
            self.denied(record)
            return
        if path == "auth/token/lookup-self":
            data = {
                "accessor": "8609694a-cdbc-db9b-d345-e782dbb562ed",
                "creation_time": int(time.time()),
                "creation_ttl": entry.get("ttl", 0),
                "display_name": entry.get("display_name", "token"),
                "entity_id": "",
                "expire_time": None,
                "explicit_max_ttl": 0,
                "id": "[not shown]",
                "meta": None,
                "num_uses": 0,
                "orphan": False,
                "path": "auth/token/create",
                "policies": entry.get("policies", ["default"]),
                "renewable": False,
                "ttl": entry.get("ttl", 0),
                "type": "service",
            }
            self.reply(200, envelope(data=data), record)
            return
        if not any(fnmatch.fnmatchcase(path, p) for p in entry.get("paths", [])):
            self.denied(record)
            return
        if path in self.config.get("hang", []):
            time.sleep(60)  # longer than any client timeout the tests use
            return
        kv2 = self.config.get("kv2", {}).get(path)
        if kv2 is not None:
            version = kv2.get("version", 1)
            wanted = parse_qs(url.query).get("version", [str(version)])[0]
            if wanted not in ("0", str(version)):
                self.reply(404, {"errors": []}, record)
                return
            metadata = {
                "created_time": "2026-11-21T06:40:00.000000Z",
                "custom_metadata": None,
                "deletion_time": "",
                "destroyed": False,
                "version": version,
            }
            self.reply(200, envelope(data={"data": kv2["data"], "metadata": metadata}), record)
            return
        kv1 = self.config.get("kv1", {}).get(path)
        if kv1 is not None:
            self.reply(200, envelope(data=kv1["data"], lease_duration=kv1.get("ttl", 0)), record)
            return
        self.reply(404, {"errors": []}, record)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    with open(args.config, encoding="utf-8") as f:
        Handler.config = json.load(f)
    Handler.log_path = args.log
    open(args.log, "w").close()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
