// listen_default_host: listen with no host takes '::' (dual stack); an IPv4 client
// reaches it and the server side sees the client as an IPv4-mapped IPv6 address.
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => {
    const c = t.socket('client');
    t.threw(c, 'connect', () => c.connect({ port: s.address().port, host: '127.0.0.1' }));
  });
  s.on('connection', (conn) => {
    t.log(conn, `remote ${conn.remoteFamily} ${conn.remoteAddress}`);
    conn.end();
    s.close();
  });
  t.listen(s, undefined, 0);
};
