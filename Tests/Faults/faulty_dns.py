"""A DNS server on loopback that answers every query wrongly, in one of the
ways a broken or hostile resolver path does, for the DNS fault campaign
(test_dns_faults.py). dns-serve.py answers correctly (or drops, or
SERVFAILs); this one is for what it cannot do: garbage, wrong IDs, cut
packets, TC loops, late replies, CNAME loops, nothing listening at all.

UDP and TCP on one port; `mode` may be changed while it runs. Standard
library only: replies are built from the query's own header and question."""

import os
import socket
import struct
import threading
import time

MODES = (
    "down",  # nothing listens: UDP gets ICMP port unreachable, TCP a reset
    "drop",  # listens, never answers
    "late",  # answers correctly (NXDOMAIN), after `late_seconds`
    "servfail",  # RCODE 2
    "refused",  # RCODE 5
    "formerr",  # RCODE 1
    "garbage",  # random bytes
    "empty",  # a zero-length datagram / a TCP reply of length 0
    "wrong_id",  # a right answer under another ID
    "wrong_question",  # the right ID, another name in the question
    "cut",  # a header promising an answer the packet does not hold
    "tc_loop",  # UDP says truncated; TCP says truncated again
    "tc_tcp_garbage",  # UDP says truncated; TCP sends a length and garbage
    "tc_tcp_drop",  # UDP says truncated; TCP accepts and never answers
    "tc_tcp_close",  # UDP says truncated; TCP closes at once
    "cname_loop",  # the name is a CNAME to itself
    "huge",  # a 9 KiB answer in one datagram, ignoring EDNS's 1232
)


def _question_end(query):
    """The offset just past the query's (first) question."""
    offset = 12
    while query[offset] != 0:
        offset += 1 + query[offset]
    return offset + 1 + 4


def _header(query_id, flags, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", query_id, flags, qd, an, ns, ar)


# QR=1, opcode 0, RD=1, RA=1
RESPONSE = 0x8180
TC = 0x0200


def reply_for(query, mode, tcp=False):
    """The bytes to answer `query` with in `mode` (None: say nothing)."""
    if len(query) < 12:
        return None
    query_id = struct.unpack("!H", query[:2])[0]
    try:
        end = _question_end(query)
    except IndexError:
        return None
    question = query[12:end]
    if mode in ("drop", "down"):
        return None
    if mode == "late":
        return _header(query_id, RESPONSE | 3) + question  # NXDOMAIN
    if mode == "servfail":
        return _header(query_id, RESPONSE | 2) + question
    if mode == "refused":
        return _header(query_id, RESPONSE | 5) + question
    if mode == "formerr":
        return _header(query_id, RESPONSE | 1) + question
    if mode == "garbage":
        return os.urandom(1 + int.from_bytes(os.urandom(1), "big"))
    if mode == "empty":
        return b""
    if mode == "wrong_id":
        return _header(query_id ^ 0x5A5A, RESPONSE | 3) + question
    if mode == "wrong_question":
        other = b"\x05other\x07example\x00" + question[-4:]
        return _header(query_id, RESPONSE | 3) + other
    if mode == "cut":
        # One TXT answer promised, the record cut after its name pointer.
        return _header(query_id, RESPONSE, an=1) + question + b"\xc0\x0c\x00\x10"
    if mode == "tc_loop" or (not tcp and mode.startswith("tc_")):
        return _header(query_id, RESPONSE | TC) + question
    if mode == "tc_tcp_garbage":
        return os.urandom(300)
    if mode == "cname_loop":
        # name CNAME name (compression pointer to the question's name).
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 60, 2) + b"\xc0\x0c"
        return _header(query_id, RESPONSE, an=1) + question + rr
    if mode == "huge":
        # 40 TXT records of 230 bytes: 9 KiB, far past the 1232 bytes the
        # query advertises and the 4096 a stub reads from one datagram.
        txt = bytes([229]) + b"v" * 229
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 60, len(txt)) + txt
        return _header(query_id, RESPONSE, an=40) + question + rr * 40
    raise ValueError(mode)


class FaultyDNS:
    """`FaultyDNS(port)`: serves `mode` on 127.0.0.1:`port` (UDP and TCP)
    until `close()`. Mode "down" closes the sockets, any other opens them."""

    def __init__(self, port, mode="drop", late_seconds=3.0):
        self.port = port
        self.late_seconds = late_seconds
        self.queries = 0
        self.lock = threading.Lock()
        self.udp = None
        self.tcp = None
        self.threads = []
        self.stopping = threading.Event()
        self.mode = None
        self.set_mode(mode)

    def set_mode(self, mode):
        assert mode in MODES, mode
        if mode == "down":
            self._close_sockets()
        elif self.udp is None:
            self._open_sockets()
        self.mode = mode

    def _open_sockets(self):
        self.stopping.clear()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.udp.settimeout(0.2)
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(64)
        self.tcp.settimeout(0.2)
        self.threads = [threading.Thread(target=self._serve_udp, args=(self.udp,), daemon=True),
                        threading.Thread(target=self._serve_tcp, args=(self.tcp,), daemon=True)]
        for t in self.threads:
            t.start()

    def _close_sockets(self):
        self.stopping.set()
        for t in self.threads:
            t.join()
        self.threads = []
        for s in (self.udp, self.tcp):
            if s is not None:
                s.close()
        self.udp = self.tcp = None

    def close(self):
        self._close_sockets()

    def _count(self):
        with self.lock:
            self.queries += 1

    def _serve_udp(self, sock):
        while not self.stopping.is_set():
            try:
                query, peer = sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self._count()
            mode = self.mode
            answer = reply_for(query, mode)
            if answer is None:
                continue
            if mode == "late":
                threading.Timer(self.late_seconds, self._send_late, args=(sock, answer, peer)).start()
                continue
            try:
                sock.sendto(answer, peer)
            except OSError:
                pass

    @staticmethod
    def _send_late(sock, answer, peer):
        try:
            sock.sendto(answer, peer)
        except OSError:
            pass

    def _serve_tcp(self, listener):
        while not self.stopping.is_set():
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._tcp_connection, args=(conn,), daemon=True).start()

    def _tcp_connection(self, conn):
        with conn:
            conn.settimeout(5)
            try:
                data = b""
                while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
                    chunk = conn.recv(65535)
                    if not chunk:
                        return
                    data += chunk
                self._count()
                mode = self.mode
                query = data[2:2 + struct.unpack("!H", data[:2])[0]]
                if mode == "tc_tcp_close":
                    return
                if mode in ("tc_tcp_drop", "drop"):
                    self.stopping.wait(10)
                    return
                answer = reply_for(query, mode, tcp=True)
                if answer is None:
                    return
                if mode == "late":
                    time.sleep(self.late_seconds)
                if mode == "tc_tcp_garbage":
                    conn.sendall(struct.pack("!H", 200) + answer)
                else:
                    conn.sendall(struct.pack("!H", len(answer) & 0xFFFF) + answer)
                self.stopping.wait(1)
            except OSError:
                return
