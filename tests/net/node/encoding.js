// encoding.js: setEncoding / write(data, encoding) orders as Node 20 prints them.
// Run: node tests/net/node/encoding.js; test_socket_text.c encodes the printed lines.
'use strict';
const net = require('net');
const log = [];
const srv = net.createServer({ allowHalfOpen: true }, (c) => {
  let got = '';
  // "é" split across two reads, then a "€" (E2 82 AC) left incomplete at the end.
  c.write(Buffer.from([0x68, 0xc3]));
  c.on('data', (d) => {
    got += d.toString('hex');
    if (got === '6b') c.end(Buffer.from([0xa9, 0xe2, 0x82]));
  });
  c.on('end', () => log.push('srv:got:' + got));
});
srv.listen(0, '127.0.0.1', () => {
  const s = net.connect(srv.address().port, '127.0.0.1');
  log.push('enc:' + s.readableEncoding);
  try { s.setEncoding('bogus'); } catch (e) { log.push('throw:' + e.code + ':' + e.message); }
  try { s.write(123); } catch (e) { log.push('throw:' + e.code + ':' + e.message); }
  try { s.write('x', 'bogus'); } catch (e) { log.push('throw:' + e.code + ':' + e.message); }
  s.setEncoding('UTF-8');
  log.push('enc:' + s.readableEncoding);
  let first = true;
  s.on('data', (d) => {
    log.push('cli:data:' + Buffer.from(d).toString('hex'));
    if (first) {
      first = false;
      s.write('k');
    }
  });
  s.on('end', () => {
    log.push('cli:end');
    s.write('68656c6c6f', 'hex');
    s.write('IQ==', 'base64');
    s.end('é', 'latin1');
  });
  s.on('close', () => { log.push('cli:close'); srv.close(); console.log(log.join('\n')); });
});
