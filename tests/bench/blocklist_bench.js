// blocklist_bench.js: Node's side of the BlockList benchmark (tests/bench/run.sh).
//   node blocklist_bench.js gen SEED NRULES NPROBES RULES_FILE PROBES_FILE
//   node blocklist_bench.js check RULES_FILE PROBES_FILE BUDGET_MS
// gen writes a seeded mixed rule set and probe set, one per line:
//   rules:  "address ipv4 1.2.3.4", "range ipv6 START END", "subnet ipv4 NET PREFIX"
//   probes: "ipv4 1.2.3.4" (some are invalid for their family, as real input can be)
// check loads the rules into net.BlockList, checks the probes in order until BUDGET_MS
// is spent (or all are done) and prints one line of key=value pairs: how many probes it
// checked, the matches among them, an FNV-1a digest of the per-probe answers, and the
// rate. The C side checks the same first `checked` probes and must print the same
// matches and digest.
'use strict';
const fs = require('fs');
const net = require('net');

function prng(seed) {
  // mulberry32: small, seeded, the same sequence everywhere.
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const v4text = (n) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

// IPv6 addresses as 8 16-bit words; text via SocketAddress so it is canonical.
function v6text(w) {
  const s = w.map((x) => x.toString(16)).join(':');
  return new net.SocketAddress({ address: s, family: 'ipv6' }).address;
}

function gen(seed, nrules, nprobes) {
  const rnd = prng(seed);
  const int = (n) => Math.floor(rnd() * n);
  // IPv6 rules live under a few /32s so that ranges, subnets and probes meet.
  const tops = Array.from({ length: 16 }, () => [0x2000 + int(0x1000), int(0x10000)]);
  const v6rand = () => {
    const t = tops[int(tops.length)];
    return [t[0], t[1], int(16), int(0x10000), int(0x10000), int(0x10000), int(0x10000),
      int(0x10000)];
  };
  const v6add = (w, d) => {
    const r = w.slice();
    let carry = d;
    for (let i = 7; i >= 0 && carry; i--) {
      const x = r[i] + carry;
      r[i] = x & 0xffff;
      carry = Math.floor(x / 0x10000);
    }
    return r;
  };
  const rules = [];
  const seeds = []; // an address inside each rule, for probes that hit
  for (let i = 0; i < nrules; i++) {
    const k = rnd();
    if (k < 0.25) {
      const a = int(2 ** 32);
      rules.push(`address ipv4 ${v4text(a)}`);
      seeds.push(['v4', a]);
    } else if (k < 0.33) {
      const w = v6rand();
      rules.push(`address ipv6 ${v6text(w)}`);
      seeds.push(['v6', w]);
    } else if (k < 0.35) {
      const a = int(2 ** 32);
      rules.push(`address ipv6 ::ffff:${v4text(a)}`);
      seeds.push(['v4', a]);
    } else if (k < 0.55) {
      const a = int(2 ** 32 - 70000);
      rules.push(`range ipv4 ${v4text(a)} ${v4text(a + int(65536))}`);
      seeds.push(['v4', a]);
    } else if (k < 0.65) {
      const w = v6rand();
      rules.push(`range ipv6 ${v6text(w)} ${v6text(v6add(w, int(2 ** 20)))}`);
      seeds.push(['v6', w]);
    } else if (k < 0.85) {
      const p = 16 + int(17);
      const a = int(2 ** 32);
      rules.push(`subnet ipv4 ${v4text(a)} ${p}`);
      seeds.push(['v4', a]);
    } else if (k < 0.98) {
      const w = v6rand();
      rules.push(`subnet ipv6 ${v6text(w)} ${48 + int(81)}`);
      seeds.push(['v6', w]);
    } else {
      const a = int(2 ** 32);
      rules.push(`subnet ipv6 ::ffff:${v4text(a)} ${112 + int(17)}`);
      seeds.push(['v4', a]);
    }
  }
  const probes = [];
  for (let i = 0; i < nprobes; i++) {
    const near = nrules > 0 && rnd() < 0.5;
    const s = near ? seeds[int(seeds.length)] : null;
    const k = rnd();
    if (k < 0.55) {
      const a = s && s[0] === 'v4' ? (s[1] + int(5) - 2) >>> 0 : int(2 ** 32);
      probes.push(`ipv4 ${v4text(a)}`);
    } else if (k < 0.7) {
      const a = s && s[0] === 'v4' ? (s[1] + int(5) - 2) >>> 0 : int(2 ** 32);
      probes.push(`ipv6 ::ffff:${v4text(a)}`);
    } else if (k < 0.98) {
      const w = s && s[0] === 'v6' ? v6add(s[1], int(3)) : v6rand();
      probes.push(`ipv6 ${v6text(w)}`);
    } else {
      probes.push(k < 0.99 ? `ipv6 ${v4text(int(2 ** 32))}` : 'ipv4 1.2.3');
    }
  }
  return { rules, probes };
}

function load(file) {
  const bl = new net.BlockList();
  for (const line of fs.readFileSync(file, 'latin1').split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'address') bl.addAddress(f[2], f[1]);
    else if (f[0] === 'range') bl.addRange(f[2], f[3], f[1]);
    else if (f[0] === 'subnet') bl.addSubnet(f[2], Number(f[3]), f[1]);
  }
  return bl;
}

function check(rulesFile, probesFile, budgetMs) {
  const bl = load(rulesFile);
  const fams = [];
  const addrs = [];
  for (const line of fs.readFileSync(probesFile, 'latin1').split('\n')) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    fams.push(line.slice(0, sp));
    addrs.push(line.slice(sp + 1));
  }
  const budget = BigInt(budgetMs) * 1000000n;
  const t0 = process.hrtime.bigint();
  let checked = 0;
  let matches = 0;
  let digest = 0x811c9dc5;
  // First pass: the probes in order, for the answers both sides must agree on.
  while (checked < addrs.length) {
    const hit = bl.check(addrs[checked], fams[checked]);
    matches += hit ? 1 : 0;
    digest = Math.imul(digest ^ (hit ? 1 : 0), 0x01000193) >>> 0;
    checked++;
    if ((checked & 63) === 0 && process.hrtime.bigint() - t0 > budget) break;
  }
  // More passes while time remains, so that small rule sets are timed over many checks.
  let total = checked;
  while (process.hrtime.bigint() - t0 < budget) {
    for (let i = 0; i < checked; i++) bl.check(addrs[i], fams[i]);
    total += checked;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`checked=${checked} matches=${matches} digest=${digest} ` +
    `rate=${Math.round(total / secs)}`);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'gen') {
  const { rules, probes } = gen(Number(args[0]), Number(args[1]), Number(args[2]));
  fs.writeFileSync(args[3], rules.join('\n') + '\n');
  fs.writeFileSync(args[4], probes.join('\n') + '\n');
} else if (cmd === 'check') {
  check(args[0], args[1], Number(args[2]));
} else {
  console.error('usage: blocklist_bench.js gen|check ...');
  process.exit(100);
}
