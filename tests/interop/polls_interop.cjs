// SPDX-License-Identifier: MIT
// polls_interop.cjs: the same ballots counted by conclaved and by snapshot.js's own scoring classes
// (@snapshot-labs/snapshot.js from npm, src/voting). A real conclaved --dev started here takes
// ethers-signed stakes, a delegation, polls of each of Snapshot's seven systems on the signal
// track with hand-made edge cases (ties, eliminations, empty and replaced ballots, fractional and
// zero weights, a delegator overriding its delegate) and ethers-signed Ballots; after the close,
// gov_getResults must give what snapshot.js computes from the standing ballots (gov_getVotes: each
// one's choice and power) to snapshot.js's floating-point precision, its scoresTotal exactly the
// ballots' power, and the same winner. Prints "N passed, N failed".
'use strict';
const { check, startNode, stopNode, run, devWallet, rpc, sendTyped } = require('./interop_lib.cjs');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ethers } = require('ethers');
const snapshot = require('@snapshot-labs/snapshot.js');

const bin = process.argv[2];
const TOKEN = 10n ** 18n;
const wallets = Array.from({ length: 8 }, (_, i) => devWallet(i));

// Signs type's message by dev account who and sends it; the receipt (one that fails is a failed check).
async function send(url, who, type, message) {
  const sent = await sendTyped(url, wallets[who], type, message);
  if (!sent.result || sent.result.status !== 'success')
    check(`${type} by dev ${who} applies`, false, JSON.stringify(sent));
  return sent.result;
}

// Each case: a system, its number of choices, and ballots [dev, choice as Snapshot writes it, conviction]
// in the order they are cast (a later one of the same dev replaces its earlier one).
// Stakes (tokens): dev 1 100, 2 250, 3 375, 4 1000, 5 7; dev 6 stakes 40 and delegates to dev 1 with
// conviction 3, so dev 1 carries 120 more weight.
const CASES = [
  ['single-choice', 3, [[1, '1', 1], [2, '2', 1], [3, '3', 1]]],
  ['single-choice', 3, [[2, '1', 4], [4, '2', 1]]],                                    // a tie: 1000 and 1000
  ['single-choice', 3, [[3, '3', 2], [4, '2', 0], [5, '2', 6], [3, '1', 2]]],          // replaced; conviction 0
  ['basic', 3, [[1, '1', 1], [2, '2', 1], [3, '3', 1]]],
  ['basic', 3, [[2, '1', 4], [4, '2', 1], [5, '3', 0]]],                               // a tie
  ['basic', 3, [[3, '1', 1], [3, '3', 1], [1, '2', 2]]],                               // replaced
  ['approval', 3, [[1, '[]', 1], [2, '[1,2,3]', 1], [3, '[2]', 1]]],                   // an empty ballot
  ['approval', 3, [[2, '[1]', 4], [4, '[2]', 1]]],                                     // a tie
  ['approval', 3, [[1, '[1,3]', 1], [6, '[2]', 2], [3, '[3,1]', 1]]],                  // a delegator overrides
  ['quadratic', 3, [[1, '{"1":0.5,"2":0.25}', 1], [3, '{"3":1.75}', 1]]],              // fractional weights
  ['quadratic', 3, [[4, '{"1":1,"2":1,"3":1}', 1]]],                                   // one voter, spread
  ['quadratic', 3, [[2, '{"2":3}', 1], [3, '{"1":1,"2":0.000000000000000001}', 2], [5, '{"3":10}', 6]]],
  ['ranked-choice', 4, [[4, '[2,1,3,4]', 1], [1, '[1,2,3,4]', 1], [5, '[3,4,1,2]', 1]]],  // a first-round majority
  ['ranked-choice', 4, [[1, '[1,2,3,4]', 1], [2, '[2,3,1,4]', 1], [3, '[3,1,2,4]', 1], [5, '[4,1,2,3]', 1]]],  // eliminations
  ['ranked-choice', 4, [[2, '[1,2,3,4]', 4], [4, '[2,1,3,4]', 1], [5, '[3,4,2,1]', 1], [1, '[4,3,2,1]', 0]]], // ties
  ['weighted', 3, [[1, '{"1":1,"2":2}', 1], [2, '{"3":0.3}', 1]]],                     // thirds, fractional
  ['weighted', 3, [[3, '{"1":0,"2":5}', 1], [4, '{"3":1}', 1]]],                       // a zero weight
  ['weighted', 3, [[5, '{"1":1,"2":1,"3":1}', 6], [2, '{"1":1,"2":1,"3":1}', 1], [2, '{"2":7}', 1]]],
  ['copeland', 3, [[1, '[1,2,3]', 1], [2, '[2,3,1]', 1], [3, '[3,1,2]', 1]]],          // a cycle
  ['copeland', 3, [[4, '[2,1,3]', 1], [1, '[1,2,3]', 1], [3, '[2,3,1]', 1]]],          // a Condorcet winner
  ['copeland', 4, [[2, '[1,2,3,4]', 4], [4, '[2,1,4,3]', 1], [5, '[4,3,2,1]', 1]]],    // tied pairs
];

function close(a, b) {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}

// snapshot.js's winner: the first of the highest scores (its results page sorts stably by score).
function winnerOf(scores) {
  let best = 0;
  scores.forEach((s, i) => { if (s > scores[best]) best = i; });
  return best + 1;
}

async function main() {
  const datadir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-polls-'));
  const { child, url } = await startNode(bin, datadir);
  try {
    const token = fs.readFileSync(path.join(datadir, '.cookie'), 'utf8').trim();
    const pool = (await send(url, 0, 'PoolCreate', { commissionPpm: '0', capacity: (10n ** 6n * TOKEN).toString() }))
      .events.find((e) => e.type === 'PoolCreated').pool;
    const stakes = { 1: 100n, 2: 250n, 3: 375n, 4: 1000n, 5: 7n, 6: 40n };
    for (const [who, tokens] of Object.entries(stakes))
      await send(url, Number(who), 'Contribute', { pool: String(pool), amount: (tokens * TOKEN).toString() });
    await send(url, 6, 'Delegate', { to: wallets[1].address, conviction: '3' });
    const ids = [];
    for (const [system, n] of CASES) {
      const choices = Array.from({ length: n }, (_, i) => system === 'basic' ? ['For', 'Against', 'Abstain'][i] : `c${i + 1}`);
      const payload = ethers.hexlify(ethers.toUtf8Bytes(JSON.stringify({ kind: 'poll', system, choices })));
      const r = await send(url, 4, 'Propose', { track: 'signal', title: system, body: '', payload });
      ids.push(r.events.find((e) => e.type === 'ProposalCreated').proposal);
    }
    await rpc(url, 'admin_advanceTime', { seconds: 3600 }, token);
    for (let k = 0; k < CASES.length; k++)
      for (const [who, choice, conviction] of CASES[k][2])
        await send(url, who, 'Ballot', { proposal: String(ids[k]), choice, conviction: String(conviction) });
    await rpc(url, 'admin_advanceTime', { seconds: 3 * 86400 }, token);

    for (let k = 0; k < CASES.length; k++) {
      const [system, n] = CASES[k];
      const res = (await rpc(url, 'gov_getResults', { id: ids[k] })).result;
      const standing = (await rpc(url, 'gov_getVotes', { id: ids[k], limit: 100 })).result.votes;
      const votes = standing.map((v) => {
        const balance = Number(BigInt(v.totalWeight)) / 1e18;
        return { choice: JSON.parse(v.choice), balance, scores: [balance] };
      });
      const counter = new snapshot.utils.voting[system]({ choices: res.choices }, votes, [{ name: 'stake', network: '1', params: {} }]);
      const theirs = counter.getScores();
      const ours = res.scores.map((s) => Number(BigInt(s)) / 1e18);
      const what = `${system} poll ${ids[k]} (case ${k + 1})`;
      check(`${what}: the scores agree with snapshot.js`, res.final && ours.length === n && ours.every((s, i) => close(s, theirs[i])),
            `ours ${JSON.stringify(ours)} snapshot.js ${JSON.stringify(theirs)}`);
      const power = standing.reduce((a, v) => a + BigInt(v.totalWeight), 0n);
      check(`${what}: scoresTotal is the ballots' power, as snapshot.js's getScoresTotal`,
            BigInt(res.scoresTotal) === power && close(Number(power) / 1e18, counter.getScoresTotal()),
            `${res.scoresTotal} ${counter.getScoresTotal()}`);
      check(`${what}: the same winner`, res.winner === winnerOf(ours) && (res.winner === winnerOf(theirs) ||
            close(theirs[res.winner - 1], theirs[winnerOf(theirs) - 1])), `${res.winner} ${JSON.stringify(theirs)}`);
    }
  } finally {
    await stopNode(child);
    fs.rmSync(datadir, { recursive: true, force: true });
  }
}

run(main, 120000);
