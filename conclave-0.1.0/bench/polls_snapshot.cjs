// SPDX-License-Identifier: MIT
// polls_snapshot.cjs: bench_polls' other half: snapshot.js's own scoring classes count the ballots
// of FILE (a JSON array of {choice, balance}) as ranked-choice and as copeland over N choices, and
// print "system ms score..." for each, the best of 3 runs. snapshot.js is the one the interop test
// installs (tests/interop/node_modules, from the build directory), or SNAPSHOT_JS.
'use strict';
const fs = require('fs');
const path = require('path');
const snapshot = require(process.env.SNAPSHOT_JS || path.resolve('tests/interop/node_modules/@snapshot-labs/snapshot.js'));

const [file, n] = process.argv.slice(2);
const votes = JSON.parse(fs.readFileSync(file, 'utf8')).map((v) => ({ ...v, scores: [v.balance] }));
const choices = Array.from({ length: Number(n) }, (_, i) => `c${i + 1}`);
for (const system of ['ranked-choice', 'copeland']) {
  let best = Infinity, scores;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    scores = new snapshot.utils.voting[system]({ choices }, votes, [{ name: 'stake', network: '1', params: {} }]).getScores();
    best = Math.min(best, performance.now() - t0);
  }
  console.log(`${system} ${best.toFixed(3)} ${scores.join(' ')}`);
}
