// server_ref_again: unref() then ref() before the loop runs: the server keeps the loop
// alive again, until a client's connection makes it close.
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => {
    const c = t.socket('client');
    t.connect(c, s);
    c.end();
  });
  s.on('connection', () => s.close());
  s.unref();
  t.listenPath(s, 's.sock');
  s.ref();
};
