'use strict';
// trace.js: the Node half of the trace harness, twin of trace.h/trace.c. `node trace.js
// NAME` runs scenarios/NAME.js against node:net and prints its canonical trace (see
// README.md): per object, sorted by name, 'data' runs as byte totals, ports as
// <port:NAME>, the temp dir as <tmp>, abstract names as @name.
const fs = require('fs');
const net = require('net');
const path = require('path');

const DEADLINE_MS = 10000;

class Tracer {
  constructor() {
    this.objs = [];             // { name, obj, server, lines, pending, hasPending }
    this.ports = new Map();     // port -> name of its first owner
    this.conns = 0;
    this.recording = true;
    this.dir = fs.mkdtempSync('/tmp/nb-trace-');
    this.abstractPrefix = `nb-trace-${process.pid}-`;
  }

  find(obj) {
    return this.objs.find((o) => o.obj === obj);
  }

  add(name, obj, server) {
    const o = { name, obj, server, lines: [], pending: 0, hasPending: false };
    this.objs.push(o);
    return o;
  }

  object(name) {
    const o = this.objs.find((x) => x.name === name);
    return o ? o.obj : null;
  }

  name(obj) {
    const o = this.find(obj);
    return o ? o.name : '?';
  }

  flush(o) {
    if (o.hasPending) {
      o.lines.push(`data ${o.pending}`);
      o.pending = 0;
      o.hasPending = false;
    }
  }

  put(o, line) {
    if (!this.recording || !o) return;
    this.flush(o);
    o.lines.push(line);
  }

  log(obj, line) {
    const o = this.find(obj);
    if (!o) throw new Error(`trace: log on an untraced object: ${line}`);
    this.put(o, line);
  }

  // Node throws where C returns the error: "<what> threw CODE: message".
  threw(obj, what, fn) {
    try {
      return fn();
    } catch (e) {
      this.log(obj, `${what} threw ${e.code}: ${e.message}`);
      return undefined;
    }
  }

  port(p) {
    return `{p:${p}}`;
  }

  namePort(port, name) {
    if (!this.ports.has(port)) this.ports.set(port, name);
  }

  path(name) {
    if (name.startsWith('@')) return `\0${this.abstractPrefix}${name.slice(1)}`;
    return path.join(this.dir, name);
  }

  address(a) {
    if (a === null) return 'null';
    if (typeof a === 'string') return a;
    return `${a.address}:${this.port(a.port)} ${a.family}`;
  }

  error(e) {
    let s = `${e.code}`;
    if (typeof e.errno === 'number') s += ` errno=${e.errno}`;
    if (e.syscall !== undefined) s += ` syscall=${e.syscall}`;
    if (e.address) s += ` address=${e.address}`;
    let msg = e.message;
    // C's nc_error_t.port is -1 for "no port", and Node's pipe errors carry port -1:
    // both mean the same to a caller, and both print no port.
    if (typeof e.port === 'number' && e.port !== -1) {
      s += ` port=${this.port(e.port)}`;
      msg = msg.replace(new RegExp(`(?<![0-9])${e.port}(?![0-9])`, 'g'), this.port(e.port));
    }
    return `${s} message=${msg}`;
  }

  socket(name, opts) {
    return this.track(name, new net.Socket(opts));
  }

  track(name, s) {
    const o = this.add(name, s, false);
    s.on('connect', () => {
      if (s.localPort !== undefined) this.namePort(s.localPort, name);
      this.put(o, 'connect');
    });
    for (const ev of ['ready', 'end', 'finish', 'drain', 'timeout']) {
      s.on(ev, () => this.put(o, ev));
    }
    s.on('data', (d) => {
      if (this.recording) {
        // A string (setEncoding) counts as its UTF-8 bytes, the length of C's text.
        o.pending += typeof d === 'string' ? Buffer.byteLength(d) : d.length;
        o.hasPending = true;
      }
    });
    s.on('error', (e) => this.put(o, `error ${this.error(e)}`));
    s.on('close', (hadError) => this.put(o, `close hadError=${hadError}`));
    s.on('lookup', (err, address, family, host) => {
      const f = family === undefined ? 'undefined' : family;
      this.put(o, `lookup ${err ? err.code : 'null'} ${address} ${f} ${host}`);
    });
    for (const ev of ['connectionAttempt', 'connectionAttemptFailed', 'connectionAttemptTimeout']) {
      s.on(ev, (ip, port, family, e) => {
        const err = e ? ` ${this.error(e)}` : '';
        const p = port === undefined ? 'undefined' : this.port(port);
        this.put(o, `${ev} ${ip} ${p} ${family}${err}`);
      });
    }
    return s;
  }

  server(name, opts) {
    const srv = net.createServer(opts);
    const o = this.add(name, srv, true);
    srv.on('listening', () => {
      const a = srv.address();
      if (a !== null && typeof a === 'object') this.namePort(a.port, name);
      this.put(o, `listening ${this.address(a)}`);
    });
    srv.on('connection', (s) => {
      const cname = `conn${++this.conns}`;
      this.track(cname, s);
      this.put(o, `connection ${cname}`);
    });
    srv.on('close', () => this.put(o, 'close'));
    srv.on('error', (e) => this.put(o, `error ${this.error(e)}`));
    srv.on('drop', (d) => {
      if (!d || d.localAddress === undefined) {
        this.put(o, 'drop');
        return;
      }
      const l = `${d.localAddress}:${this.port(d.localPort)} ${d.localFamily}`;
      const r = `${d.remoteAddress}:${this.port(d.remotePort)} ${d.remoteFamily}`;
      this.put(o, `drop local=${l} remote=${r}`);
    });
    return srv;
  }

  listen(srv, host, port) {
    this.threw(srv, 'listen', () => srv.listen(port, host));
  }

  listenPath(srv, name) {
    this.threw(srv, 'listen', () => srv.listen(this.path(name)));
  }

  connect(c, srv) {
    const a = srv.address();
    if (typeof a === 'string') {
      this.threw(c, 'connect', () => c.connect({ path: a }));
    } else {
      const host = a.family === 'IPv6' ? '::1' : '127.0.0.1';
      this.threw(c, 'connect', () => c.connect({ port: a.port, host }));
    }
  }

  // The common story, as tr_pair: "server" on 127.0.0.1:0 (or p.path), "client"
  // connects once it listens, the server closes on its first 'connection'.
  pair(p) {
    const srv = this.server('server', p.server);
    srv.once('listening', () => {
      const c = this.socket('client', p.client);
      if (p.onConnect) c.on('connect', () => p.onConnect(c));
      this.connect(c, srv);
    });
    srv.once('connection', (s) => {
      srv.close();
      if (p.onConnection) p.onConnection(s);
    });
    if (p.path) this.listenPath(srv, p.path);
    else this.listen(srv, p.host || '127.0.0.1', 0);
  }

  // The decoding story, as tr_feed: the client decodes with `encoding` and logs its
  // text (the hex of its UTF-8 bytes) at 'end'; the server writes chunks[0] at once,
  // each next chunk (a Buffer) on a 'data' event of the client, the last with end().
  feed(encoding, chunks) {
    let next = 0;
    let text = '';
    const write = (conn) => {
      if (next >= chunks.length) return;
      const i = next++;
      if (next === chunks.length) conn.end(chunks[i]);
      else conn.write(chunks[i]);
    };
    this.pair({
      onConnection: (s) => write(s),
      onConnect: (c) => {
        this.threw(c, 'setEncoding', () => c.setEncoding(encoding));
        this.log(c, `readableEncoding=${c.readableEncoding}`);
        c.on('data', (d) => {
          text += d;
          write(this.object('conn1'));
        });
        c.on('end', () => this.log(c, `text ${Buffer.from(text, 'utf8').toString('hex')}`));
      },
    });
  }

  text(s) {
    s = s.split(this.dir).join('<tmp>').split('\0').join('@');
    return s.split(`@${this.abstractPrefix}`).join('@');
  }

  line(name, l) {
    const s = l.replace(/\{p:(\d+)\}/g, (m, p) => {
      const owner = this.ports.get(Number(p));
      return owner === undefined ? '<port>' : `<port:${owner}>`;
    });
    return `${name}: ${this.text(s)}\n`;
  }

  print() {
    const sorted = this.objs.slice().sort((a, b) => (a.name < b.name ? -1 : Number(a.name > b.name)));
    let out = '';
    for (const o of sorted) {
      this.flush(o);
      for (const l of o.lines) out += this.line(o.name, l);
    }
    fs.writeSync(1, out);
  }
}

function main() {
  const name = process.argv[2];
  const file = path.join(__dirname, 'scenarios', `${name}.js`);
  if (!name || !/^[a-z0-9_]+$/.test(name) || !fs.existsSync(file)) {
    process.stderr.write('usage: node trace.js SCENARIO\n');
    process.exit(2);
  }
  const t = new Tracer();
  const deadline = setTimeout(() => {
    process.stderr.write(`trace: still busy after ${DEADLINE_MS} ms; the trace so far:\n`);
    t.print();
    process.exit(2);
  }, DEADLINE_MS);
  deadline.unref();
  process.on('exit', () => {
    t.recording = false;
    fs.rmSync(t.dir, { recursive: true, force: true });
  });
  require(file)(t);
  // The trace is printed when the loop has nothing left, like trace_c's uv_run return.
  process.once('beforeExit', () => {
    t.print();
    t.recording = false;
  });
}

main();
