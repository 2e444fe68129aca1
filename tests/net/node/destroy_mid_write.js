// destroy_mid_write.js: destroy() while a big write is still queued in the kernel's
// stead, and while a write waits for the connection. Node 20's callbacks and events.
'use strict';
const net = require('net');
const log = [];
const srv = net.createServer((c) => { c.pause(); });
srv.listen(0, '127.0.0.1', () => {
  const s = net.connect(srv.address().port, '127.0.0.1');
  s.write('early', (e) => log.push('early:' + (e ? e.code : 'ok')));
  s.on('connect', () => {
    const big = Buffer.alloc(32 << 20);
    log.push('w:' + s.write(big, (e) => log.push('bigcb:' + (e ? e.code : 'ok'))));
    log.push('len:' + (s.writableLength > 0));
    s.destroy();
    log.push('after:' + s.writableLength);
  });
  s.on('error', (e) => log.push('error:' + e.code));
  s.on('close', (h) => {
    log.push('close:' + h);
    srv.close();
    srv.unref();
    setTimeout(() => console.log(log.join(' ')), 50);
  });
  const s2 = net.connect(srv.address().port, '127.0.0.1');
  s2.write('x', (e) => log.push('s2cb:' + (e ? e.code : 'ok')));
  s2.destroy();
  s2.on('close', () => log.push('s2close'));
});
