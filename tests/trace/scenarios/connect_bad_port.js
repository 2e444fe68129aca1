// connect_bad_port: connect() with a port outside 1..65535 throws ERR_SOCKET_BAD_PORT
// and leaves the socket usable: a later good connect works. connecting after the throw
// is connect_throw_connecting's story.
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => {
    const c = t.socket('client');
    t.threw(c, 'connect(65536)', () => c.connect({ port: 65536, host: '127.0.0.1' }));
    t.log(c, `destroyed=${+c.destroyed}`);
    t.connect(c, s);
    c.end();
  });
  s.on('connection', () => s.close());
  t.listen(s, '127.0.0.1', 0);
};
