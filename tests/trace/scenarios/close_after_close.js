// close_after_close: close(cb) on a server whose 'close' has come already: the callback
// gets ERR_SERVER_NOT_RUNNING, and 'close' is emitted a second time first, as Node's
// _emitCloseIfDrained does for a server with no handle and no connections.
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => {
    s.close((err) => {
      t.log(s, `first close callback ${err ? err.code : 'ok'} listening=${+s.listening}`);
      s.close((e) => t.log(s, `second close callback ${e ? e.code : 'ok'}`));
      t.log(s, 'close() returned');
    });
  });
  t.listen(s, '127.0.0.1', 0);
};
