// SPDX-License-Identifier: MIT
// ballot_box_interop.cjs: the JavaScript sealing of secret ballots (ballot_box.cjs: ethers.js and
// WebCrypto) against the C module ledger/ballot_box. It (a) reproduces every sealed ballot of the C
// vectors (tests/vectors/ballot_box.json) byte for byte from the same ephemeral secret and iv, and
// opens each; (b) seals ballots of every length class with fresh randomness to a file that the C
// peer (ballot_box_peer) opens, while the peer seals its own to a file that this script opens;
// each side also refuses the other's ballots under another proposal, voter or chain. Also the
// vectors' ballotsHash, recomputed as a verifier in JavaScript would.
// Usage: node ballot_box_interop.cjs VECTORS PEER SCRATCHDIR. Prints "N passed, N failed".
'use strict';
const { check, run } = require('./interop_lib.cjs');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { ethers } = require('ethers');
const box = require('./ballot_box.cjs');

const [vectorsPath, peer, scratch] = process.argv.slice(2);

// A ballot's text of n bytes: JSON-looking, so each length class is covered (256 pads to 256,
// 257 to 512, 2048 is the largest), and one of multi-byte UTF-8.
function textOf(n) {
  return n <= 1 ? '2' : `"${'x'.repeat(n - 2)}"`;
}

const TEXTS = [textOf(1), '[3,1,2]', '{"1":2.5,"3":1}', textOf(255), textOf(256), textOf(257), textOf(1000),
               textOf(2047), textOf(2048), '"ünïcødé ✓"'];

async function refuses(args) {
  try {
    await box.open(args);
    return false;
  } catch (e) {
    return true;
  }
}

async function checkVectors(vectors) {
  for (const v of vectors.ballots) {
    const made = await box.encrypt({ ballotKey: vectors.ballotKey, chainId: v.chainId, proposal: v.proposal, voter: v.voter,
                                     choice: v.text, ephemeralSecret: v.ephemeralSecret, iv: v.iv });
    check(`vector "${v.name}": sealed byte for byte as the C module seals it`, made === v.ciphertext.toLowerCase(),
          `${made} != ${v.ciphertext}`);
    check(`vector "${v.name}": the associated data`, ethers.hexlify(box.associatedData(v.chainId, v.proposal, v.voter)) === v.ad);
    const text = await box.open({ ballotSecret: vectors.ballotSecret, chainId: v.chainId, proposal: v.proposal,
                                  voter: v.voter, ciphertext: v.ciphertext });
    check(`vector "${v.name}": opens to its text`, text === v.text, text);
  }
  const h = vectors.ballotsHash;
  const listed = h.ballots.map((i, k) => ({ voter: vectors.ballots[i].voter, weight: h.weights[k],
                                             ciphertext: vectors.ballots[i].ciphertext }));
  check('the ballotsHash vector', box.ballotsHash(listed) === h.hash, box.ballotsHash(listed));
}

// Seals TEXTS with fresh randomness to a new ballot key; returns the file's contents.
async function sealForPeer() {
  const ballot = ethers.Wallet.createRandom().signingKey;
  const ballots = [];
  for (let i = 0; i < TEXTS.length; i++) {
    const b = { chainId: i % 2 ? 31337 : 1, proposal: 1000 + i, voter: ethers.Wallet.createRandom().address, text: TEXTS[i] };
    b.ciphertext = await box.encrypt({ ballotKey: ballot.compressedPublicKey, ...b, choice: b.text });
    ballots.push(b);
  }
  check('every JS-sealed ballot has a length the node takes, 62 + 256·k',
        ballots.every((b) => box.wellFormedLength(ethers.getBytes(b.ciphertext).length) &&
                             ethers.getBytes(b.ciphertext).length === 62 + 256 * Math.ceil(Buffer.byteLength(b.text) / 256)));
  return { ballotSecret: ballot.privateKey, ballotKey: ballot.compressedPublicKey, ballots };
}

async function openFromPeer(file, secret) {
  const theirs = JSON.parse(fs.readFileSync(file, 'utf8'));
  check('the C peer sealed every text', theirs.ballots.length === TEXTS.length, String(theirs.ballots.length));
  for (const [i, b] of theirs.ballots.entries()) {
    const args = { ballotSecret: secret, chainId: b.chainId, proposal: b.proposal, voter: b.voter, ciphertext: b.ciphertext };
    const text = await box.open(args).catch((e) => `(refused: ${e.message})`);
    check(`JS opens the C-sealed ballot ${i + 1} (${Buffer.byteLength(b.text)} bytes of text)`, text === TEXTS[i] && b.text === TEXTS[i],
          text.slice(0, 80));
    check(`JS refuses the C-sealed ballot ${i + 1} under another proposal, voter or chain`,
          await refuses({ ...args, proposal: b.proposal + 1 }) &&
          await refuses({ ...args, voter: ethers.Wallet.createRandom().address }) &&
          await refuses({ ...args, chainId: b.chainId + 1 }));
  }
}

async function main() {
  await checkVectors(JSON.parse(fs.readFileSync(vectorsPath, 'utf8')));
  const mine = await sealForPeer();
  const jsFile = path.join(scratch, 'js_sealed.json');
  const cFile = path.join(scratch, 'c_sealed.json');
  fs.writeFileSync(jsFile, JSON.stringify(mine, null, 1));
  let out;
  try {
    out = execFileSync(peer, [jsFile, cFile], { encoding: 'utf8', timeout: 30000 });
    check('the C peer opens every JS-sealed ballot and refuses them under other bindings', true);
  } catch (e) {
    out = e.stdout || '';
    check('the C peer opens every JS-sealed ballot and refuses them under other bindings', false, e.message);
  }
  process.stdout.write(out.split('\n').filter(Boolean).map((l) => `# peer: ${l}\n`).join(''));
  await openFromPeer(cFile, mine.ballotSecret);
}

run(main, 60000);
