// timeout_disable: in its first 'timeout' the client sets the timeout to 0 (off) and
// asks the server to end; no second 'timeout' comes.
module.exports = (t) => {
  t.pair({
    onConnect: (c) => {
      c.setTimeout(20);
      c.on('timeout', () => {
        c.setTimeout(0);
        t.log(c, `timeout=${c.timeout}`);
        c.write('go');
      });
    },
    onConnection: (s) => s.on('data', () => s.end()),
  });
};
