// SPDX-License-Identifier: MIT
// ethers_interop.cjs: ethers.js, the library wallets and dapps use, signs EIP-712 transactions for
// a real conclaved started here on a free loopback port; the node must accept them exactly (one id
// whether v is 27/28 or the y parity 0/1), and refuse a replayed, a tampered, a wrong-chain and a
// high-s version; the audit needs the admin token. Then, independently of the C code, it checks the
// enclave's attestation (the platform key re-derived with Node's HKDF, the quote's signature,
// measurement and key) and the signature of a settled epoch's report. Last, the governance messages
// (string, bytes and uint8 members) signed by ethers: a delegation, a proposal and a vote that
// carries the delegated stake. Prints "N passed, N failed".
'use strict';
const { check, startNode, stopNode, run, devWallet, rpc, sendTyped } = require('./interop_lib.cjs');
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { ethers } = require('ethers');

const bin = process.argv[2];

const TYPES = { Transfer: [{ name: 'to', type: 'address' }, { name: 'amount', type: 'uint256' },
                           { name: 'nonce', type: 'uint64' }] };

async function signTransfer(wallet, chainId, to, amount, nonce) {
  const domain = { name: 'Conclave', version: '1', chainId };
  const message = { to, amount: amount.toString(), nonce: nonce.toString() };
  const signature = await wallet.signTypedData(domain, TYPES, message);
  const digest = ethers.TypedDataEncoder.hash(domain, TYPES, message);
  return { tx: { type: 'Transfer', message, signature, from: wallet.address }, digest };
}

// Signs the governance message type (string, bytes and uint8 members, as ethers encodes them) with
// wallet, sends it and checks that it applies; returns the receipt.
async function sendSigned(url, wallet, type, message) {
  const sent = await sendTyped(url, wallet, type, message);
  check(`an ethers-signed ${type} applies`, sent.result && sent.result.status === 'success', JSON.stringify(sent));
  return sent.result;
}

// Stake, a delegation with conviction, a proposal with a bytes payload and a vote, all signed by ethers.
async function checkGovernance(url, datadir, w0, w1) {
  const token = fs.readFileSync(path.join(datadir, '.cookie'), 'utf8').trim();
  const pool = (await sendSigned(url, w0, 'PoolCreate', { commissionPpm: '0', capacity: (10n ** 24n).toString() }))
    .events.find((e) => e.type === 'PoolCreated').pool;
  await sendSigned(url, w0, 'Contribute', { pool: String(pool), amount: (200n * 10n ** 18n).toString() });
  await sendSigned(url, w1, 'Contribute', { pool: String(pool), amount: (100n * 10n ** 18n).toString() });
  await sendSigned(url, w1, 'Delegate', { to: w0.address, conviction: '2' });
  const payload = ethers.hexlify(ethers.toUtf8Bytes(JSON.stringify({ kind: 'spend', to: w1.address, amount: '5' })));
  const created = (await sendSigned(url, w0, 'Propose', { track: 'treasury', title: 'Pay w1', body: 'ünïcode ok',
                                                          payload })).events.find((e) => e.type === 'ProposalCreated');
  await rpc(url, 'admin_advanceTime', { seconds: 3600 }, token);
  const cast = (await sendSigned(url, w0, 'Vote', { proposal: String(created.proposal), support: '1', conviction: '1' }))
    .events.find((e) => e.type === 'VoteCast');
  check('the delegate votes with its own stake and the delegated stake at its delegator\'s conviction',
        cast && cast.power === (200n * 10n ** 18n).toString() && cast.delegatedPower === (100n * 10n ** 18n).toString() &&
        cast.delegatedWeight === (200n * 10n ** 18n).toString(), JSON.stringify(cast));
}

// The enclave's quote and a settled report, verified with Node's crypto and ethers only.
async function checkEnclave(url, datadir) {
  const att = (await rpc(url, 'enclave_getAttestation', {})).result;
  check('the node shows its registered enclave', att && att.allowlisted === true, JSON.stringify(att));
  const quote = ethers.getBytes(att.quote);
  const secret = fs.readFileSync(path.join(datadir, 'platform.secret'));
  const platformKey = Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0),
                                                   Buffer.from('conclave-platform-attestation-v1'), 32));
  const platform = new ethers.Wallet(ethers.hexlify(platformKey)).address;
  const body = quote.slice(0, 105);
  const digest = ethers.sha256(ethers.concat([ethers.toUtf8Bytes('conclave-quote-v1'), body]));
  const sig = ethers.Signature.from(ethers.hexlify(quote.slice(105, 170)));
  check('the quote is signed by the platform key derived independently',
        ethers.recoverAddress(digest, sig) === platform);
  const binary = fs.readFileSync(path.join(path.dirname(bin), 'conclave-enclave'));
  const measurement = '0x' + crypto.createHash('sha256').update(binary).digest('hex');
  check('the quote measures the enclave binary on disk', ethers.hexlify(quote.slice(1, 33)) === measurement &&
        att.measurement === measurement, `${att.measurement} ${measurement}`);
  check('the quote names the enclave key that the node registered',
        ethers.computeAddress(ethers.hexlify(ethers.concat(['0x04', quote.slice(33, 97)]))) === att.enclave);
  check('the quote is for this chain', ethers.toBigInt(quote.slice(97, 105)) === 31337n);

  const token = fs.readFileSync(path.join(datadir, '.cookie'), 'utf8').trim();
  await rpc(url, 'admin_advanceTime', { seconds: 3600 }, token);
  const epoch = (await rpc(url, 'settlement_getEpoch', { epoch: 0 })).result;
  check('the first epoch is settled and verified by the node', epoch && epoch.verified.ok === true, JSON.stringify(epoch));
  const report = ethers.getBytes(epoch.report);
  const reportDigest = ethers.sha256(report.slice(0, report.length - 65));
  const reportSig = ethers.Signature.from(ethers.hexlify(report.slice(report.length - 65)));
  check('the report is signed by the attested enclave key', ethers.recoverAddress(reportDigest, reportSig) === att.enclave);
}

async function main() {
  const datadir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-interop-'));
  const { child, url } = await startNode(bin, datadir);
  try {
    const w0 = devWallet(0), w1 = devWallet(1);
    const info = (await rpc(url, 'node_info', {})).result;
    check('node serves chain 31337', info && info.chainId === 31337, JSON.stringify(info));
    const a0 = (await rpc(url, 'ledger_getAccount', { address: w0.address })).result;
    check('the mnemonic\'s first account is funded with 10^24', a0.free === '1000000000000000000000000', a0.free);

    const amount = 1500000000000000000n;
    const { tx, digest } = await signTransfer(w0, 31337, w1.address, amount, 0);
    const sent = await rpc(url, 'tx_send', tx);
    const r = sent.result;
    check('an ethers-signed Transfer is accepted', r && r.status === 'success', JSON.stringify(sent));
    const expectedHash = ethers.keccak256(ethers.concat([digest, tx.signature]));
    check('the transaction id is keccak256(digest || signature)', r && r.hash === expectedHash, r && r.hash);
    const ev = r && r.events && r.events[0];
    check('the receipt carries the Transfer event', ev && ev.type === 'Transfer' && ev.from === w0.address &&
          ev.to === w1.address && ev.amount === amount.toString(), JSON.stringify(r && r.events));
    const b0 = (await rpc(url, 'ledger_getAccount', { address: w0.address })).result;
    const b1 = (await rpc(url, 'ledger_getAccount', { address: w1.address })).result;
    check('balances moved exactly', BigInt(b0.free) === 10n ** 24n - amount && BigInt(b1.free) === 10n ** 24n + amount,
          `${b0.free} ${b1.free}`);
    check('the sender\'s nonce is now 1', b0.nonce === 1, String(b0.nonce));
    const stored = (await rpc(url, 'ledger_getTransaction', { hash: r.hash })).result;
    check('the stored transaction names its signer', stored && stored.sender === w0.address, JSON.stringify(stored));

    const replay = await rpc(url, 'tx_send', tx);
    check('a replay is refused with the expected nonce', replay.error && replay.error.code === -32001 &&
          replay.error.data && replay.error.data.expected === '1', JSON.stringify(replay));

    const next = await signTransfer(w0, 31337, w1.address, 1n, 1);
    const tampered = { ...next.tx, message: { ...next.tx.message, amount: '1000' } };
    const t = await rpc(url, 'tx_send', tampered);
    check('a tampered message is refused', t.error && t.error.code === -32002, JSON.stringify(t));

    const other = await signTransfer(w0, 1, w1.address, 1n, 1);
    const wc = await rpc(url, 'tx_send', other.tx);
    check('a signature for another chain is refused', wc.error && wc.error.code === -32002, JSON.stringify(wc));

    const sig = ethers.Signature.from(next.tx.signature);
    const n = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
    const highS = ethers.concat([sig.r, ethers.toBeHex(n - BigInt(sig.s), 32), sig.v === 27 ? '0x1c' : '0x1b']);
    const hs = await rpc(url, 'tx_send', { ...next.tx, signature: highS });
    check('a high-s signature is refused', hs.error && hs.error.code === -32002, JSON.stringify(hs));

    const parity = ethers.concat([sig.r, sig.s, sig.yParity ? '0x01' : '0x00']);
    const ok = await rpc(url, 'tx_send', { ...next.tx, signature: parity });
    check('the untampered next transaction still applies, v written as its y parity (0 or 1)',
          ok.result && ok.result.status === 'success', JSON.stringify(ok));
    check('its id is the one of its v = 27/28 form',
          ok.result && ok.result.hash === ethers.keccak256(ethers.concat([next.digest, next.tx.signature])),
          ok.result && ok.result.hash);
    const twin = await rpc(url, 'tx_send', next.tx);
    check('its v = 27/28 form is then a replay', twin.error && twin.error.code === -32001, JSON.stringify(twin));
    const token = fs.readFileSync(path.join(datadir, '.cookie'), 'utf8').trim();
    check('the audit needs the admin token', (await rpc(url, 'ledger_audit', {})).error?.code === -32004, 'no token');
    const audit = (await rpc(url, 'ledger_audit', {}, token)).result;
    check('the audit holds', audit && audit.ok === true, JSON.stringify(audit));

    await checkEnclave(url, datadir);
    await checkGovernance(url, datadir, w0, w1);
  } finally {
    await stopNode(child);
    fs.rmSync(datadir, { recursive: true, force: true });
  }
}

run(main, 60000);
