// server_close.js: close() twice before 'close', close() on a server never listening,
// and 'close' waiting for an open connection, as Node 20 orders them.
'use strict';
const net = require('net');
const log = [];
const a = new net.Server();
a.on('close', () => log.push('a:close'));
a.close((e) => log.push('a:cb1:' + (e ? e.code : 'ok')));
a.close((e) => log.push('a:cb2:' + (e ? e.code : 'ok')));
const s = net.createServer((c) => {
  log.push('s:connection');
  s.close((e) => log.push('s:cb1:' + (e ? e.code : 'ok')));
  s.close((e) => log.push('s:cb2:' + (e ? e.code : 'ok')));
  log.push('s:listening:' + s.listening);
  c.end();
});
s.on('close', () => log.push('s:close'));
s.listen(0, '127.0.0.1', () => {
  const c = net.connect(s.address().port, '127.0.0.1');
  c.resume();
  c.on('close', () => log.push('c:close'));
});
setTimeout(() => console.log(log.join(' ')), 200);
