// SPDX-License-Identifier: MIT
// interop_lib.cjs: what the Node.js interop checks share: "ok"/"not ok" lines with a count, a real
// conclaved --dev started on a free loopback port (resolved once it prints where it listens) and
// stopped by its PID, and a runner that bounds the whole check in time and exits with its verdict.
'use strict';
const { spawn } = require('child_process');

let passed = 0, failed = 0;

function check(name, ok, detail) {
  if (ok) { passed++; console.log(`ok - ${name}`); }
  else { failed++; console.log(`not ok - ${name}${detail ? ': ' + detail : ''}`); }
}

// Starts daemon --dev on datadir; resolves {child, url}.
function startNode(daemon, datadir) {
  return new Promise((resolve, reject) => {
    const child = spawn(daemon, ['--dev', '--datadir', datadir, '--rpc-bind', '127.0.0.1:0'],
                        { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      const m = buf.match(/listening on (http:\/\/\S+)/);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`conclaved exited with ${code} before listening`)));
  });
}

// Sends SIGTERM to the node and waits for it to exit.
function stopNode(child) {
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}

// Runs main (async) within limitMs, prints the count and exits 0 only if every check passed.
function run(main, limitMs) {
  const timer = setTimeout(() => { console.log('not ok - timed out'); process.exit(1); }, limitMs);
  main().then(() => {
    clearTimeout(timer);
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  }, (err) => {
    clearTimeout(timer);
    console.log(`not ok - ${err.stack || err}`);
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(1);
  });
}

module.exports = { check, startNode, stopNode, run };
