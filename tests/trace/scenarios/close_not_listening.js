// close_not_listening: close(cb) on a server that never listened: 'close' is still
// emitted (a later turn), and the callback receives ERR_SERVER_NOT_RUNNING.
module.exports = (t) => {
  const s = t.server('server');
  s.close((err) => t.log(s, `close callback ${err ? err.code : 'ok'}`));
  t.log(s, 'close() returned');
};
