// connect_after_destroy: connect() on a socket destroyed before it ever connected.
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => {
    const c = t.socket('client');
    c.destroy();
    t.connect(c, s);
    t.log(c, `destroyed=${+c.destroyed} connecting=${+c.connecting}`);
    c.end();
    s.close();
  });
  t.listenPath(s, 's.sock');
};
