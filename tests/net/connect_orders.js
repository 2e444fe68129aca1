// connect_orders.js: the event orders test_connect.c checks, as Node 20 prints them.
// Run: node tests/net/connect_orders.js (needs python3 for the listener whose accept
// queue is full, the same trick as the C test: listen(fd, 0) plus one queued connection).
'use strict';
const net = require('net');
const { spawn } = require('child_process');

const EVENTS = ['lookup', 'connectionAttempt', 'connectionAttemptFailed',
  'connectionAttemptTimeout', 'connect', 'ready', 'error', 'close'];
const show = (x) => (x instanceof Error ? (x.code || x.constructor.name) : String(x));

function watch(name, s, log, onEv) {
  for (const e of EVENTS) {
    s.on(e, (...a) => {
      const args = a.filter((x) => x !== undefined).map(show).join(',');
      log.push(args ? `${e}(${args})` : e);
      if (e === 'error') s.__err = `${a[0].message} | ${a[0].localAddress}:${a[0].localPort}`;
      if (onEv) onEv(e, s);
      if (e === 'close') {
        const extra = s.autoSelectFamilyAttemptedAddresses ?
          ` attempted=[${s.autoSelectFamilyAttemptedAddresses.join(' ')}]` : '';
        console.log(`${name}: ${log.join(' ')}${extra}`);
        next();
      }
    });
  }
}

function run(name, opts, onEv) {
  const s = new net.Socket();
  const log = [];
  watch(name, s, log, onEv);
  s.connect(opts);
  return s;
}

// P: a server on 127.0.0.1 (::1:P closed); BH: ::1 with a full accept queue plus a
// server on 127.0.0.1:BH; Q: a port nobody listens on.
let P; let BH; let Q; let R; let srv; let srvBH;
const list = (...a) => (h, o, cb) => cb(null, a.map(([address, family]) => ({ address, family })));
const scenarios = [
  () => run('fallback', { host: 'h.test', port: P, lookup: list(['::1', 6], ['127.0.0.1', 4]) },
    (e, s) => e === 'connect' && s.destroy()),
  () => run('allfail', { host: 'h.test', port: Q, lookup: list(['::1', 6], ['127.0.0.1', 4]) }),
  () => run('timeout-refused', { host: 'h.test', port: BH, autoSelectFamilyAttemptTimeout: 10,
    lookup: list(['::1', 6], ['127.0.0.2', 4]) }),
  () => run('timeout', { host: 'h.test', port: BH, autoSelectFamilyAttemptTimeout: 10,
    lookup: list(['::1', 6], ['127.0.0.1', 4]) }, (e, s) => e === 'connect' && s.destroy()),
  () => run('destroy-attempt', { host: 'h.test', port: BH, lookup: list(['::1', 6], ['127.0.0.1', 4]) },
    (e, s) => e === 'connectionAttempt' && setImmediate(() => s.destroy())),
  () => {
    const s = run('destroy-lookup', { host: 'h.test', port: P,
      lookup: (h, o, cb) => setImmediate(() => cb(null, [{ address: '127.0.0.1', family: 4 }])) });
    s.destroy();
  },
  () => run('lookup-error', { host: 'h.test', port: P,
    lookup: (h, o, cb) => cb(Object.assign(new Error('nope'), { code: 'ENOTFOUND' })) }),
  () => run('bad-ip', { host: 'h.test', port: P, autoSelectFamily: false,
    lookup: (h, o, cb) => cb(null, 'not-an-ip', 4) }),
  () => run('bad-family', { host: 'h.test', port: P, autoSelectFamily: false,
    lookup: (h, o, cb) => cb(null, '127.0.0.1', 5) }),
  () => run('single', { host: 'h.test', port: P, autoSelectFamily: false,
    lookup: (h, o, cb) => { console.log('single lookup options', JSON.stringify(o)); cb(null, '127.0.0.1', 4); } },
    (e, s) => e === 'connect' && s.destroy()),
  () => run('one-address', { host: 'h.test', port: P, lookup: list(['127.0.0.1', 4], ['127.0.0.1', 4]) },
    (e, s) => e === 'connect' && s.destroy()),
  () => run('two-v4', { host: 'h.test', port: P, lookup: list(['127.0.0.2', 4], ['127.0.0.1', 4]) },
    (e, s) => e === 'connect' && s.destroy()),
  () => run('wrong-family', { host: 'h.test', port: P, autoSelectFamily: false,
    lookup: (h, o, cb) => cb(null, '::1', 4) },
  (e, s) => e === 'error' && console.log('wrong-family message:', s.__err)),
  () => run('skip-invalid', { host: 'h.test', port: P,
    lookup: list(['bad', 4], ['::1', 6], ['127.0.0.1', 5], ['127.0.0.1', 4]) },
    (e, s) => e === 'connect' && s.destroy()),
  () => run('localhost', { host: 'localhost', port: P }, (e, s) => e === 'connect' && s.destroy()),
  () => run('refused-single', { host: '127.0.0.1', port: Q }),
  () => run('local-refused', { host: '127.0.0.1', port: Q, localAddress: '127.0.0.1', localPort: R },
    (e, s) => e === 'error' && console.log('local-refused message:', s.__err)),
  () => {
    const s2 = net.createServer();
    s2.on('error', (e) => { console.log(`listen-name: error(${e.code}) ${e.message}`); next(); });
    s2.listen(0, 'localhost', () => {
      console.log(`listen-name: listening ${s2.address().address}`);
      s2.close(next);
    });
  },
];

function next() {
  const f = scenarios.shift();
  if (f) setImmediate(f); else { srv.close(); srvBH.close(); py.kill(); }
}

const py = spawn('python3', ['-c', `
import socket, sys
l = socket.socket(socket.AF_INET6); l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
l.bind(('::1', 0)); l.listen(0)
c = socket.socket(socket.AF_INET6); c.connect(('::1', l.getsockname()[1]))
print(l.getsockname()[1], flush=True); sys.stdin.read()`]);
py.stdout.once('data', (d) => {
  BH = Number(String(d).trim());
  srvBH = net.createServer((c) => c.destroy()).listen(BH, '127.0.0.1', () => {
    const q = net.createServer().listen(0, '127.0.0.1', () => {
      const r = net.createServer().listen(0, '127.0.0.1', () => {
        R = r.address().port;
        r.close();
      });
      Q = q.address().port;
      q.close();
      srv = net.createServer((c) => c.destroy()).listen(0, '127.0.0.1', () => {
        P = srv.address().port;
        next();
      });
    });
  });
});
