// unix_addresses: over a Unix socket, a connected socket's address() is {} and its
// remoteAddress undefined, on both ends (Node's pipe handle has neither getsockname nor
// getpeername); the server's address() is the path.
module.exports = (t) => {
  const logAddresses = (s) => {
    const a = s.address();
    const local = a.address === undefined ? '{}' : `${a.address} ${a.family}`;
    const remote = s.remoteAddress === undefined ? 'undefined' : `${s.remoteAddress} ${s.remoteFamily}`;
    t.log(s, `address=${local} remote=${remote}`);
  };
  t.pair({
    path: 's.sock',
    onConnection: (s) => {
      logAddresses(s);
      s.end();
    },
    onConnect: (c) => logAddresses(c),
  });
};
