// SPDX-License-Identifier: MIT
// secret_poll_interop.cjs: a whole secret poll with JavaScript as the voters' and the verifier's
// client, against a real conclaved --dev and its enclave started here. The enclave's attestation is
// checked with ethers alone (the quote by the platform key re-derived from platform.secret, the
// ballot key's signature by the quoted enclave, the allowlist); ballots are sealed with
// ballot_box.cjs (ethers ECDH, WebCrypto HKDF and AES-GCM) and signed by ethers as EIP-712
// SecretBallots: a delegate carrying a delegation, a re-vote, a ballot sealed to another key (it
// does not open) and one whose choice the poll cannot count. After the close: the scores, valid and
// invalid counts computed by hand, the report's bytes read and its signature recovered in
// JavaScript, the ballotsHash recomputed from gov_getSecretBallots. Last, `conclave verify-poll`
// passes against the node and fails through a proxy that misstates a score or drops a ballot.
// Usage: node secret_poll_interop.cjs CONCLAVED. Prints "N passed, N failed".
'use strict';
const { check, startNode, stopNode, run, DEV_CHAIN_ID, devWallet, rpc, sendTyped } = require('./interop_lib.cjs');
const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');
const crypto = require('crypto');
const { promisify } = require('util');
const execFile = promisify(require('child_process').execFile);
const { ethers } = require('ethers');
const box = require('./ballot_box.cjs');

const bin = process.argv[2];
const cliBin = path.join(path.dirname(bin), 'conclave');
const TOKEN = 10n ** 18n;
const CHAIN = DEV_CHAIN_ID;
const wallets = Array.from({ length: 7 }, (_, i) => devWallet(i));

// Signs type's message by dev account who and sends it; the receipt (one that fails is a failed check).
async function send(url, who, type, message) {
  const sent = await sendTyped(url, wallets[who], type, message);
  if (!sent.result || sent.result.status !== 'success')
    check(`${type} by dev ${who} applies`, false, JSON.stringify(sent));
  return sent.result;
}

// The enclave's attestation checked as a browser would: returns its ballot key, or null.
async function checkedBallotKey(url, datadir) {
  const att = (await rpc(url, 'enclave_getAttestation', {})).result;
  const quote = ethers.getBytes(att.quote);
  const secret = fs.readFileSync(path.join(datadir, 'platform.secret'));
  const platform = new ethers.Wallet(ethers.hexlify(Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0),
    Buffer.from('conclave-platform-attestation-v1'), 32)))).address;
  const digest = ethers.sha256(ethers.concat([ethers.toUtf8Bytes('conclave-quote-v1'), quote.slice(0, 105)]));
  const quoted = ethers.computeAddress(ethers.hexlify(ethers.concat(['0x04', quote.slice(33, 97)])));
  const quoteOk = ethers.recoverAddress(digest, ethers.Signature.from(ethers.hexlify(quote.slice(105, 170)))) === platform &&
                  quoted === att.enclave && ethers.toBigInt(quote.slice(97, 105)) === BigInt(CHAIN);
  check('the quote is the platform\'s, for this chain and the enclave the node names', quoteOk);
  const keyDigest = ethers.keccak256(ethers.concat([ethers.toUtf8Bytes('conclave ballot key v1'), ethers.toBeHex(CHAIN, 8), att.ballotKey]));
  const keyOk = ethers.getBytes(att.ballotKey).length === 33 && ethers.recoverAddress(keyDigest, att.ballotKeySignature) === att.enclave;
  check('the ballot key is signed by the quoted enclave for this chain', keyOk);
  check('the enclave is allowlisted', att.allowlisted === true);
  return quoteOk && keyOk && att.allowlisted ? { ballotKey: att.ballotKey, enclave: att.enclave } : null;
}

// The fields of a count report (docs/SECRET_BALLOTS.md), read in JavaScript.
function readReport(hex) {
  const b = ethers.getBytes(hex);
  const word = (at, n) => ethers.toBigInt(b.slice(at, at + n));
  const n = b[93];
  return { version: b[0], chainId: word(1, 8), proposal: word(9, 8), ballotsHash: ethers.hexlify(b.slice(17, 49)),
           count: Number(word(49, 4)), valid: Number(word(53, 4)), invalid: Number(word(57, 4)), totalPower: word(61, 32),
           scores: Array.from({ length: n }, (_, i) => word(94 + 32 * i, 32)), measurement: ethers.hexlify(b.slice(94 + 32 * n, 126 + 32 * n)),
           length: b.length, expected: 126 + 32 * n };
}

// A JSON-RPC proxy to url that rewrites the result of one method with edit; resolves its url.
function tamperingProxy(url, method, edit) {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', async () => {
      const asked = JSON.parse(body);
      const answer = await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json();
      if (asked.method === method && answer.result) edit(answer.result);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

// Runs conclave verify-poll; resolves {code, out}.
async function verifyPoll(rpcUrl, id, datadir) {
  try {
    const { stdout } = await execFile(cliBin, ['verify-poll', String(id), '--rpc', rpcUrl, '--datadir', datadir], { timeout: 20000 });
    return { code: 0, out: stdout };
  } catch (e) {
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

async function main() {
  const datadir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-secret-'));
  const { child, url } = await startNode(bin, datadir);
  try {
    const token = fs.readFileSync(path.join(datadir, '.cookie'), 'utf8').trim();
    const pool = (await send(url, 0, 'PoolCreate', { commissionPpm: '0', capacity: (10n ** 6n * TOKEN).toString() }))
      .events.find((e) => e.type === 'PoolCreated').pool;
    const stakes = { 1: 100n, 2: 250n, 3: 375n, 4: 1000n, 5: 7n, 6: 40n };
    for (const [who, tokens] of Object.entries(stakes))
      await send(url, Number(who), 'Contribute', { pool: String(pool), amount: (tokens * TOKEN).toString() });
    await send(url, 6, 'Delegate', { to: wallets[1].address, conviction: '3' }); // dev 1 carries 120 more
    const payload = ethers.hexlify(ethers.toUtf8Bytes(JSON.stringify({ kind: 'poll', system: 'single-choice',
                                                                        choices: ['A', 'B', 'C'], secret: true })));
    const id = (await send(url, 4, 'Propose', { track: 'signal', title: 'secret', body: '', payload }))
      .events.find((e) => e.type === 'ProposalCreated').proposal;
    await rpc(url, 'admin_advanceTime', { seconds: 3600 }, token);

    const enclave = await checkedBallotKey(url, datadir);
    if (!enclave) return;
    const seal = (who, choice, key = enclave.ballotKey) =>
      box.encrypt({ ballotKey: key, chainId: CHAIN, proposal: id, voter: wallets[who].address, choice });
    const cast = async (who, ciphertext, conviction) =>
      send(url, who, 'SecretBallot', { proposal: String(id), ciphertext, conviction: String(conviction) });
    const first = await cast(1, await seal(1, '2'), 1);                  // B: 100 + 120 delegated
    const ev = first.events.find((e) => e.type === 'SecretBallotCast');
    check('the SecretBallotCast event carries the power and the ciphertext\'s hash, never a choice',
          ev && ev.delegatedWeight === (120n * TOKEN).toString() && !('choice' in ev) && /^0x[0-9a-f]{64}$/.test(ev.ciphertextHash),
          JSON.stringify(ev));
    await cast(2, await seal(2, '1'), 1);
    const revote = await cast(2, await seal(2, '3'), 1);                 // re-voted: C, 250
    check('a re-vote is a SecretBallotChanged', revote.events.some((e) => e.type === 'SecretBallotChanged'), JSON.stringify(revote.events));
    const stranger = ethers.Wallet.createRandom().signingKey.compressedPublicKey;
    await cast(3, await seal(3, '1', stranger), 1);                      // sealed to another key: does not open, 375
    await cast(4, await seal(4, '7'), 1);                                // choice 7 of 3: cannot be counted, 1000
    await cast(5, await seal(5, '1'), 0);                                // A: 0.7 (conviction 0)
    const open = await rpc(url, 'gov_getResults', { id });
    check('before the close there are no scores', open.result && open.result.scores === null, JSON.stringify(open));
    await rpc(url, 'admin_advanceTime', { seconds: 3 * 86400 }, token);

    const res = (await rpc(url, 'gov_getResults', { id })).result;
    const tenth = TOKEN / 10n;
    const want = [(7n * tenth).toString(), (220n * TOKEN).toString(), (250n * TOKEN).toString()];
    check('the scores are the hand count: A 0.7, B 220, C 250', JSON.stringify(res.scores) === JSON.stringify(want), JSON.stringify(res));
    check('3 valid, 2 invalid of 5 ballots', res.validVotes === 3 && res.invalidVotes === 2 && res.totalVotes === 5, JSON.stringify(res));
    const total = 220n * TOKEN + 250n * TOKEN + 375n * TOKEN + 1000n * TOKEN + 7n * tenth;
    check('the turnout is every ballot\'s weight', BigInt(res.scoresTotal) === total, res.scoresTotal);
    check('the poll is final and secret, C wins', res.final === true && res.secret === true && res.winner === 3, JSON.stringify(res));

    const r = readReport(res.report);
    check('the report reads as version 1 of its length', r.version === 1 && r.length === r.expected, JSON.stringify(r, (k, v) => typeof v === 'bigint' ? v.toString() : v));
    check('the report is for this chain and poll, and carries the published counts', r.chainId === BigInt(CHAIN) && r.proposal === BigInt(id) &&
          r.count === 5 && r.valid === 3 && r.invalid === 2 && r.totalPower === total && r.measurement === res.measurement &&
          r.scores.every((s, i) => s === BigInt(want[i])));
    const digest = ethers.keccak256(ethers.concat([ethers.toUtf8Bytes('conclave poll count v1'), res.report]));
    check('the report\'s signature recovers to the attested enclave', ethers.recoverAddress(digest, res.signature) === enclave.enclave &&
          res.enclave === enclave.enclave);
    const ballots = [];
    for (let cursor; ;) {
      const page = (await rpc(url, 'gov_getSecretBallots', { id, limit: 2, ...(cursor ? { cursor } : {}) })).result;
      ballots.push(...page.ballots);
      if (!page.next || page.ballots.length === 0) break;
      cursor = page.next;
    }
    ballots.sort((a, b) => (a.voter.toLowerCase() < b.voter.toLowerCase() ? -1 : 1));
    const hash = box.ballotsHash(ballots.map((b) => ({ voter: b.voter, weight: BigInt(b.weight) + BigInt(b.delegatedWeight), ciphertext: b.ciphertext })));
    check('the ballotsHash recomputed from the published ballots is the report\'s and the results\'',
          ballots.length === 5 && hash === r.ballotsHash && hash === res.ballotsHash, `${hash} ${r.ballotsHash}`);

    const honest = await verifyPoll(url, id, datadir);
    check('conclave verify-poll verifies the count', honest.code === 0 && /poll \d+: verified/.test(honest.out), honest.out);
    const lying = await tamperingProxy(url, 'gov_getResults', (result) => { result.scores[0] = (7n * tenth + 1n).toString(); });
    const misstated = await verifyPoll(lying.url, id, datadir);
    check('verify-poll through a node that misstates a score fails its members check',
          misstated.code === 1 && /^FAIL +members /m.test(misstated.out) && /NOT verified/.test(misstated.out), misstated.out);
    lying.server.close();
    const hiding = await tamperingProxy(url, 'gov_getSecretBallots', (result) => { result.ballots = result.ballots.slice(1); });
    const dropped = await verifyPoll(hiding.url, id, datadir);
    check('verify-poll through a node that hides a ballot fails its ballots check',
          dropped.code === 1 && /^FAIL +ballots /m.test(dropped.out), dropped.out);
    hiding.server.close();
  } finally {
    await stopNode(child);
    fs.rmSync(datadir, { recursive: true, force: true });
  }
}

run(main, 120000);
