// timeout_idle: setTimeout(30) on an idle client: one 'timeout', which closes nothing
// (the socket is still open in it); the client then ends, and timeout stays 30.
module.exports = (t) => {
  t.pair({
    onConnect: (c) => {
      c.setTimeout(30);
      t.log(c, `timeout=${c.timeout}`);
      c.on('timeout', () => {
        t.log(c, `destroyed=${+c.destroyed} readyState=${c.readyState} timeout=${c.timeout}`);
        c.end();
      });
    },
  });
};
