#!/usr/bin/env node
// gen-cases.js: the seeded random half of the address corpus, in the layout of
// address-cases.json. The same seed always gives the same cases, byte for byte.
//
//   node tests/data/gen-cases.js [--seed N] [--scale K] > random-cases.json
//
// Inputs that fall into a known divergence class (see address-cases.json "divergences")
// are written as divergence records: what libnetcore gives instead, and why. Knowing
// which class an input falls into needs Node's own answer, which is why this generator
// runs under node.
'use strict';

const net = require('node:net');

const args = process.argv.slice(2);
function argOf(name, def) {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
}
const SEED = argOf('--seed', 20240601);
const SCALE = argOf('--scale', 1);

// mulberry32: small, fast, and the same on every platform.
let state = SEED >>> 0;
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(rand() * n);
const pick = (a) => a[int(a.length)];
const chance = (p) => rand() < p;

// ---- address text ------------------------------------------------------------------

function octet() {
  return pick([0, 1, 9, 10, 99, 100, 127, 199, 200, 249, 250, 255, int(256), int(256)]);
}
function ipv4() {
  return [octet(), octet(), octet(), octet()].join('.');
}
function word() {
  return chance(0.4) ? 0 : pick([1, 0xffff, 0xfe80, int(0x10000), int(0x100)]);
}
function hexWord(w) {
  let s = w.toString(16);
  if (chance(0.15)) s = s.padStart(1 + int(4), '0');
  return chance(0.2) ? s.toUpperCase() : s;
}
function ipv6() {
  const words = Array.from({ length: 8 }, word);
  const tail = chance(0.2);
  const n = tail ? 6 : 8;
  const parts = words.slice(0, n).map(hexWord);
  if (tail) parts.push(ipv4());
  if (chance(0.7)) {
    // "::" over a random run of at least one word
    const from = int(n);
    const to = from + 1 + int(n - from);
    const head = parts.slice(0, from).join(':');
    const rest = parts.slice(to).join(':');
    return `${head}::${rest}`;
  }
  return parts.join(':');
}

const NOISE = ['0', '1', '9', 'a', 'f', 'F', 'g', 'x', 'X', ':', '::', '.', '%', '%eth0', ' ',
  '\n', '\t', '\0', '-', '_', '[', ']', '@', '/', '\\', '?', '#', '00', '255', '256', '0x',
  '\u00e9', '\uff11', '\u3002', '\u00ad', '\u{1f600}', '\u200b', '\u0660', '\u00a0'];

function mutate(s) {
  const n = 1 + int(3);
  for (let k = 0; k < n; k++) {
    const i = int(s.length + 1);
    switch (int(4)) {
      case 0: s = s.slice(0, i) + pick(NOISE) + s.slice(i); break;
      case 1: s = s.slice(0, i) + s.slice(i + 1); break;
      case 2: s = s.slice(0, i) + s.slice(i, i + 1 + int(3)) + s.slice(i); break;
      default: s = s.slice(0, i) + pick(NOISE) + s.slice(i + 1); break;
    }
  }
  // A cut inside a surrogate pair leaves half a character, which no UTF-8 input can be.
  return s.toWellFormed();
}

function soup() {
  let s = '';
  const n = int(12);
  for (let k = 0; k < n; k++) s += pick(NOISE);
  return s;
}

function zone() {
  const alphabet = 'abcxyzAZ09-.:_%/ \u00e9';
  let z = pick(['eth0', 'lo', '1', '', 'en0.1', 'a:b', 'a-b']);
  if (chance(0.3)) z += alphabet[int(alphabet.length)];
  return z;
}

function addressText() {
  switch (int(8)) {
    case 0: return ipv4();
    case 1: return ipv6();
    case 2: return `${ipv6()}%${zone()}`;
    case 3: return mutate(ipv4());
    case 4: return mutate(ipv6());
    case 5: return soup();
    case 6: return mutate(`${ipv6()}%${zone()}`);
    default: return chance(0.5) ? ipv4() : ipv6();
  }
}

// ---- SocketAddress -------------------------------------------------------------------

const FAMILIES = [undefined, 'ipv4', 'ipv6', 'IPv4', 'IPV6', 'iPv6', 'ipv5', '', 'foo', 'v6',
  "it's", 'a"\'b', 'x`${y}\'"', 'ipv4\n', ' ipv6', '\u0130pv4', 'ipv\u0664', '\x7f\x9f',
  'long '.repeat(30), 'l\n'.repeat(70), '\u{1f600}'.repeat(70)];

function port() {
  return pick([undefined, 0, 1, 80, 443, 65535, int(65536), int(65536), 65536, -1, -65536,
    2 ** 31, 2 ** 32, 2 ** 40, -(2 ** 40), 2 ** 53 - 1, -(2 ** 53 - 1)]);
}

function flowlabel() {
  if (chance(0.02)) return 0x100000 + int(0xfff00000);
  return pick([undefined, 0, 1, 0xfffff, int(0x100000), int(0x100000), 2 ** 32 - 1, 2 ** 32,
    2 ** 32 + 1, -1, 2 ** 40, -(2 ** 40), 2 ** 53 - 1]);
}

function saOptions() {
  const o = {};
  // Mostly valid families, ports and flow labels, so that the address checks get reached.
  const f = chance(0.75) ? pick([undefined, 'ipv4', 'ipv6', 'ipv6', 'IPv6', 'IPV4']) : pick(FAMILIES);
  if (f !== undefined) o.family = f;
  const v6 = typeof f === 'string' && f.toLowerCase() === 'ipv6';
  if (!chance(0.1)) o.address = chance(0.5) ? (v6 ? ipv6() : ipv4()) : addressText();
  const p = chance(0.8) ? pick([undefined, 0, int(65536)]) : port();
  if (p !== undefined) o.port = p;
  const l = chance(0.8) ? pick([undefined, 0, int(0x100000)]) : flowlabel();
  if (l !== undefined) o.flowlabel = l;
  return o;
}

function saResult(options) {
  try {
    const s = new net.SocketAddress(options);
    return { sa: { address: s.address, port: s.port, family: s.family, flowlabel: s.flowlabel } };
  } catch (e) {
    return { error: { code: e.code, message: e.message } };
  }
}

const crashRange = (o) => typeof o.family === 'string' && o.family.toLowerCase() === 'ipv6' &&
  o.flowlabel > 0xfffff && o.flowlabel <= 0xffffffff;
const zoneCut = (o) => typeof o.address === 'string' && o.address.indexOf('%') >= 40 &&
  typeof o.family === 'string' && o.family.toLowerCase() === 'ipv6';
const hasNul = (o) => typeof o.address === 'string' && o.address.includes('\0');

const REASON = {
  abort: 'Node 20 aborts (CHECK_LE(label, kLabelMask) in SocketAddress::set_flow_label) on ' +
    'an IPv6 flow label above 0xFFFFF; libnetcore gives the range error instead',
  nul: 'Node passes the address on as a C string and reads only what comes before the NUL; ' +
    'libnetcore refuses an address that holds a NUL byte',
  zone: 'libuv (uv_ip6_addr) cuts the text before "%" to 39 bytes, so Node reads another ' +
    'address than the one given; libnetcore reads it whole',
};

// One SocketAddress case: a plain case, or a divergence record.
function saCase(out) {
  const o = saOptions();
  const classes = [crashRange(o), zoneCut(o), hasNul(o)].filter(Boolean).length;
  if (classes > 1) return saCase(out);
  if (crashRange(o)) {
    const probe = saResult({ ...o, flowlabel: 0 });
    if (probe.error) {
      out.socketaddress.push(o);
      return;
    }
    out.divergences.push({ op: 'socketaddress', input: o, node: 'abort', reason: REASON.abort,
      expect: { error: { code: 'ERR_OUT_OF_RANGE', message: 'The value of "options.flowlabel" ' +
        `is out of range. It must be >= 0 && <= 1048575. Received ${o.flowlabel}` } } });
    return;
  }
  const node = saResult(o);
  if (hasNul(o) && node.sa) {
    out.divergences.push({ op: 'socketaddress', input: o, node, reason: REASON.nul,
      expect: { error: { code: 'ERR_INVALID_ADDRESS', message: 'Invalid socket address' } } });
    return;
  }
  if (zoneCut(o)) {
    const whole = saResult({ ...o, address: o.address.slice(0, o.address.indexOf('%')) });
    if (JSON.stringify(whole) !== JSON.stringify(node)) {
      out.divergences.push({ op: 'socketaddress', input: o, node, reason: REASON.zone,
        expect: whole });
      return;
    }
  }
  out.socketaddress.push(o);
}

// ---- SocketAddress.parse ------------------------------------------------------------

function ipv4Number(v, form) {
  switch (form) {
    case 0: return String(v);
    case 1: return `0x${v.toString(16)}`;
    case 2: return `0X${v.toString(16).toUpperCase()}`;
    case 3: return `0${v.toString(8)}`;
    default: return `${'0'.repeat(1 + int(3))}${v.toString(8)}`;
  }
}

function urlIPv4() {
  const n = 1 + int(chance(0.1) ? 6 : 4);
  const parts = [];
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    const max = last ? 2 ** (8 * (5 - n)) : 256;
    let v = chance(0.85) ? int(Math.min(max, 2 ** 32)) : pick([256, max, 2 ** 32, 0, 255]);
    if (chance(0.1)) v = max - 1;
    parts.push(ipv4Number(v, int(6)));
  }
  let s = parts.join('.');
  if (chance(0.1)) s += '.';
  if (chance(0.05)) s = s.replace('.', '..');
  return s;
}

const WIDE = { '0': '\uff10', '.': '\u3002', x: '\uff58', a: '\uff41', '1': '\u2460' };

function disguise(host) {
  let s = host;
  if (chance(0.1)) s = s.replace(/[0-9.xa1]/, (c) => WIDE[c] || c);
  if (chance(0.1)) s = s.replace(/[0-9.]/, (c) => `%${c.charCodeAt(0).toString(16)}`);
  if (chance(0.05)) s = s.toUpperCase();
  if (chance(0.05)) s = s.slice(0, 1) + '\u00ad' + s.slice(1);
  if (chance(0.05)) s = s.slice(0, 1) + '\t' + s.slice(1);
  return s;
}

function urlHost() {
  switch (int(6)) {
    case 0: case 1: return disguise(urlIPv4());
    case 2: return disguise(ipv4());
    case 3: return `[${ipv6()}]`;
    case 4: return mutate(`[${ipv6()}]`);
    default: return chance(0.5) ? mutate(urlIPv4()) : soup();
  }
}

function urlInput() {
  let s = '';
  if (chance(0.05)) s += pick(['/', '//', '\\', '/\\/']);
  if (chance(0.1)) s += pick(['u@', 'u:p@', '@', 'a@b@', 'x:@', ':@', '%40@']);
  s += urlHost();
  if (chance(0.5)) {
    s += `:${pick(['', '0', '80', '080', '443', '65535', '65536', String(int(65536)),
      '0000000000000000081', '99999999999', '1a', '-1', ' 1', '+1'])}`;
  }
  if (chance(0.2)) s += pick(['/', '/p?q#f', '?x', '#y', '\\z', '/:99', '?@1.2.3.4']);
  if (chance(0.1)) s += pick([' ', '\n', '\0', '\t ', '\x1f']);
  if (chance(0.05)) s = mutate(s);
  return s;
}

// Every IDNA mapping parse() relies on, checked in several places of a host.
function idnaCases(out) {
  const runs = [[0x80, 0x2fff], [0x3000, 0x33ff], [0xa000, 0xffff], [0x1d400, 0x1d7ff],
    [0x1f100, 0x1fbff], [0xe0000, 0xe01ff]];
  for (const [lo, hi] of runs) {
    for (let cp = lo; cp <= hi; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      let host;
      try {
        host = new URL(`http://x${ch}x`).hostname;
      } catch {
        host = '';
      }
      // The mapped ones, and a sample of the rest
      if (!/^x[0-9a-fx.]*x$/.test(host) && !chance(0.003)) continue;
      out.parse.push(`0x${ch}`, `1.2.3.${ch}`, `${ch}.1`, `1${ch}2`);
    }
  }
}

// ---- BlockList ------------------------------------------------------------------------

function nearV4() {
  return `10.0.${int(3)}.${pick([0, 1, 2, 127, 128, 254, 255, int(256)])}`;
}
function nearV6() {
  return pick([`::ffff:${nearV4()}`, `2001:db8::${int(4).toString(16)}`, '2001:db8::',
    `2001:db8:0:${int(3)}::1`, '::', '::1', `2001:db8::${hexWord(word())}`]);
}
function blFamily(v6) {
  if (chance(0.05)) return pick(['foo', 'IPV4', 'IpV6', '']);
  if (chance(0.3)) return undefined;
  return v6 ? pick(['ipv6', 'IPv6']) : 'ipv4';
}

function blStep() {
  const v6 = chance(0.4);
  // A NUL would make a divergence (see REASON.nul): those are hand-picked instead.
  const near = () => (v6 ? nearV6() : nearV4());
  const addr = () => (chance(0.05) ? mutate(near()).replace(/\0/g, '') : near());
  const step = {};
  switch (int(6)) {
    case 0: step.op = 'addAddress'; step.address = addr(); break;
    case 1: step.op = 'addRange'; step.start = addr(); step.end = addr(); break;
    case 2:
      step.op = 'addSubnet';
      step.network = addr();
      step.prefix = chance(0.9) ? int(v6 ? 129 : 33) : pick([-1, 33, 129, 2 ** 31, -(2 ** 40)]);
      break;
    case 3: return { op: 'rules' };
    default: step.op = 'check'; step.address = addr(); break;
  }
  const f = blFamily(v6);
  if (f !== undefined) step.family = f;
  return step;
}

function blCase() {
  const steps = [];
  const n = 2 + int(10);
  for (let i = 0; i < n; i++) steps.push(blStep());
  if (chance(0.5)) steps.push({ op: 'rules' });
  return steps;
}

// ---- main ---------------------------------------------------------------------------

function main() {
  const out = { seed: SEED, isip: [], socketaddress: [], parse: [], blocklist: [],
    divergences: [] };
  for (let i = 0; i < 4000 * SCALE; i++) out.isip.push(chance(0.5) ? addressText() : soup());
  for (let i = 0; i < 2500 * SCALE; i++) saCase(out);
  for (let i = 0; i < 4000 * SCALE; i++) out.parse.push(urlInput());
  for (let i = 0; i < 400 * SCALE; i++) out.blocklist.push(blCase());
  if (SCALE >= 1) idnaCases(out);
  process.stdout.write(`${JSON.stringify(out, null, 0)}\n`);
}

main();
