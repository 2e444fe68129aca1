// onread.js: connect's onread {buffer, callback} as Node 20 runs it: 4-byte reads into
// the caller's buffer, a false return pauses until resume().
'use strict';
const net = require('net');
const log = [];
const srv = net.createServer((c) => c.end('abcdefghij'));
srv.listen(0, '127.0.0.1', () => {
  const buf = Buffer.alloc(4);
  let n = 0;
  const s = net.connect({
    port: srv.address().port, host: '127.0.0.1',
    onread: {
      buffer: buf,
      callback: (nread, b) => {
        log.push('read:' + nread + ':' + b.toString('latin1', 0, nread) + ':' + (b === buf));
        if (++n === 1) {
          setTimeout(() => { log.push('resume'); s.resume(); }, 20);
          return false;
        }
      },
    },
  });
  s.on('data', () => log.push('data'));
  s.on('end', () => log.push('end'));
  s.on('close', () => { log.push('close'); srv.close(); console.log(log.join(' ')); });
});
