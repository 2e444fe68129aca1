// listen_ipv6_only: a server on '::' with ipv6Only takes no IPv4 client: 127.0.0.1 on
// its port is refused, ::1 is served.
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => {
    const port = s.address().port;
    const c4 = t.socket('client4');
    c4.on('close', () => {
      const c6 = t.socket('client6');
      t.threw(c6, 'connect', () => c6.connect({ port, host: '::1' }));
      c6.end();
    });
    t.threw(c4, 'connect', () => c4.connect({ port, host: '127.0.0.1' }));
  });
  s.on('connection', () => s.close());
  t.threw(s, 'listen', () => s.listen({ host: '::', port: 0, ipv6Only: true }));
};
