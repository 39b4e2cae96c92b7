#!/usr/bin/python3
"""The system test's client, run inside the container (its network is private).

  client.py banner                 print the SMTP greeting of 127.0.0.1:25
  client.py setup ADDRESS URL      create an account, a session and a webhook;
                                   print the access token
  client.py domains TOKEN          print the account's domain names, one a line
  client.py send TO SUBJECT        send one message through 127.0.0.1:25
  client.py reload-keeps-connection
                                   open an SMTP session, `systemctl reload
                                   conduit`, then use the same session
"""
import json
import smtplib
import socket
import subprocess
import sys
import urllib.request

API = "http://127.0.0.1:8080/api/v1"


def call(method, path, body=None, token=None):
    request = urllib.request.Request(API + path, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read() or b"null")


def main(args):
    if args[0] == "banner":
        with socket.create_connection(("127.0.0.1", 25), timeout=10) as s:
            print(s.recv(512).decode().strip())
    elif args[0] == "setup":
        address, url = args[1], args[2]
        credentials = {"email": "ops@systest.example", "password": "correct horse battery"}
        status, _ = call("POST", "/accounts", credentials)
        assert status == 201, status
        status, session = call("POST", "/sessions", credentials)
        assert status == 200, status
        token = session["access_token"]
        status, hook = call("POST", "/webhooks", {"address": address, "target_url": url}, token)
        assert status == 201 and hook["address"] == address, (status, hook)
        print(token)
    elif args[0] == "domains":
        status, domains = call("GET", "/domains", token=args[1])
        items = domains["data"] if isinstance(domains, dict) else domains
        for d in items:
            print(d["name"])
    elif args[0] == "send":
        to, subject = args[1], args[2]
        message = f"From: sender@example.org\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nHello from the system test.\r\n"
        with smtplib.SMTP("127.0.0.1", 25, timeout=30) as smtp:
            refused = smtp.sendmail("sender@example.org", [to], message)
            assert not refused, refused
        print("250")
    elif args[0] == "reload-keeps-connection":
        with smtplib.SMTP("127.0.0.1", 25, timeout=30) as smtp:
            code, _ = smtp.ehlo("before.example")
            assert code == 250, code
            subprocess.run(["systemctl", "reload", "conduit"], check=True)
            code, _ = smtp.noop()
            assert code == 250, code
            code, _ = smtp.ehlo("after.example")
            assert code == 250, code
        print("connection survived the reload")
    else:
        sys.exit(f"unknown command {args[0]}")


if __name__ == "__main__":
    main(sys.argv[1:])
