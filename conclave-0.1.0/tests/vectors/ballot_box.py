#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# ballot_box.py: makes tests/vectors/ballot_box.json, the sealed-ballot vectors of
# docs/SECRET_BALLOTS.md, with an implementation independent of ledger/ballot_box.c (Python's
# `cryptography`: secp256k1 ECDH, HKDF-SHA256, AES-256-GCM). Run: python3 ballot_box.py > ballot_box.json
import hashlib, json
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes, serialization

LABEL = b"conclave ballot v1"

def key(secret_hex):
    return ec.derive_private_key(int(secret_hex, 16), ec.SECP256K1())

def compressed(priv):
    return priv.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)

def seal(ballot_pub, chain_id, proposal, voter, text, eph, iv):
    E = compressed(eph)
    K = ballot_pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    shared = eph.exchange(ec.ECDH(), ballot_pub)  # the x-coordinate
    aes = HKDF(algorithm=hashes.SHA256(), length=32, salt=E + K, info=LABEL).derive(shared)
    ad = LABEL + chain_id.to_bytes(8, "big") + proposal.to_bytes(8, "big") + voter
    padded = text + b"\0" * (-len(text) % 256)
    return bytes([1]) + E + iv + AESGCM(aes).encrypt(iv, padded, ad), ad

ballot = key("2a" * 32)
K = compressed(ballot)
voters = [bytes.fromhex("f39fd6e51aad88f6f4ce6ab8827279cfffb92266"),
          bytes.fromhex("70997970c51812dc3a010c7d01b50e0d17dc79c8")]
cases = [
    ("single-choice", 31337, 7, voters[0], b"2", "11" * 32, "000102030405060708090a0b"),
    ("ranked-choice", 31337, 7, voters[1], b"[3,1,2]", "12" * 32, "0c0d0e0f1011121314151617"),
    ("weighted, spaces", 31337, 9, voters[0], b'{"1": 2.5, "3": 1}', "13" * 32, "ffeeddccbbaa998877665544"),
    ("exactly 256 bytes: no padding", 1, 1, voters[1], b"[" + b" " * 253 + b"1]", "14" * 32, "aaaaaaaaaaaaaaaaaaaaaaaa"),
    ("257 bytes: two blocks", 1, 2, voters[0], b"[" + b" " * 254 + b"1]", "15" * 32, "bbbbbbbbbbbbbbbbbbbbbbbb"),
    ("2048 bytes: the longest", 31337, 3, voters[1], b"[" + b" " * 2045 + b"1]", "16" * 32, "cccccccccccccccccccccccc"),
    ("UTF-8 text", 31337, 4, voters[0], "[\"é\"]".encode(), "17" * 32, "dddddddddddddddddddddddd"),
]
out = {"comment": "sealed ballots of docs/SECRET_BALLOTS.md, made by tests/vectors/ballot_box.py",
       "ballotSecret": "0x" + "2a" * 32, "ballotKey": "0x" + K.hex(), "ballots": []}
for name, chain, prop, voter, text, eph, iv in cases:
    ct, ad = seal(ballot.public_key(), chain, prop, voter, text, key(eph), bytes.fromhex(iv))
    out["ballots"].append({"name": name, "chainId": chain, "proposal": prop, "voter": "0x" + voter.hex(),
                           "text": text.decode(), "ephemeralSecret": "0x" + eph, "iv": "0x" + iv,
                           "ad": "0x" + ad.hex(), "ciphertext": "0x" + ct.hex()})
weights = [(10**18).to_bytes(32, "big"), (3 * 10**18 + 5).to_bytes(32, "big")]
h = hashlib.sha256()
for b, w in zip(out["ballots"][:2], weights):
    h.update(bytes.fromhex(b["voter"][2:]) + w + hashlib.sha256(bytes.fromhex(b["ciphertext"][2:])).digest())
out["ballotsHash"] = {"ballots": [0, 1], "weights": ["0x" + w.hex() for w in weights], "hash": "0x" + h.hexdigest()}
print(json.dumps(out, indent=1))
