// connect_local_port_in_use: connect() with localAddress 127.0.0.1 and, as localPort,
// the port a server listens on: the bind fails, 'error' EADDRINUSE with syscall bind,
// the local address and port, then close(hadError=true).
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => {
    const c = t.socket('client');
    const port = s.address().port;
    t.threw(c, 'connect', () => c.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1', localPort: port }));
    c.on('close', () => s.close());
  });
  t.listen(s, '127.0.0.1', 0);
};
