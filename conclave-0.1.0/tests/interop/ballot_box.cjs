// SPDX-License-Identifier: MIT
// ballot_box.cjs: a secret ballot's encryption in JavaScript, as a dashboard would do it in a
// browser: ECDH with ethers.js (SigningKey.computeSharedSecret), HKDF-SHA256 and AES-256-GCM with
// WebCrypto (crypto.subtle), nothing from Node's own crypto module. The same bytes as the C module
// ledger/ballot_box (docs/SECRET_BALLOTS.md):
//   ciphertext = 0x01 || E (33, compressed ephemeral key) || iv (12) || C || tag (16)
//   S = x of e·K;  key = HKDF(IKM S, salt E || K, info "conclave ballot v1", 32 bytes)
//   AD = "conclave ballot v1" || chainId (8 BE) || proposal (8 BE) || voter (20)
//   plaintext = the choice's JSON text, then 0x00 up to a multiple of 256 bytes, at most 2048.
// And the hash of the ballots a count covers, as a verifier recomputes it:
//   ballotsHash = sha256( for each ballot in voter order: voter (20) || weight (32 BE) || sha256(ciphertext) )
'use strict';
const { ethers } = require('ethers');

const subtle = globalThis.crypto.subtle;
const LABEL = ethers.toUtf8Bytes('conclave ballot v1');
const VERSION = 1;
const PAD = 256;
const PLAIN_MAX = 2048;
const OVERHEAD = 1 + 33 + 12 + 16;   // 62: version, E, iv, tag
const ORDER = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');

function u64be(v) {
  const n = BigInt(v);
  if (n < 0n || n >= 1n << 64n) throw new RangeError(`${v} is not a uint64`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}

// The associated data that binds a ballot to its chain, proposal and voter.
function associatedData(chainId, proposal, voter) {
  return ethers.getBytes(ethers.concat([LABEL, u64be(chainId), u64be(proposal), ethers.getAddress(voter)]));
}

// The choice's UTF-8 text padded with 0x00 to the next multiple of 256 bytes.
function pad(choice) {
  const text = ethers.toUtf8Bytes(choice);
  if (text.length === 0 || text.length > PLAIN_MAX || text.includes(0))
    throw new RangeError('a choice is 1 to 2048 bytes of text without NUL');
  const out = new Uint8Array(Math.ceil(text.length / PAD) * PAD);
  out.set(text);
  return out;
}

// The text of a padded plaintext: up to its first NUL, every byte after which must be 0x00.
function unpad(plain) {
  const end = plain.indexOf(0);
  if (end === 0 || (end > 0 && plain.subarray(end).some((b) => b !== 0)))
    throw new Error('the plaintext is not a choice padded with zeros');
  return ethers.toUtf8String(end < 0 ? plain : plain.subarray(0, end));
}

// x of the ECDH point of secret (hex) and the public key (hex, any form), 32 bytes.
function sharedX(secret, publicKey) {
  return ethers.getBytes(new ethers.SigningKey(secret).computeSharedSecret(publicKey)).slice(1, 33);
}

// The AES-256-GCM key of a ballot: HKDF-SHA256 of S with salt E || K, by WebCrypto.
async function ballotAesKey(shared, ephemeral, ballotKey, usage) {
  const ikm = await subtle.importKey('raw', shared, 'HKDF', false, ['deriveBits']);
  const salt = ethers.getBytes(ethers.concat([ephemeral, ballotKey]));
  const bits = await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: LABEL }, ikm, 256);
  return subtle.importKey('raw', bits, { name: 'AES-GCM' }, false, [usage]);
}

function randomSecret() {
  for (;;) {
    const k = globalThis.crypto.getRandomValues(new Uint8Array(32));
    const n = ethers.toBigInt(k);
    if (n > 0n && n < ORDER) return ethers.hexlify(k);
  }
}

// Encrypts choice (the JSON text, as a Ballot carries it) for the voter's ballot on proposal,
// to ballotKey (33-byte compressed, 0x-hex). ephemeralSecret and iv are drawn at random unless
// given (the test vectors give them). Returns the ciphertext as 0x-hex.
async function encrypt({ ballotKey, chainId, proposal, voter, choice, ephemeralSecret, iv }) {
  const K = ethers.SigningKey.computePublicKey(ballotKey, true);
  const e = ephemeralSecret || randomSecret();
  const E = ethers.SigningKey.computePublicKey(e, true);
  const nonce = iv ? ethers.getBytes(iv) : globalThis.crypto.getRandomValues(new Uint8Array(12));
  if (nonce.length !== 12) throw new RangeError('the iv is 12 bytes');
  const key = await ballotAesKey(sharedX(e, K), E, K, 'encrypt');
  const sealed = await subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: associatedData(chainId, proposal, voter),
                                        tagLength: 128 }, key, pad(choice));
  return ethers.hexlify(ethers.concat([new Uint8Array([VERSION]), E, nonce, new Uint8Array(sealed)]));
}

// Whether a ciphertext has a length the node takes: 62 + 256·k bytes, k from 1 to 8.
function wellFormedLength(len) {
  const body = len - OVERHEAD;
  return body >= PAD && body <= PLAIN_MAX && body % PAD === 0;
}

// Opens a ciphertext (0x-hex) with the ballot secret (0x-hex): the choice's text. Throws if it is
// malformed, does not decrypt under this chain, proposal and voter, or is not padded as it should.
async function open({ ballotSecret, chainId, proposal, voter, ciphertext }) {
  const ct = ethers.getBytes(ciphertext);
  if (!wellFormedLength(ct.length) || ct[0] !== VERSION) throw new Error('not a version 1 ballot of a valid length');
  const E = ethers.hexlify(ct.slice(1, 34));
  const K = ethers.SigningKey.computePublicKey(ballotSecret, true);
  const key = await ballotAesKey(sharedX(ballotSecret, E), E, K, 'decrypt');
  const plain = await subtle.decrypt({ name: 'AES-GCM', iv: ct.slice(34, 46), additionalData: associatedData(chainId, proposal, voter),
                                       tagLength: 128 }, key, ct.slice(46));
  return unpad(new Uint8Array(plain));
}

// The ballotsHash of ballots [{voter, weight (a decimal string, bigint or 32-byte hex), ciphertext}],
// taken in the order given (the node's: voter addresses ascending).
function ballotsHash(ballots) {
  return ethers.sha256(ethers.concat(ballots.map((b) => ethers.concat([
    ethers.getAddress(b.voter), ethers.toBeHex(BigInt(b.weight), 32), ethers.sha256(b.ciphertext)]))));
}

module.exports = { encrypt, open, associatedData, pad, unpad, wellFormedLength, ballotsHash, OVERHEAD };
