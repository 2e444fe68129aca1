// listen_ipv6_loopback: a server on ::1 and a client that connects to it over IPv6; both
// ends see IPv6 addresses, each the other's port.
module.exports = (t) => {
  const show = (s) => {
    t.log(s, `local ${s.localFamily} ${s.localAddress}:${t.port(s.localPort)} ` +
      `remote ${s.remoteFamily} ${s.remoteAddress}:${t.port(s.remotePort)}`);
  };
  t.pair({
    host: '::1',
    onConnect: (c) => {
      show(c);
      c.end();
    },
    onConnection: show,
  });
};
