#!/usr/bin/env python3
"""A reference depin device in Python, written from docs/DEVICE-PROTOCOL.md.

It needs only the standard library, `cryptography` (Ed25519) and
`paho-mqtt` (1.x or 2.x), as Debian packages them:
apt-get install python3-cryptography python3-paho-mqtt.

    device.py --vectors wire/testdata/device-vectors.json
    device.py show  --key dev.key                 # creates the key if there is none
    device.py prove --key dev.key --owner depin1… --chain-id depin-devnet
    device.py run   --key dev.key --network solar --chain-id depin-devnet \\
                    --metric 1=1 --count 3 --interval 2 --mqtt 127.0.0.1:1883
    device.py run   --key dev.key --network solar --metric 1=1 --http http://127.0.0.1:8080

Everything protocol-specific is in the first half: key file, device id and
bech32, the hand-written protobuf encoder, the sign bytes. The rest is
plumbing: the sequence state, MQTT and HTTP publishing, the vectors check.
"""

import argparse
import hashlib
import json
import os
import struct
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# --- identity (§2) ----------------------------------------------------------

DEVICE_HRP = "depindev"
ACCOUNT_HRP = "depin"
KEY_WARNING = "unencrypted device key: anyone who can read this file can sign reports as this device"

BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_polymod(values):
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def _hrp_expand(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data, frm, to, pad):
    acc, bits, out, maxv = 0, 0, [], (1 << to) - 1
    for b in data:
        acc = (acc << frm) | b
        bits += frm
        while bits >= to:
            bits -= to
            out.append((acc >> bits) & maxv)
    if pad and bits:
        out.append((acc << (to - bits)) & maxv)
    elif not pad and (bits >= frm or (acc << (to - bits)) & maxv):
        raise ValueError("invalid padding")
    return out


def bech32_encode(hrp, data):
    """BIP-173 bech32 (checksum constant 1, not bech32m) of 8-bit data."""
    five = _convert_bits(data, 8, 5, True)
    pm = _bech32_polymod(_hrp_expand(hrp) + five + [0] * 6) ^ 1
    checksum = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_CHARSET[d] for d in five + checksum)


def bech32_decode(hrp, s):
    """The 8-bit data of a bech32 string with the given hrp."""
    s = s.lower()
    pos = s.rfind("1")
    if s[:pos] != hrp or len(s) - pos < 7:
        raise ValueError(f"{s!r} is not a bech32 string with prefix {hrp!r}")
    data = [BECH32_CHARSET.index(c) for c in s[pos + 1:]]
    if _bech32_polymod(_hrp_expand(hrp) + data) != 1:
        raise ValueError(f"{s!r}: bad bech32 checksum")
    return bytes(_convert_bits(data[:-6], 5, 8, False))


def device_id(public_key):
    """The device id: the first 20 bytes of SHA-256 of the public key."""
    return hashlib.sha256(public_key).digest()[:20]


class Key:
    def __init__(self, seed):
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        self.seed = seed
        self._priv = Ed25519PrivateKey.from_private_bytes(seed)
        self.public = self._priv.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.id = device_id(self.public)
        self.name = bech32_encode(DEVICE_HRP, self.id)

    def sign(self, message):
        return self._priv.sign(message)


def load_or_create_key(path):
    """Reads the key file the Go SDK writes (agent.SaveKey), or makes a new
    key and writes it there with mode 0600."""
    if os.path.exists(path):
        if os.stat(path).st_mode & 0o077:
            sys.exit(f"{path} is accessible to others: chmod 600 it")
        with open(path) as f:
            kf = json.load(f)
        if kf.get("version") != 1 or kf.get("type") != "ed25519":
            sys.exit(f"{path}: not a version 1 ed25519 device key file")
        key = Key(bytes.fromhex(kf["seed"]))
        if kf["public_key"] != key.public.hex() or kf["device"] != key.name:
            sys.exit(f"{path}: public key or device id does not match the seed")
        return key
    key = Key(os.urandom(32))
    doc = {"version": 1, "type": "ed25519", "device": key.name, "public_key": key.public.hex(),
           "seed": key.seed.hex(), "warning": KEY_WARNING}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(doc, indent=2) + "\n")
        f.flush()
        os.fsync(f.fileno())
    print(f"created {path}", file=sys.stderr)
    return key


# --- the report (§3) and its signature (§4) ---------------------------------

def varint(n):
    """Protobuf base-128 varint of a non-negative integer below 2^64."""
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def field_varint(num, value, signed=False):
    """A varint field, left out when zero. int64 is its 64-bit two's
    complement (a negative value takes 10 bytes), not zig-zag."""
    if value == 0:
        return b""
    if signed and value < 0:
        value += 1 << 64
    return varint(num << 3 | 0) + varint(value)


def field_bytes(num, value):
    """A length-delimited field, left out when empty."""
    if not value:
        return b""
    return varint(num << 3 | 2) + varint(len(value)) + value


def encode_report(network, public_key, seq, period_start, period_end, metrics):
    """The canonical Report: fields in number order, zero values left out,
    metrics in the order given, each a nested MetricValue."""
    out = field_bytes(1, network.encode("utf-8"))
    out += field_bytes(2, public_key)
    out += field_varint(3, seq)
    out += field_varint(4, period_start, signed=True)
    out += field_varint(5, period_end, signed=True)
    for metric_id, value in metrics:
        mv = field_varint(1, metric_id) + field_varint(2, value)
        # An all-zero MetricValue is still a metric: field 6 with length 0.
        out += varint(6 << 3 | 2) + varint(len(mv)) + mv
    return out


def encode_signed_report(report_bytes, signature):
    return field_bytes(1, report_bytes) + field_bytes(2, signature)


def sign_bytes(domain, chain_id, payload):
    c = chain_id.encode("utf-8")
    return domain.encode("ascii") + b"\x00" + varint(len(c)) + c + payload


def report_sign_bytes(chain_id, report_bytes):
    return sign_bytes("depin/report/v1", chain_id, report_bytes)


def possession_sign_bytes(chain_id, owner):
    return sign_bytes("depin/register/v1", chain_id, owner)


def topic(network, key):
    return f"depin/v1/{network}/{key.name}/report"


# --- the sequence state (§5) -------------------------------------------------

def load_state(path, key):
    if not os.path.exists(path):
        return {"device": key.name, "seq": 0, "period_end": 0}
    with open(path) as f:
        st = json.load(f)
    if st.get("device") != key.name:
        sys.exit(f"{path} belongs to device {st.get('device')}, not {key.name}")
    return st


def save_state(path, st):
    """Replaces the state file atomically and durably: called before a
    report leaves the device, so a restart never signs a used seq again."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix="." + os.path.basename(path))
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(st, indent=2) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dfd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


# --- publishing (§7, §8) -----------------------------------------------------

class Refused(Exception):
    """The gateway will never take this report: do not resend it."""


class TryLater(Exception):
    """The gateway cannot take the report now: resend the same bytes later."""


class MQTTPublisher:
    """MQTT 5, QoS 1, one PUBACK awaited per report. paho-mqtt 1.x does not
    hand the PUBACK reason code to on_publish, so there a small hook
    reads it off the packet; 2.x passes it to the callback."""

    def __init__(self, hostport, client_id):
        import paho.mqtt.client as mqtt
        self.mqtt = mqtt
        host, _, port = hostport.rpartition(":")
        self.codes = {}
        self.connected = threading.Event()
        self.connect_rc = None
        v2 = hasattr(mqtt, "CallbackAPIVersion")
        if v2:
            c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
            c.on_publish = lambda cl, ud, mid, rc, props: self.codes.__setitem__(mid, rc.value)
        else:
            codes = self.codes

            class Client(mqtt.Client):
                def _handle_pubackcomp(self, cmd):
                    pk = self._in_packet
                    if cmd == "PUBACK":
                        mid = struct.unpack("!H", pk["packet"][:2])[0]
                        # An MQTT 5 PUBACK may leave out the reason code: success.
                        codes[mid] = pk["packet"][2] if pk["remaining_length"] > 2 else 0
                    return super()._handle_pubackcomp(cmd)

            c = Client(client_id=client_id, protocol=mqtt.MQTTv5)

        def on_connect(cl, ud, flags, rc, props=None):
            self.connect_rc = rc
            self.connected.set()

        c.on_connect = on_connect
        c.connect(host, int(port), keepalive=30)
        c.loop_start()
        if not self.connected.wait(10):
            raise TryLater(f"no CONNACK from {hostport}")
        # A reason code object in paho 1.x and 2.x alike; 0 is success.
        if getattr(self.connect_rc, "value", self.connect_rc):
            raise Refused(f"CONNACK {self.connect_rc}")
        self.client = c

    def publish(self, network, key, payload):
        info = self.client.publish(topic(network, key), payload, qos=1)
        try:
            info.wait_for_publish(timeout=10)
        except (RuntimeError, ValueError) as e:  # not connected, queue full
            raise TryLater(str(e))
        if not info.is_published():
            raise TryLater("no PUBACK within 10 s")
        code = self.codes.pop(info.mid, 0)
        if code < 0x80:
            return f"PUBACK 0x{code:02x}"
        if code in (0x97, 0x83):  # quota exceeded, implementation specific
            raise TryLater(f"PUBACK 0x{code:02x}")
        raise Refused(f"PUBACK 0x{code:02x}")

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


class HTTPPublisher:
    def __init__(self, base):
        self.url = base.rstrip("/") + "/v1/reports"

    def publish(self, network, key, payload):
        req = urllib.request.Request(self.url, data=payload, method="POST",
                                     headers={"Content-Type": "application/octet-stream"})
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                return f"HTTP {resp.status} {resp.read().decode().strip()}"
        except urllib.error.HTTPError as e:
            body = e.read().decode(errors="replace").strip()
            if e.code in (408, 429) or e.code >= 500:
                raise TryLater(f"HTTP {e.code} {body}")
            raise Refused(f"HTTP {e.code} {body}")
        except OSError as e:
            raise TryLater(str(e))

    def close(self):
        pass


def chain_id_from_gateway(base):
    with urllib.request.urlopen(base.rstrip("/") + "/healthz", timeout=10) as resp:
        return json.load(resp)["chain_id"]


# --- commands ----------------------------------------------------------------

def cmd_show(args):
    key = load_or_create_key(args.key)
    print(json.dumps({"device": key.name, "public_key": key.public.hex()}))


def cmd_prove(args):
    key = load_or_create_key(args.key)
    owner = bech32_decode(ACCOUNT_HRP, args.owner)
    if len(owner) != 20:
        sys.exit("an owner address is 20 bytes")
    print(key.sign(possession_sign_bytes(args.chain_id, owner)).hex())


def parse_metric(s):
    i, _, v = s.partition("=")
    return int(i), int(v)


def cmd_run(args):
    key = load_or_create_key(args.key)
    chain_id = args.chain_id
    if not chain_id:
        if not args.http:
            sys.exit("--chain-id is needed with MQTT (with --http it is read from the gateway's /healthz)")
        chain_id = chain_id_from_gateway(args.http)
    state_path = args.state or args.key + ".state"
    st = load_state(state_path, key)
    pub = HTTPPublisher(args.http) if args.http else MQTTPublisher(args.mqtt, key.name)
    print(f"device {key.name} reporting to {args.http or 'mqtt://' + args.mqtt} on {chain_id}", file=sys.stderr)
    failed = 0
    try:
        for i in range(args.count):
            if i > 0:
                time.sleep(args.interval)
            end = int(time.time())
            # Periods never overlap: each starts where the last one ended
            # (or, for a new device, one interval ago).
            start = st["period_end"] or end - max(1, int(args.interval))
            while end <= start:
                time.sleep(0.2)
                end = int(time.time())
            seq = st["seq"] + 1
            report = encode_report(args.network, key.public, seq, start, end, args.metric)
            signed = encode_signed_report(report, key.sign(report_sign_bytes(chain_id, report)))
            # Stored before the report leaves: a seq is never signed twice.
            st = {"device": key.name, "seq": seq, "period_end": end}
            save_state(state_path, st)
            for attempt in range(5):
                try:
                    print(f"seq {seq} [{start}, {end}): {pub.publish(args.network, key, signed)}")
                    break
                except TryLater as e:
                    print(f"seq {seq}: {e}; resending the same bytes", file=sys.stderr)
                    time.sleep(1 + attempt)
                except Refused as e:
                    print(f"seq {seq}: refused: {e}", file=sys.stderr)
                    failed += 1
                    break
            else:
                failed += 1
    finally:
        pub.close()
    return 1 if failed else 0


def check_vectors(path):
    """Recomputes every vector of the file; returns the number of mismatches."""
    with open(path) as f:
        v = json.load(f)
    passed = failed = 0

    def check(name, what, got, want):
        nonlocal passed, failed
        if got == want:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {name}: {what}\n  got  {got}\n  want {want}")

    k = v["key"]
    key = Key(bytes.fromhex(k["seed"]))
    check("key", "public_key", key.public.hex(), k["public_key"])
    check("key", "public_key_sha256", hashlib.sha256(key.public).hexdigest(), k["public_key_sha256"])
    check("key", "device_id_hex", key.id.hex(), k["device_id_hex"])
    check("key", "device_id", key.name, k["device_id"])
    for r in v["reports"]:
        metrics = [(m["id"], int(m["value"])) for m in r["metrics"]]
        report = encode_report(r["network"], key.public, int(r["seq"]), int(r["period_start"]),
                               int(r["period_end"]), metrics)
        sb = report_sign_bytes(r["chain_id"], report)
        sig = key.sign(sb)
        check(r["name"], "report_bytes", report.hex(), r["report_bytes"])
        check(r["name"], "sign_bytes", sb.hex(), r["sign_bytes"])
        check(r["name"], "signature", sig.hex(), r["signature"])
        check(r["name"], "signed_report", encode_signed_report(report, sig).hex(), r["signed_report"])
        check(r["name"], "topic", topic(r["network"], key), r["topic"])
    for p in v["possession"]:
        owner = bech32_decode(ACCOUNT_HRP, p["owner"])
        check("possession", "owner_hex", owner.hex(), p["owner_hex"])
        check("possession", "owner bech32", bech32_encode(ACCOUNT_HRP, owner), p["owner"])
        sb = possession_sign_bytes(p["chain_id"], owner)
        check("possession", "sign_bytes", sb.hex(), p["sign_bytes"])
        check("possession", "signature", key.sign(sb).hex(), p["signature"])
    print(f"vectors: {passed} passed, {failed} failed")
    return failed


def main():
    ap = argparse.ArgumentParser(description="A reference depin device (docs/DEVICE-PROTOCOL.md).")
    ap.add_argument("--vectors", metavar="FILE", help="check the test vectors in FILE and exit (1 on a mismatch)")
    sub = ap.add_subparsers(dest="cmd")
    show = sub.add_parser("show", help="print the device id and public key (creating the key file if missing)")
    show.add_argument("--key", default="device.key")
    prove = sub.add_parser("prove", help="print the proof of possession for registering the device to --owner")
    prove.add_argument("--key", default="device.key")
    prove.add_argument("--owner", required=True, help="owner account, depin1…")
    prove.add_argument("--chain-id", required=True)
    run = sub.add_parser("run", help="sign and publish --count reports, one every --interval seconds")
    run.add_argument("--key", default="device.key")
    run.add_argument("--state", help="sequence state file (default: KEY.state)")
    run.add_argument("--network", required=True)
    run.add_argument("--chain-id", help="default with --http: the gateway's /healthz")
    run.add_argument("--metric", type=parse_metric, action="append", required=True,
                     help="ID=VALUE, the metric's total over each period (repeatable)")
    run.add_argument("--count", type=int, default=1)
    run.add_argument("--interval", type=float, default=10)
    run.add_argument("--mqtt", default="127.0.0.1:1883", help="gateway MQTT broker host:port")
    run.add_argument("--http", help="gateway base URL, e.g. http://127.0.0.1:8080 (instead of MQTT)")
    args = ap.parse_args()
    if args.vectors:
        return 1 if check_vectors(args.vectors) else 0
    if args.cmd == "show":
        return cmd_show(args)
    if args.cmd == "prove":
        return cmd_prove(args)
    if args.cmd == "run":
        return cmd_run(args)
    ap.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main() or 0)
