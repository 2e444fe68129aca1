// reconnect.js: socket.connect() again after 'close'. (Connecting a socket destroyed but not
// yet closed makes Node 20 emit EALREADY from the old handle: libnetcore refuses it.)
'use strict';
const net = require('net');
const log = [];
const srv = net.createServer((c) => c.end('x'));
srv.listen(0, '127.0.0.1', () => {
  const port = srv.address().port;
  const s = new net.Socket();
  let round = 0;
  s.on('connect', () => log.push('connect:' + round + ':' + s.readyState + ':' + s.bytesRead + ':' + s.bytesWritten));
  s.on('data', (d) => log.push('data:' + d));
  s.on('end', () => log.push('end'));
  s.on('close', (h) => {
    log.push('close:' + h + ':' + s.readyState + ':' + s.destroyed + ':' + s.pending + ':' + s.bytesRead);
    if (++round === 1) {
      s.connect(port, '127.0.0.1');
      log.push('again:' + s.destroyed + ':' + s.connecting + ':' + s.readyState);
      s.write('ab');
    } else {
      srv.close();
      console.log(log.join('\n'));
    }
  });
  s.connect(port, '127.0.0.1');
  log.push('first:' + s.readyState + ':' + s.pending);
});
