// already_listen: listen() on a server that is listening throws
// ERR_SERVER_ALREADY_LISTEN and changes nothing; after close() it may listen again.
module.exports = (t) => {
  let rounds = 0;
  const s = t.server('server');
  s.on('listening', () => {
    t.listen(s, undefined, 0);
    s.close();
    if (++rounds === 1) t.listenPath(s, 'again.sock');
  });
  t.listenPath(s, 's.sock');
  t.listenPath(s, 'other.sock');
};
