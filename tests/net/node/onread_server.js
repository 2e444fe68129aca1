// onread_server.js: net.createServer ignores onread: its connections emit 'data'.
'use strict';
const net = require('net');
const srv = net.createServer({ onread: { buffer: Buffer.alloc(4), callback: () => console.log('onread') } },
  (c) => c.on('data', (d) => { console.log('data:' + d); c.end(); srv.close(); }));
srv.listen(0, '127.0.0.1', () => net.connect(srv.address().port, '127.0.0.1').end('xyz'));
