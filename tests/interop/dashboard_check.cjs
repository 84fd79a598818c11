// SPDX-License-Identifier: MIT
// dashboard_check.cjs: the page conclaved serves at GET / (rpc/dashboard.html), run as a browser
// would run it, against a real conclaved --dev: its script is taken from the page and run in a
// Node vm with the three things it uses from a browser, given for real: fetch to the node, an
// EventSource reading the node's GET /events, and a minimal document whose elements keep what the
// page writes. Checks the headers, the first render (chain, proposals with a title that must come
// out escaped, pools, and the latest twelve of the chain's blocks before any new block comes), and
// that a vote cast with the CLI reaches the page live: the block, the event log and the proposal's
// new tally. Waits on the node's events and the page's own requests, never on timers. Prints "N
// passed, N failed".
'use strict';
const { check, startNode, stopNode, run } = require('./interop_lib.cjs');
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const vm = require('vm');

const [daemon, cli] = process.argv.slice(2);

function conclave(url, ...args) {
  return execFileSync(cli, ['--rpc', url, ...args], { encoding: 'utf8', timeout: 20000 });
}

// The browser side: a document, fetch with a count of the page's requests in flight, EventSource.
function browser(url) {
  const elements = {};
  const document = {
    getElementById: (id) => elements[id] || (elements[id] = { id, className: '', innerHTML: '', textContent: '' }),
  };
  // a request counts until its body is read; "settled" comes once none is left and the page's
  // code waiting on them has run (setImmediate runs after every pending promise callback)
  let inFlight = 0, idle = [];
  const done = () => {
    if (--inFlight === 0)
      setImmediate(() => { if (inFlight === 0) { idle.forEach((f) => f()); idle = []; } });
  };
  const pageFetch = async (p, opts) => {
    inFlight++;
    try {
      const res = await fetch(url + p, opts);
      const body = await res.text();
      return { status: res.status, json: async () => JSON.parse(body) };
    } finally {
      done();
    }
  };
  const settled = () => new Promise((resolve) => (inFlight === 0 ? setImmediate(resolve) : idle.push(resolve)));
  const waiters = [], sources = [];
  class EventSource {
    constructor(p) {
      this.listeners = {};
      sources.push(this);
      this.req = http.get(url + p, (res) => {
        if (this.onopen) this.onopen();
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          buf += chunk;
          let end;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const type = (frame.match(/^event: (.*)$/m) || [])[1], data = (frame.match(/^data: (.*)$/m) || [])[1];
            if (!type || data === undefined) continue;
            (this.listeners[type] || []).forEach((f) => f({ data }));
            for (const w of waiters.filter((w) => w.type === type && w.test(JSON.parse(data)))) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve();
            }
          }
        });
      });
      this.req.on('error', () => {});
    }
    addEventListener(type, f) { (this.listeners[type] = this.listeners[type] || []).push(f); }
    close() { this.req.destroy(); }
  }
  const waitFor = (type, test) => new Promise((resolve) => waiters.push({ type, test, resolve }));
  const close = () => sources.forEach((s) => s.close());
  return { document, fetch: pageFetch, EventSource, settled, waitFor, elements, close };
}

async function main() {
  const datadir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-dashboard-'));
  const { child, url } = await startNode(daemon, datadir);
  let page;
  try {
    conclave(url, 'pool', 'create', '--commission', '0', '--capacity', '1000000', '--dev-key', '0');
    conclave(url, 'stake', 'contribute', '1', '500', '--dev-key', '1');
    for (let i = 0; i < 12; i++)
      conclave(url, 'transfer', '0x90F79bf6EB2c4f870365E785982E1f101E93b906', '1', '--dev-key', '2');
    conclave(url, 'gov', 'propose', 'treasury', 'Fund <b>docs</b>', '--dev-key', '1');
    const head = (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(
      { jsonrpc: '2.0', id: 1, method: 'node_info' }) })).json()).result.height;

    const res = await fetch(url + '/');
    const html = await res.text();
    check('GET / serves the page', res.status === 200 && /text\/html/.test(res.headers.get('content-type')));
    check('with a content security policy that keeps it to this node',
          /default-src 'none'/.test(res.headers.get('content-security-policy') || '') &&
          /connect-src 'self'/.test(res.headers.get('content-security-policy') || ''));
    const script = (html.match(/<script>([\s\S]*)<\/script>/) || [])[1];
    check('the page carries its script inline', typeof script === 'string' && script.length > 100);
    const csp = res.headers.get('content-security-policy') || '';
    const sha = (text) => "'sha256-" + crypto.createHash('sha256').update(text, 'utf8').digest('base64') + "'";
    const style = (html.match(/<style>([\s\S]*?)<\/style>/) || [])[1] || '';
    check('the policy lets only that script and the page\'s style run, by their SHA-256',
          csp.includes('script-src ' + sha(script) + ';') && csp.includes('style-src ' + sha(style) + ';') &&
          !csp.includes('unsafe-inline'), csp);
    check('the page writes no inline style attribute (the policy refuses them)', !/style="/.test(script));

    page = browser(url);
    const opened = page.waitFor('block', () => true);
    let streamed = false;
    opened.then(() => { streamed = true; });
    vm.runInNewContext(script, { document: page.document, fetch: page.fetch, EventSource: page.EventSource, console });
    await page.settled();
    const el = page.elements;
    check('the header shows the chain', /^chain 31337 · height \d+ · /.test(el.chain.textContent), el.chain.textContent);
    check('the proposal is listed, Pending', /Pending/.test(el.proposals.innerHTML), el.proposals.innerHTML);
    check('its title is escaped', el.proposals.innerHTML.includes('Fund &lt;b&gt;docs&lt;/b&gt;') &&
          !el.proposals.innerHTML.includes('<b>docs'), el.proposals.innerHTML);
    const rows = [...(el.blocks ? el.blocks.innerHTML : '').matchAll(/<tr><td>(\d+)<\/td><td>[^<]*<\/td><td>([^<]*)<\/td>/g)];
    check('the latest 12 blocks show at once, newest first, before any new block',
          !streamed && rows.length === 12 && rows.every((r, i) => Number(r[1]) === head - i),
          el.blocks ? el.blocks.innerHTML : 'no blocks shown');
    check('with their transactions\' types', rows.length === 12 && rows[0][2] === 'Propose' &&
          rows.slice(1).every((r) => r[2] === 'Transfer'), rows.map((r) => r[1] + ' ' + r[2]).join('; '));
    check('the pool is listed with its stake', el.pools && /<td class="num">500<\/td>/.test(el.pools.innerHTML),
          el.pools ? el.pools.innerHTML : (el.live || {}).textContent);

    conclave(url, 'advance-time', '3600', '--datadir', datadir);
    await opened;
    const voted = page.waitFor('governance', (ev) => ev.type === 'VoteCast');
    conclave(url, 'gov', 'vote', '1', 'for', '--conviction', '2', '--dev-key', '1');
    await voted;
    await page.settled();
    check('the vote\'s block shows up live', /<td>Vote<\/td>/.test(el.blocks.innerHTML), el.blocks.innerHTML);
    check('and its event in the log', /governance VoteCast proposal=1/.test(el.log.innerHTML), el.log.innerHTML);
    check('and the new tally: 500 staked at 2x', /Active/.test(el.proposals.innerHTML) &&
          /<td class="num">1,000<\/td>/.test(el.proposals.innerHTML), el.proposals.innerHTML);
  } finally {
    if (page) page.close();
    await stopNode(child);
    fs.rmSync(datadir, { recursive: true, force: true });
  }
}

run(main, 60000);
