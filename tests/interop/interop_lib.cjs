// SPDX-License-Identifier: MIT
// interop_lib.cjs: what the Node.js interop checks share: "ok"/"not ok" lines with a count, a real
// conclaved --dev started on a free loopback port (resolved once it prints where it listens) and
// stopped by its PID, a runner that bounds the whole check in time and exits with its verdict, the
// dev accounts as ethers wallets, JSON-RPC calls, and EIP-712 transactions signed by ethers.
'use strict';
const { spawn } = require('child_process');
const { ethers } = require('ethers');

const DEV_CHAIN_ID = 31337;
const MNEMONIC = 'test test test test test test test test test test test junk';

// Dev account i (the well-known Hardhat keys the dev chain funds) as an ethers wallet.
function devWallet(i) {
  return ethers.HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
}

// One JSON-RPC call (admin when token is given), at most 20 s; resolves to the whole response.
let nextId = 1;
async function rpc(url, method, params, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, signal: AbortSignal.timeout(20000),
                                 body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }) });
  return res.json();
}

// The EIP-712 member lists of the transactions the checks sign (docs/API.md).
const TX_TYPES = {
  PoolCreate: [{ name: 'commissionPpm', type: 'uint32' }, { name: 'capacity', type: 'uint256' }, { name: 'nonce', type: 'uint64' }],
  Contribute: [{ name: 'pool', type: 'uint64' }, { name: 'amount', type: 'uint256' }, { name: 'nonce', type: 'uint64' }],
  Delegate: [{ name: 'to', type: 'address' }, { name: 'conviction', type: 'uint8' }, { name: 'nonce', type: 'uint64' }],
  Propose: [{ name: 'track', type: 'string' }, { name: 'title', type: 'string' }, { name: 'body', type: 'string' },
            { name: 'payload', type: 'bytes' }, { name: 'nonce', type: 'uint64' }],
  Vote: [{ name: 'proposal', type: 'uint64' }, { name: 'support', type: 'uint8' }, { name: 'conviction', type: 'uint8' },
         { name: 'nonce', type: 'uint64' }],
  Ballot: [{ name: 'proposal', type: 'uint64' }, { name: 'choice', type: 'string' }, { name: 'conviction', type: 'uint8' },
           { name: 'nonce', type: 'uint64' }],
  SecretBallot: [{ name: 'proposal', type: 'uint64' }, { name: 'ciphertext', type: 'bytes' }, { name: 'conviction', type: 'uint8' },
                 { name: 'nonce', type: 'uint64' }],
};

// Signs type's message (without its nonce: the account's next, read from the node) with wallet for
// the dev chain and sends it through tx_send; resolves to the JSON-RPC response.
async function sendTyped(url, wallet, type, message) {
  const account = (await rpc(url, 'ledger_getAccount', { address: wallet.address })).result;
  const full = { ...message, nonce: String(account.nonce) };
  const domain = { name: 'Conclave', version: '1', chainId: DEV_CHAIN_ID };
  const signature = await wallet.signTypedData(domain, { [type]: TX_TYPES[type] }, full);
  return rpc(url, 'tx_send', { type, message: full, signature, from: wallet.address });
}

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

module.exports = { check, startNode, stopNode, run, DEV_CHAIN_ID, devWallet, rpc, TX_TYPES, sendTyped };
