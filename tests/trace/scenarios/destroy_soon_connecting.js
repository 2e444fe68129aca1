// destroy_soon_connecting: write then destroySoon() while connecting: the side is ended
// at once (writable false), the write goes out once connected, and the socket is
// destroyed after 'finish'; the server reads it all.
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => {
    const c = t.socket('client');
    t.connect(c, s);
    c.write('hello');
    c.destroySoon();
    t.log(c, `writable=${+c.writable} destroyed=${+c.destroyed} readyState=${c.readyState}`);
  });
  s.on('connection', () => s.close());
  t.listen(s, '127.0.0.1', 0);
};
