// orders.js: Node 20's orders for the unusual cases test_socket_more.c checks. Each
// scenario prints one line: "<name>: <events>". Run: node tests/net/node/orders.js
'use strict';
const net = require('net');

// Every event of a socket, as tests/net/pair.c's track() logs them.
function track(s, name, log) {
  for (const ev of ['connect', 'ready', 'end', 'finish', 'drain']) s.on(ev, () => log.push(name + ':' + ev));
  s.on('error', (e) => log.push(name + ':error(' + e.code + ')'));
}

function pair(srvOpts, onConn, onClient, done) {
  const log = [];
  const srv = net.createServer(srvOpts, (c) => {
    track(c, 'srv', log);
    c.on('close', (h) => log.push('srv:close:' + h));
    onConn(c, log);
  });
  srv.listen(0, '127.0.0.1', () => {
    const s = net.connect(srv.address().port, '127.0.0.1');
    track(s, 'cli', log);
    onClient(s, log);
    s.on('close', (h) => { log.push('cli:close:' + h); srv.close(() => done(log)); });
  });
}

const scenarios = {
  // The peer ends; we write after its FIN, with allowHalfOpen true and false.
  write_after_fin_half_open: (done) => pair({ allowHalfOpen: true }, (c, log) => {
    c.on('end', () => {
      log.push('srv:state:' + c.readyState);
      log.push('srv:w:' + c.write('late', (e) => log.push('srv:wcb:' + (e ? e.code : 'ok'))));
      c.end();
    });
    }, (s, log) => {
    s.on('data', (d) => log.push('cli:data:' + d));
    s.end();
  }, done),
  write_after_fin: (done) => pair({ allowHalfOpen: false }, (c, log) => {
    c.on('end', () => {
      log.push('srv:w:' + c.write('late', (e) => log.push('srv:wcb:' + (e ? e.code : 'ok'))));
    });
    }, (s, log) => {
    s.on('data', (d) => log.push('cli:data:' + d));
    s.end();
  }, done),
  // end() twice, the second with data; end(data).
  end_twice: (done) => pair({}, (c, log) => {
    let got = '';
    c.on('data', (d) => { got += d; });
    c.on('end', () => log.push('srv:got:' + got));
  }, (s, log) => {
    s.on('connect', () => {
      s.end('a');
      log.push('cli:ending:' + s.writableEnded + ':' + s.writable + ':' + s.readyState);
      s.end('b', (e) => log.push('cli:endcb:' + (e ? e.code : 'ok')));
      s.end();
    });
    s.resume();
  }, done),
  // destroy(err) inside a 'data' listener.
  destroy_in_data: (done) => pair({}, (c) => c.write('xy'), (s, log) => {
    s.on('data', (d) => {
      log.push('cli:data:' + d);
      s.destroy(new Error('boom'));
      log.push('cli:destroyed:' + s.destroyed + ':' + s.readyState);
    });
      }, done),
  // bytesWritten counts what is still queued; bufferSize and writableLength.
  bytes_pending: (done) => pair({}, (c) => c.resume(), (s, log) => {
    log.push('cli:pre:' + s.bytesWritten + ':' + s.writableLength + ':' + s.bufferSize + ':' + s.pending + ':' + s.readyState);
    s.write('12345');
    log.push('cli:connecting:' + s.bytesWritten + ':' + s.writableLength + ':' + s.bufferSize);
    s.on('connect', () => {
      log.push('cli:connect:' + s.bytesWritten + ':' + s.writableLength + ':' + s.pending + ':' + s.readyState);
      s.end();
      log.push('cli:ended:' + s.readyState);
    });
    s.on('finish', () => log.push('cli:fin:' + s.readyState + ':' + s.bytesWritten));
    s.on('end', () => log.push('cli:endstate:' + s.readyState));
  }, done),
  // 'timeout' still fires while paused.
  timeout_paused: (done) => pair({}, () => {}, (s, log) => {
    s.pause();
    s.on('connect', () => s.setTimeout(10));
    s.on('timeout', () => { log.push('cli:timeout:' + s.isPaused()); s.destroy(); });
  }, done),
};

(async () => {
  for (const [name, fn] of Object.entries(scenarios)) {
    const log = await new Promise((res) => fn(res));
    console.log(name + ': ' + log.join(' '));
  }
})();
