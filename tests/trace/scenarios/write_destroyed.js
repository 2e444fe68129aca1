// write_destroyed: a write queued behind 16 MiB is cut short by destroy(): its callback
// gets an error; a write after destroy() returns false and reports
// ERR_STREAM_DESTROYED to its callback, never as 'error'.
module.exports = (t) => {
  t.pair({
    onConnect: (c) => {
      const cb = (err) => t.log(c, `write callback ${err ? err.code : 'ok'}`);
      c.write(Buffer.alloc(16 << 20), cb);
      c.destroy();
      const r = c.write('x', cb);
      t.log(c, `write after destroy returned ${r}`);
    },
    // Reading nothing keeps the client's queue from draining before destroy().
    onConnection: (s) => s.pause(),
  });
};
