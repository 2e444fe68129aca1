// listen_unix_again: a server on a Unix path closes (the path is unlinked) and, in its
// close callback, listens on the same path again: 'listening' a second time, then a
// client is served.
module.exports = (t) => {
  const s = t.server('server');
  let round = 0;
  s.on('listening', () => {
    if (++round === 1) {
      s.close(() => t.listenPath(s, 's.sock'));
      return;
    }
    t.connect(t.socket('client'), s);
  });
  s.on('connection', (conn) => {
    s.close();
    conn.end('hi');
  });
  t.listenPath(s, 's.sock');
};
