// close_waits_for_connections: close() while a connection is open stops accepting at
// once (listening false, address() null) but 'close' and the callback wait until the
// connection has closed; the client ends it only after the server's close() call.
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => t.connect(t.socket('client'), s));
  s.on('connection', () => {
    s.close((err) => {
      t.log(s, `close callback ${err ? err.code : 'ok'}, ` +
        `conn1 destroyed=${+t.object('conn1').destroyed}`);
    });
    t.log(s, `close() called listening=${+s.listening} ` +
      `address=${s.address() === null ? 'null' : 'set'}`);
    t.object('client').end('bye');
  });
  t.listen(s, '127.0.0.1', 0);
};
