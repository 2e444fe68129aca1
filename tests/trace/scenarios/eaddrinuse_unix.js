// eaddrinuse_unix: a second server on a Unix path in use gets EADDRINUSE with the path
// in its message; the first server's path still works afterwards.
module.exports = (t) => {
  const first = t.server('first');
  first.on('listening', () => {
    const second = t.server('second');
    second.on('error', () => {
      const c = t.socket('client');
      t.connect(c, first);
      c.end();
    });
    t.listenPath(second, 's.sock');
  });
  first.on('connection', () => first.close());
  t.listenPath(first, 's.sock');
};
