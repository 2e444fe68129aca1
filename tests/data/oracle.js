#!/usr/bin/env node
// oracle.js: Node's answers for the address corpus, one canonical JSON line per case:
//   {"id":"<file>:<group>#<n>","result":...}
// in the order tests/diff/diff_driver.c computes libnetcore's answers for the same files.
//
//   node tests/data/oracle.js address-cases.json [random-cases.json ...]
//
// Results: isip {"isIP":4,"isIPv4":true,"isIPv6":false}; a SocketAddress {"sa":{address,
// port,family,flowlabel}}; an error {"error":{"code","message"}}; parse() giving undefined
// {"undefined":true}; a BlockList case, one result per step ({"ok":true}, {"check":bool},
// {"rules":[...]} or an error).
//
// Node 20 aborts on some inputs, so none is ever given to it in this process: each is a
// divergence record, checked in a child process that must abort. For every divergence the
// record says what libnetcore gives instead ("expect") and why; the oracle prints that,
// but only after checking that Node still does what the record says it does ("node"),
// so that a stale record fails the test instead of hiding a change.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const net = require('node:net');

function errorOf(e) {
  return { error: { code: e.code, message: e.message } };
}

function saJSON(s) {
  return { sa: { address: s.address, port: s.port, family: s.family, flowlabel: s.flowlabel } };
}

// Node 20 aborts in SocketAddress::set_flow_label on an IPv6 flow label above 0xFFFFF
// once the other checks passed. The same options with flow label 0 tell which applies.
function wouldAbort(o) {
  if (!(typeof o.family === 'string' && o.family.toLowerCase() === 'ipv6' &&
        o.flowlabel > 0xfffff && o.flowlabel <= 0xffffffff)) {
    return false;
  }
  try {
    new net.SocketAddress({ ...o, flowlabel: 0 });
  } catch {
    return false;
  }
  return true;
}

function socketAddress(o) {
  if (wouldAbort(o)) return 'abort';
  try {
    return saJSON(new net.SocketAddress(o));
  } catch (e) {
    return errorOf(e);
  }
}

function isip(s) {
  return { isIP: net.isIP(s), isIPv4: net.isIPv4(s), isIPv6: net.isIPv6(s) };
}

// Node 22's SocketAddress.parse(), on Node 20: lib/internal/socketaddress.js does
// exactly this with URL.parse(), which returns null where `new URL` throws.
function parse(input) {
  let url;
  try {
    url = new URL(`http://${input}`);
  } catch {
    return { undefined: true };
  }
  const { hostname: address, port } = url;
  try {
    if (address.startsWith('[') && address.endsWith(']')) {
      return saJSON(new net.SocketAddress({ address: address.slice(1, -1), port: port | 0,
        family: 'ipv6' }));
    }
    return saJSON(new net.SocketAddress({ address, port: port | 0 }));
  } catch {
    return { undefined: true };
  }
}

// A step's argument: text, or {"sa": options} for a SocketAddress object.
function arg(v) {
  if (v !== null && typeof v === 'object') {
    if (wouldAbort(v.sa)) throw new Error('abort');
    return new net.SocketAddress(v.sa);
  }
  return v;
}

function blockListStep(bl, st) {
  try {
    switch (st.op) {
      case 'addAddress': bl.addAddress(arg(st.address), st.family); return { ok: true };
      case 'addRange': bl.addRange(arg(st.start), arg(st.end), st.family); return { ok: true };
      case 'addSubnet':
        bl.addSubnet(arg(st.network), st.prefix, st.family);
        return { ok: true };
      case 'check': return { check: bl.check(arg(st.address), st.family) };
      case 'rules': return { rules: bl.rules };
      default: throw new Error(`unknown step ${st.op}`);
    }
  } catch (e) {
    if (e.message === 'abort') return 'abort';
    return errorOf(e);
  }
}

function blockList(steps) {
  const bl = new net.BlockList();
  const results = steps.map((st) => blockListStep(bl, st));
  return results.includes('abort') ? 'abort' : results;
}

const OPS = { isip, socketaddress: socketAddress, parse, blocklist: blockList };

// Runs the input in a child: true when Node really aborts on it.
function abortsInChild(op, input) {
  const code = `const net = require('node:net');
    const o = ${JSON.stringify(input)};
    ${op === 'socketaddress' ? 'new net.SocketAddress(o);' : 'process.exit(3);'}`;
  const r = spawnSync(process.execPath, ['-e', code], { stdio: 'ignore', timeout: 10000 });
  return r.signal === 'SIGABRT' || r.status === 134;
}

function divergence(d) {
  if (!OPS[d.op] || !d.reason || d.expect === undefined) {
    return { bad_record: 'needs op, input, reason and expect' };
  }
  const node = OPS[d.op](d.input);
  if (node === 'abort') {
    return d.node === 'abort' && abortsInChild(d.op, d.input) ? d.expect
      : { stale_record: 'Node 20 should abort here but does not, or it is not recorded' };
  }
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  if (same(node, d.expect) || (d.node !== undefined && !same(node, d.node))) {
    return { stale_record: { node_now: node, recorded: d.node } };
  }
  return d.expect;
}

// JSON cannot carry a lone surrogate to the C side (Node can cut a message inside a
// pair); it arrives as U+FFFD, as the C side writes it.
function emit(id, result) {
  const text = JSON.stringify({ id, result }, (k, v) =>
    (typeof v === 'string' ? v.toWellFormed() : v));
  process.stdout.write(`${text}\n`);
}

function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write('usage: oracle.js cases.json...\n');
    process.exit(2);
  }
  for (const file of files) {
    const cases = JSON.parse(fs.readFileSync(file, 'utf8'));
    const name = path.basename(file);
    for (const group of ['isip', 'socketaddress', 'parse', 'blocklist']) {
      (cases[group] || []).forEach((input, n) => {
        const r = OPS[group](input);
        emit(`${name}:${group}#${n}`, r === 'abort' ? { node_aborts: true } : r);
      });
    }
    (cases.divergences || []).forEach((d, n) => emit(`${name}:divergences#${n}`, divergence(d)));
  }
}

main();
