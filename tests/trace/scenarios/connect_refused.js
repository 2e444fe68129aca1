// connect_refused: a connect to a port nobody listens on (a closed server's) fails with
// 'error' ECONNREFUSED, Node's message and fields, then close(hadError=true).
module.exports = (t) => {
  let port;
  const s = t.server('server');
  s.on('listening', () => {
    port = s.address().port;
    s.close();
  });
  s.on('close', () => {
    const c = t.socket('client');
    t.threw(c, 'connect', () => c.connect({ port, host: '127.0.0.1' }));
    t.log(c, `connecting=${+c.connecting} pending=${+c.pending} readyState=${c.readyState}`);
  });
  t.listen(s, '127.0.0.1', 0);
};
