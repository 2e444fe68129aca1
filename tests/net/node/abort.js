// abort.js: AbortSignal on net.connect and server.listen, as Node 20 runs it.
'use strict';
const net = require('net');
const log = [];
const out = () => console.log(log.join('\n'));
const srv = net.createServer();
const ac = new AbortController();
srv.on('close', () => log.push('srv:close'));
srv.listen({ port: 0, host: '127.0.0.1', signal: ac.signal }, () => {
  log.push('srv:listening');
  // An open socket, aborted once connected.
  const ac2 = new AbortController();
  const s = net.connect({ port: srv.address().port, host: '127.0.0.1', signal: ac2.signal });
  s.on('connect', () => { log.push('cli:connect'); ac2.abort(); log.push('cli:aborted:' + s.destroyed); });
  s.on('error', (e) => log.push('cli:error:' + e.name + ':' + e.code + ':' + e.message));
  s.on('close', (h) => {
    log.push('cli:close:' + h);
    // An already-aborted signal: the socket is destroyed before it connects.
    const s2 = net.connect({ port: srv.address().port, host: '127.0.0.1', signal: AbortSignal.abort() });
    log.push('s2:destroyed:' + s2.destroyed);
    s2.on('connect', () => log.push('s2:connect'));
    s2.on('error', (e) => log.push('s2:error:' + e.code));
    s2.on('close', (h2) => {
      log.push('s2:close:' + h2);
      ac.abort();
      log.push('srv:listening:' + srv.listening);
      // listen with an already-aborted signal.
      const srv2 = net.createServer();
      srv2.on('listening', () => log.push('srv2:listening'));
      srv2.on('close', () => { log.push('srv2:close'); setTimeout(out, 20); });
      srv2.on('error', (e) => log.push('srv2:error:' + e.code));
      srv2.listen({ port: 0, host: '127.0.0.1', signal: AbortSignal.abort() });
      log.push('srv2:listening:' + srv2.listening);
    });
  });
});
