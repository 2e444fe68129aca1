// destroy_before_connect: destroy() right after connect(): no 'connect', no 'error',
// close(hadError=false). The server closes within the same turn, so it never accepts.
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => {
    const c = t.socket('client');
    t.connect(c, s);
    t.log(c, `connecting=${+c.connecting} readyState=${c.readyState}`);
    c.destroy();
    t.log(c, `destroyed=${+c.destroyed} connecting=${+c.connecting} readyState=${c.readyState}`);
    s.close();
  });
  t.listen(s, '127.0.0.1', 0);
};
