// SPDX-License-Identifier: MIT
// browser_check.cjs: the dashboard (GET /, node/dashboard.html) in a real browser, Debian's chromium
// driven by playwright-core, against a real conclaved --dev. The chain is set up with the CLI (a
// pool, two stakers, twelve transfers, a proposal with a hostile title, a poll); the page gets an
// injected EIP-1193 wallet backed by an ethers.js dev key (the test signs what the page asks it to,
// and checks the EIP-712 types it was given); a real conclave-worker earns the pool an epoch's
// rewards. Checks: the CSP, the latest blocks at once, the title shown as text, live updates without
// reload (state, tally), a vote and a ballot signed in the page landing with their receipts, a
// failed and a refused transaction's reasons, the pool (APR, rewards chart, a contribution), epoch
// (verified report) and account pages, a secret ballot sealed in the page (the ballot_box vectors
// byte for byte) and counted by the enclave, the phone layout, and no CSP violation,
// script error or request to elsewhere. Waits are bounded page.waitFor… calls, never sleeps. Saves
// screenshots of the main pages. Usage: browser_check.cjs CONCLAVED CONCLAVE CHROMIUM SCREENSHOT_DIR
// BALLOT_VECTORS (tests/vectors/ballot_box.json: the page must seal those ballots byte for byte).
'use strict';
const { check, startNode, stopNode, run } = require('./interop_lib.cjs');
const { chromium } = require('playwright-core');
const { ethers } = require('ethers');
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [daemon, cli, browserPath, shots, ballotVectors] = process.argv.slice(2);
const WAIT = 20000; // ms: the bound of every wait on the page
const HOSTILE = '<img src=x onerror="window.__pwned=1">Fund <b>docs</b>';
// Hardhat's well-known development keys 1 and 2 (funded on the dev chain).
const DEV1 = new ethers.Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const DEV2 = new ethers.Wallet('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');
const VOTE_TYPE = [{ name: 'proposal', type: 'uint64' }, { name: 'support', type: 'uint8' },
                   { name: 'conviction', type: 'uint8' }, { name: 'nonce', type: 'uint64' }];

function conclave(url, ...args) {
  return execFileSync(cli, ['--rpc', url, ...args], { encoding: 'utf8', timeout: 30000 });
}

// Base units as the page shows tokens: thousands separators, at most 4 decimals, cut.
function tokens(units) {
  const v = BigInt(units), one = 10n ** 18n;
  const frac = (v % one).toString().padStart(18, '0').slice(0, 4).replace(/0+$/, '');
  return (v / one).toLocaleString('en-US') + (frac ? '.' + frac : '');
}

// Starts conclave-worker (beside conclaved) for the node, serving operator, its key sealed in
// datadir/worker. waitLog(re) resolves once its stderr matches re, within WAIT.
function startWorker(url, datadir, operator) {
  const child = spawn(path.join(path.dirname(daemon), 'conclave-worker'), ['--node', url, '--operator', operator,
    '--platform-secret', path.join(datadir, 'platform.secret'), '--sealed-dir', path.join(datadir, 'worker'),
    '--bench-ms', '200', '--poll-ms', '100'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const worker = { child, log: '', waiters: [] };
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    worker.log += chunk;
    worker.waiters = worker.waiters.filter((w) => !(w.re.test(worker.log) && (w.resolve(), true)));
  });
  worker.waitLog = (re) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('conclave-worker did not log ' + re + ': ' + worker.log)), WAIT);
    const done = () => { clearTimeout(timer); resolve(); };
    if (re.test(worker.log)) done();
    else worker.waiters.push({ re, resolve: done });
  });
  worker.stop = () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.on('exit', resolve);
    child.kill('SIGTERM');
  });
  return worker;
}

async function rpc(url, method, params) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: params || {} }) });
  const body = await res.json();
  if (body.error) throw new Error(method + ': ' + body.error.message);
  return body.result;
}

// The wallet the page finds as window.ethereum: eth_requestAccounts gives DEV2's address and
// eth_signTypedData_v4 goes to the test (conclaveTestSign), which signs with DEV2's key. Like
// MetaMask it starts on chain 1 and signs only for the chain it is on, until the page switches it.
function injectWallet(address) {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) =>
    window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
  let chainId = '0x1';
  window.ethereum = {
    async request({ method, params }) {
      if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [address];
      if (method === 'eth_chainId') return chainId;
      if (method === 'wallet_switchEthereumChain') {
        chainId = params[0].chainId;
        return null;
      }
      if (method === 'eth_signTypedData_v4') {
        if (window.__rejectNext) {
          window.__rejectNext = false;
          throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
        }
        if (Number(JSON.parse(params[1]).domain.chainId) !== parseInt(chainId, 16))
          throw Object.assign(new Error('Provided chainId must match the active chainId ' + chainId), { code: -32602 });
        return window.conclaveTestSign(params[0], params[1]);
      }
      throw Object.assign(new Error('unsupported method ' + method), { code: 4200 });
    },
  };
}

async function main() {
  const datadir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-browser-'));
  const { child, url } = await startNode(daemon, datadir);
  let browser;
  try {
    conclave(url, 'pool', 'create', '--commission', '100000', '--capacity', '1000000', '--dev-key', '0');
    conclave(url, 'stake', 'contribute', '1', '500', '--dev-key', '1');
    conclave(url, 'stake', 'contribute', '1', '300', '--dev-key', '2');
    for (let i = 0; i < 12; i++)
      conclave(url, 'transfer', '0x90F79bf6EB2c4f870365E785982E1f101E93b906', '1', '--dev-key', '4');
    conclave(url, 'gov', 'propose', 'treasury', HOSTILE, '--body', 'a <script> in the body stays text', '--dev-key', '1');
    conclave(url, 'gov', 'propose', 'signal', 'Which colour?', '--payload',
             '{"kind":"poll","system":"single-choice","choices":["Red","Blue","Green"]}', '--dev-key', '1');
    conclave(url, 'gov', 'propose', 'signal', 'Secret colour', '--payload',
             '{"kind":"poll","system":"single-choice","choices":["Red","Blue","Green"],"secret":true}', '--dev-key', '1');
    const head = (await rpc(url, 'node_info')).height;

    browser = await chromium.launch({ executablePath: browserPath, headless: true,
      args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const signed = [];
    await context.exposeFunction('conclaveTestSign', async (from, json) => {
      if (from.toLowerCase() !== DEV2.address.toLowerCase()) throw new Error('the wallet holds ' + DEV2.address + ', not ' + from);
      const typed = JSON.parse(json);
      signed.push(typed);
      const types = Object.assign({}, typed.types);
      delete types.EIP712Domain;
      return DEV2.signTypedData(typed.domain, types, typed.message);
    });
    await context.addInitScript(injectWallet, DEV2.address);
    const page = await context.newPage();
    const pageErrors = [], elsewhere = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => { if (!r.url().startsWith(url + '/')) elsewhere.push(r.url()); });

    // Waits until the text of selector matches re; resolves to that text, or to what it was at the
    // end of the wait (prefixed "timed out: ").
    async function textOf(selector, re) {
      try {
        await page.waitForFunction(([s, src, flags]) => {
          const el = document.querySelector(s);
          return el && new RegExp(src, flags).test(el.textContent);
        }, [selector, re.source, re.flags], { timeout: WAIT });
        return await page.textContent(selector);
      } catch (e) {
        const el = await page.$(selector);
        return 'timed out: ' + (el ? await el.textContent() : 'no ' + selector);
      }
    }
    // Moves to a route of the page as a link would (the same document: the wallet stays connected).
    async function go(route) {
      await page.evaluate((r) => { location.hash = r; }, route);
    }
    async function shot(name) {
      await page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
    }

    const res = await page.goto(url + '/');
    const csp = (await res.allHeaders())['content-security-policy'] || '';
    check('GET / serves the page with a CSP that keeps it to this node', res.status() === 200 &&
          /default-src 'none'/.test(csp) && /connect-src 'self'/.test(csp) && /script-src 'sha256-/.test(csp) &&
          !csp.includes('unsafe-inline'), csp);

    const blockRows = await page.waitForFunction((n) => {
      const rows = [...document.querySelectorAll('#blocks tr')].slice(1);
      return rows.length === n && rows.map((r) => [Number(r.cells[0].textContent), r.cells[2].textContent]);
    }, 12, { timeout: WAIT }).then((h) => h.jsonValue(), () => null);
    const streamedBefore = await page.evaluate(() => document.querySelectorAll('#log').length &&
      document.querySelector('#log').textContent.includes('#'));
    check('the latest 12 blocks show at once, newest first, before any new block', blockRows !== null && !streamedBefore &&
          blockRows.every(([height], i) => height === head - i), JSON.stringify(blockRows));
    check('with their transactions\' types', blockRows !== null && blockRows.slice(0, 3).every(([, types]) => types === 'Propose') &&
          blockRows.slice(3).every(([, types]) => types === 'Transfer'), JSON.stringify(blockRows));
    const vectors = JSON.parse(fs.readFileSync(ballotVectors, 'utf8'));
    const sealed = await page.evaluate(({ key, ballots }) => Promise.all(ballots.map((b) => sealBallot({ ballotKey: key,
      chainId: b.chainId, proposal: b.proposal, voter: b.voter, choice: b.text, ephemeralSecret: b.ephemeralSecret, iv: b.iv }))),
    { key: vectors.ballotKey, ballots: vectors.ballots });
    check('the page seals secret ballots exactly as tests/vectors/ballot_box.json', vectors.ballots.length > 0 &&
          vectors.ballots.every((b, i) => sealed[i] === b.ciphertext), vectors.ballots.map((b, i) => b.name + ': ' + sealed[i]).join('; '));
    check('the header shows the chain', /^chain 31337 · height \d+ · /.test(await textOf('#status', /height/)));

    const title = await textOf('[data-proposal="1"] .ptitle', /Fund/);
    check('the hostile title is shown as text', title === HOSTILE, title);
    check('and makes no element: no <img>, no <b>, nothing ran', await page.evaluate(() =>
      document.querySelectorAll('img, .ptitle *').length === 0 && window.__pwned === undefined));
    check('the proposal is Pending, with a countdown to its vote',
          /Pending/.test(await textOf('[data-proposal="1"] .state', /Pending/)) &&
          /^voting opens in 1h 0m 0s$/.test(await textOf('[data-proposal="1"] .countdown', /voting opens/)));
    check('the poll is listed with its system', /poll \(single-choice\)/.test(await textOf('[data-proposal="2"]', /poll/)));
    await shot('overview');

    // Live: the clock opens the vote, a vote cast with the CLI changes the tally; no reload.
    await page.evaluate(() => { window.__sameDocument = true; });
    conclave(url, 'advance-time', '3600', '--datadir', datadir);
    check('the proposal turns Active live', /Active/.test(await textOf('[data-proposal="1"] .state', /Active/)));
    conclave(url, 'gov', 'vote', '1', 'for', '--conviction', '2', '--dev-key', '1');
    const tally = await textOf('[data-proposal="1"] .tally-text', /for 1,000 /);
    check('the vote arrives live: 500 staked at 2x for, approval 100%', /^for 1,000 · against 0 · abstain 0; approval 100.00%/.test(tally), tally);
    const turnout = await textOf('[data-proposal="1"] .turnout-text', /turnout 500 /);
    check('turnout 500 of 800 against a quorum of 80', /^turnout 500 of 800 \(62.50%\); quorum 80 ✓ reached/.test(turnout), turnout);
    check('its block and event show up live', /Vote/.test(await textOf('#blocks', /Vote/)) &&
          /governance VoteCast proposal=1/.test(await textOf('#log', /VoteCast/)));
    check('all without a reload', await page.evaluate(() => window.__sameDocument === true));

    // A vote signed in the page by the injected wallet.
    await page.click('#connect');
    check('the wallet connects', (await textOf('#walletbox', /acting as/)).includes('0x3C44…93BC'));
    await page.click('[data-proposal="1"] a');
    await page.waitForSelector('#vote-form', { timeout: WAIT });
    check('the proposal page shows its title as text', (await textOf('#proposal-title', /Fund/)) === HOSTILE);
    await page.selectOption('#vote-form select[name=support]', '0');
    await page.selectOption('#vote-form select[name=conviction]', '1');
    await page.evaluate(() => { window.__rejectNext = true; });
    await page.click('#vote-form button');
    const rejected = await textOf('#receipt-error', /rejected/);
    check('a signature the user refuses in the wallet sends nothing, and says so',
          rejected === 'User rejected the request.' && (await rpc(url, 'gov_getVote', { id: 1, voter: DEV2.address })) === null,
          rejected);
    await page.click('#vote-form button');
    const status = await textOf('#receipt-status', /success|failed/);
    check('the vote signed in the page lands (the wallet switched to chain 31337): its receipt shows', status === 'success',
          status);
    check('with its VoteCast event', /VoteCast proposal=1 voter=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC support=against conviction=1/
          .test(await textOf('#receipt', /VoteCast/)));
    const typed = signed[0] || {};
    check('the wallet was asked for the node\'s EIP-712 Vote', typed.primaryType === 'Vote' &&
          JSON.stringify(typed.types.Vote) === JSON.stringify(VOTE_TYPE) &&
          JSON.stringify(typed.domain) === JSON.stringify({ name: 'Conclave', version: '1', chainId: 31337 }) &&
          JSON.stringify(typed.message) === JSON.stringify({ proposal: '1', support: '0', conviction: '1', nonce: '1' }),
          JSON.stringify(typed));
    const vote = await rpc(url, 'gov_getVote', { id: 1, voter: DEV2.address });
    check('the node counts it: against, 300 at 1x', vote && vote.support === 'against' && vote.totalWeight === '300000000000000000000',
          JSON.stringify(vote));
    check('the page shows the new tally', /against 300 /.test(await textOf('#proposal .tally-text', /against 300 /)));
    check('and both votes', (await page.$$('#votes tr')).length === 3);
    await shot('proposal');

    // A ballot on the poll.
    await go('#/proposal/2');
    await page.waitForSelector('#ballot-form', { timeout: WAIT });
    await page.selectOption('#ballot-form select[name=choice]', '3');
    await page.selectOption('#ballot-form select[name=conviction]', '0');
    await page.click('#ballot-form button');
    check('a ballot signed in the page lands', (await textOf('#receipt-status', /success|failed/)) === 'success');
    check('and the poll results show it: Green 30 (300 at 0.1x), the winner',
          /3\. Green ★30/.test(await textOf('#results', /Green ★/)));
    await shot('poll');

    // A secret ballot, sealed in the page to the enclave's ballot key.
    await go('#/proposal/3');
    await page.waitForSelector('#ballot-form', { timeout: WAIT });
    await page.selectOption('#ballot-form select[name=choice]', '3');
    await page.selectOption('#ballot-form select[name=conviction]', '1');
    await page.click('#ballot-form button');
    const secretReceipt = await textOf('#receipt', /SecretBallotCast|failed|Not sent/);
    check('a secret ballot sealed and signed in the page lands', /SecretBallotCast proposal=3 voter=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC conviction=1/
          .test(secretReceipt), secretReceipt);
    const sealedTx = signed[signed.length - 1] || { message: {} };
    check('its ciphertext is 62 + 256 bytes, and the choice is nowhere in the signed message',
          sealedTx.primaryType === 'SecretBallot' && sealedTx.message.ciphertext.length === 2 + 2 * 318 &&
          !('choice' in sealedTx.message), JSON.stringify(sealedTx.message).slice(0, 200));
    check('its results stay sealed', /sealed until the enclave counts them/.test(await textOf('#results', /sealed/)));

    // An epoch in which the pool earns: a real conclave-worker registers for dev 0, joins pool 1
    // with its minimum stake (which dev 0 adds) bonded, and answers the six slots of epoch 1.
    const worker = startWorker(url, datadir, '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    let bond;
    try {
      await worker.waitLog(/registered for operator/);
      const address = worker.log.match(/worker (0x[0-9a-fA-F]{40}) measurement/)[1];
      const minStake = BigInt((await rpc(url, 'staking_getWorker', { worker: address })).minStake);
      bond = (minStake + 10n ** 18n - 1n) / 10n ** 18n;
      conclave(url, 'pool', 'add-worker', '1', address, '--dev-key', '0');
      conclave(url, 'stake', 'contribute', '1', String(bond), '--dev-key', '0');
      conclave(url, 'pool', 'bond', '1', address, String(bond), '--dev-key', '0');
      for (let slot = 0; slot < 6; slot++) {
        await worker.waitLog(new RegExp('heartbeat epoch 1 slot ' + slot + ':'));
        conclave(url, 'advance-time', '600', '--datadir', datadir);
      }
    } finally {
      await worker.stop();
    }
    const earned = (await rpc(url, 'staking_getPoolRewards', { pool: 1 })).rewards[0];
    check('epoch 1 paid the pool', earned.epoch === 1 && BigInt(earned.toStakers) > 0n, JSON.stringify(earned));

    // The pool: APR, the rewards chart, a contribution, a refusal.
    await go('#/pool/1');
    const apr = await textOf('#pool-apr', /epochs/);
    check('the pool page shows its APR over the two settled epochs', /^[1-9][\d,]*(\.\d+)?% \(2 epochs\)$/.test(apr), apr);
    const stake = (800n + bond).toLocaleString('en-US');
    check('its stake and commission', (await textOf('#pool', new RegExp('stake' + stake))).includes('stake' + stake) &&
          (await page.textContent('#pool')).includes('commission10%'), stake);
    const bars = await page.$$eval('#rewards-chart .epoch-bar', (gs) => gs.map((g) =>
      [g.querySelector('title').textContent, Number(g.querySelector('.stakers').getAttribute('height'))]));
    check('a chart of its rewards per epoch: nothing in epoch 0, epoch 1\'s rewards', bars.length === 2 && bars[0][1] === 0 &&
          bars[1][1] > 0 && bars[1][0].startsWith('epoch 1: paid in ' + tokens(earned.paidIn) + ', to stakers ' +
          tokens(earned.toStakers) + ', commission ' + tokens(earned.commission)), JSON.stringify(bars));
    check('its stakers', (await page.$$('#delegators tr')).length === 4);
    check('its worker, computing', /Computing/.test(await textOf('#workers', /Computing|Unresponsive|Ready/)));
    await page.fill('#contribute-form input[name=amount]', '10.5');
    await page.click('#contribute-form button');
    check('a contribution signed in the page lands', (await textOf('#receipt-status', /success|failed/)) === 'success');
    const grown = (810n + bond).toLocaleString('en-US') + '.5';
    check('and the pool shows its new stake', (await textOf('#pool', new RegExp('stake' + grown))).includes('stake' + grown));
    await page.fill('#withdraw-form input[name=shares]', '100000');
    await page.click('#withdraw-form button');
    const failed = await textOf('#receipt', /failed/);
    check('a failed transaction shows its receipt with the reason',
          /^Withdraw: failedonly 310500000000000000000 shares can be withdrawn/.test(failed), failed);
    await page.fill('#contribute-form input[name=amount]', '0.5');
    await page.click('#contribute-form button');
    const refusal = await textOf('#receipt-error', /minimum/);
    check('a refused one shows the node\'s reason', /^tx_send: .*minimum/.test(refusal), refusal);
    await page.fill('#withdraw-form input[name=shares]', '10.5');
    await page.click('#withdraw-form button');
    const paid = await textOf('#receipt', /WithdrawalPaid|failed/);
    check('a withdrawal of what the vote\'s lock leaves free is paid at once', paid.includes('WithdrawalPaid pool=1 staker=' +
          DEV2.address + ' shares=10.5 amount=10.5 sharesStillQueued=0'), paid);
    const claimable = (await rpc(url, 'ledger_getAccount', { address: DEV2.address })).claimable;
    await page.click('#withdraw-form button:text("Claim rewards")');
    const claimed = await textOf('#receipt', /Claimed/);
    check('a claim signed in the page moves the rewards settled by the contribution',
          BigInt(claimable) > 0n && claimed.includes('Claimed pool=1 staker=' + DEV2.address + ' amount=' + tokens(claimable)),
          claimed);
    await shot('pool');

    await go('#/pools');
    const row = await textOf('#pool-list tr:nth-child(2)', /epochs/);
    const cells = 'pool 1' + '0xf39F…2266' + (800n + bond).toLocaleString('en-US') + '10%';
    check('the pools page lists the pool: owner, stake, commission, APR, workers', row.startsWith(cells) &&
          /^[1-9][\d,.]*% \(2 epochs\)1$/.test(row.slice(cells.length)), row);
    await go('#/epochs');
    check('the epochs page lists both epochs, the latest first', /^epoch 1\d+30,000/.test(await textOf('#epoch-list tr:nth-child(2)', /epoch 1/)) &&
          /^epoch 0/.test(await textOf('#epoch-list tr:nth-child(3)', /epoch 0/)));
    await go('#/epoch/1');
    check('the epoch page shows the report verified', /✓ verified/.test(await textOf('#epoch-verified', /verified/)));
    const epochText = await textOf('#epoch', /poolEmission/);
    check('with its operations, the pool\'s emission among them', epochText.includes('poolEmissionpool 1' + tokens(earned.paidIn)),
          epochText);
    check('and its decoded inputs: the worker and its six slots answered', /6\/6/.test(epochText), epochText);
    await shot('epoch');

    await go('#/account/' + DEV1.address);
    const balances = (await textOf('#balances', /staked value/)).replace(/\s/g, '');
    check('the account page shows the balances', /^999,380free120escrow0claimable500stakedvalue500votingpower$/.test(balances),
          balances);
    check('its positions', /pool 1/.test(await textOf('#positions', /pool 1/)));
    check('its locks', /#1vote500/.test((await textOf('#locks', /vote/)).replace(/\s/g, '')));
    check('its votes', /#1for/.test((await textOf('#my-votes', /for/)).replace(/\s/g, '')));
    check('its history, newest first', /^Vote/.test(await textOf('#history tr:nth-child(2) td:nth-child(2)', /Vote/)));
    await shot('account');

    await go('#/account/' + DEV2.address);
    await page.click('#delegate-form button');
    const nonce = (await rpc(url, 'ledger_getAccount', { address: DEV2.address })).nonce;
    check('a delegation to no address is refused by the page, and nothing is signed',
          /^delegate to: an address, 0x and 40 hex digits$/.test(await textOf('#receipt-error', /delegate to/)) &&
          signed.every((t) => t.primaryType !== 'Delegate'));
    await page.fill('#delegate-form input[name=to]', DEV1.address);
    await page.selectOption('#delegate-form select[name=conviction]', '0');
    await page.click('#delegate-form button');
    const delegated2 = await textOf('#receipt', /Delegated|failed/);
    check('and with an address given, the delegation lands', delegated2.includes('Delegated delegator=' + DEV2.address +
          ' to=' + DEV1.address + ' conviction=0'), delegated2);
    check('the page then shows it', /delegates to 0x7099…79C8 with conviction 0/.test(await textOf('#delegation', /delegates to 0x/)));
    await page.click('#undelegate-form button');
    check('and undelegates', /Undelegated delegator=/.test(await textOf('#receipt', /Undelegated|failed/)));
    check('each with the next nonce', (await rpc(url, 'ledger_getAccount', { address: DEV2.address })).nonce === nonce + 2);
    await shot('account-wallet');

    // The vote closes: the enclave counts the secret poll, and its page shows the count live.
    await go('#/proposal/3');
    await page.waitForSelector('#results', { timeout: WAIT });
    conclave(url, 'advance-time', String(3 * 86400), '--datadir', datadir);
    const counted = await textOf('#results', /counted by enclave/);
    check('once closed, the enclave\'s count shows: Green 300 (300 at 1x), 1 valid', /3\. Green ★300/.test(counted) &&
          /1 ballot, total power 300; 1 valid, 0 invalid, counted by enclave 0x/.test(counted), counted);
    await shot('secret-poll');

    await page.setViewportSize({ width: 390, height: 844 });
    await go('#/');
    await page.waitForSelector('[data-proposal="1"]', { timeout: WAIT });
    check('on a phone the page fits the screen\'s width',
          await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
    await shot('overview-phone');

    check('no CSP violation', (await page.evaluate(() => window.__cspViolations)).length === 0,
          JSON.stringify(await page.evaluate(() => window.__cspViolations)));
    check('no script error', pageErrors.length === 0, pageErrors.join('; '));
    check('no request to anywhere but the node', elsewhere.length === 0, elsewhere.join(' '));
  } finally {
    if (browser) await browser.close();
    await stopNode(child);
    fs.rmSync(datadir, { recursive: true, force: true });
  }
}

run(main, 180000);
