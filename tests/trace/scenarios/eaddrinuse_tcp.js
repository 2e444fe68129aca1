// eaddrinuse_tcp: a second server on the first one's port gets 'error' EADDRINUSE (never
// inside listen()), no 'close'; it may listen again, and does, on port 0.
module.exports = (t) => {
  const first = t.server('first');
  first.on('listening', () => {
    const second = t.server('second');
    second.once('error', () => {
      t.log(second, `listening=${+second.listening}`);
      t.listen(second, '127.0.0.1', 0);
    });
    second.once('listening', () => {
      second.close();
      first.close();
    });
    t.listen(second, '127.0.0.1', first.address().port);
    t.log(second, 'listen() returned');
  });
  t.listen(first, '127.0.0.1', 0);
};
