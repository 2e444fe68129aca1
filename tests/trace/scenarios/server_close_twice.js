// server_close_twice: a second close(cb) while the first is pending: both callbacks come
// after 'close', the second with ERR_SERVER_NOT_RUNNING.
module.exports = (t) => {
  const s = t.server('server');
  const closed = (err) => t.log(s, `close callback ${err ? err.code : 'ok'}`);
  s.on('listening', () => {
    s.close(closed);
    s.close(closed);
  });
  t.listenPath(s, 's.sock');
};
