// address_after_close: what address() and remoteAddress/remotePort/remoteFamily say
// once the client has closed: Node keeps what it read while connected (the tracer reads
// the local port at 'connect', the scenario the remote end), so both stay as they were.
module.exports = (t) => {
  const logAddresses = (c, when) => {
    const a = c.address();
    const local = a.address === undefined ? '{}' : `${a.address}:${t.port(a.port)} ${a.family}`;
    const remote = c.remoteAddress === undefined ? 'undefined'
      : `${c.remoteAddress}:${t.port(c.remotePort)} ${c.remoteFamily}`;
    t.log(c, `${when}: address=${local} remote=${remote}`);
  };
  t.pair({
    onConnect: (c) => {
      logAddresses(c, 'connected');
      c.on('close', () => logAddresses(c, 'closed'));
      c.end();
    },
  });
};
