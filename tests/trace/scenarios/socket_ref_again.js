// socket_ref_again: unref() then ref() on a client: it keeps the loop alive again and
// its story runs to the end (the server ends the connection).
module.exports = (t) => {
  t.pair({
    onConnect: (c) => {
      c.unref();
      c.ref();
    },
    onConnection: (s) => s.end('bye'),
  });
};
