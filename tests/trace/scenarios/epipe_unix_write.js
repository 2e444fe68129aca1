// epipe_unix_write: over a Unix socket the server side destroys its connection at once;
// the client, half-open, sees 'end' and writes into the closed peer: the write fails
// with EPIPE (its callback, then 'error' with syscall write), close(hadError=true). The
// process gets no SIGPIPE, as Node ignores it.
module.exports = (t) => {
  t.pair({
    client: { allowHalfOpen: true },
    path: 's.sock',
    onConnection: (s) => s.destroy(),
    onConnect: (c) => {
      c.on('end', () => {
        const r = c.write('late', (err) => t.log(c, `write callback ${err ? err.code : 'ok'}`));
        t.log(c, `write returned ${+r} destroyed=${+c.destroyed}`);
      });
    },
  });
};
