// destroy_connect_pending: two writes made while connecting, and a 'connect' listener
// (added before them) that destroys the socket: the writes' own 'connect' listener then
// finds no handle, so both callbacks get ERR_SOCKET_CLOSED, before 'ready'; the server
// reads nothing.
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => {
    const c = t.socket('client');
    c.on('connect', () => {
      c.destroy();
      t.log(c, `destroyed writableLength=${c.writableLength}`);
    });
    t.connect(c, s);
    const written = (err) => t.log(c, `write callback ${err ? err.code : 'ok'}`);
    c.write('abc', written);
    c.write('def', written);
  });
  s.on('connection', () => s.close());
  t.listen(s, '127.0.0.1', 0);
};
