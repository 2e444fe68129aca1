// half_open_unix: allowHalfOpen over a Unix socket: the server answers after the
// client's end, as over TCP.
module.exports = (t) => {
  t.pair({
    server: { allowHalfOpen: true },
    path: 's.sock',
    onConnection: (s) => s.on('end', () => s.end('answer')),
    onConnect: (c) => c.end('question'),
  });
};
