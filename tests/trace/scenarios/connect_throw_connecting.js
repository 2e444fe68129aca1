// connect_throw_connecting: what connecting says after connect() threw
// ERR_SOCKET_BAD_PORT (Node sets the flag before it validates the port).
module.exports = (t) => {
  const c = t.socket('client');
  t.threw(c, 'connect(65536)', () => c.connect({ port: 65536, host: '127.0.0.1' }));
  t.log(c, `connecting=${+c.connecting}`);
  c.destroy();
};
