// reset_while_connecting: resetAndDestroy() right after connect(): Node waits for the
// connection (a once('connect') listener), so 'connect' and 'ready' are still emitted,
// then the RST: close(hadError=false); the server side, reading, gets ECONNRESET.
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => {
    const c = t.socket('client');
    t.connect(c, s);
    t.threw(c, 'resetAndDestroy', () => c.resetAndDestroy());
    t.log(c, `destroyed=${+c.destroyed} connecting=${+c.connecting}`);
  });
  s.on('connection', () => s.close());
  t.listen(s, '127.0.0.1', 0);
};
