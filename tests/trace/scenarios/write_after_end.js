// write_after_end: write() after end() returns false, its callback and 'error' get
// ERR_STREAM_WRITE_AFTER_END, and the socket closes with hadError=true.
module.exports = (t) => {
  t.pair({
    onConnect: (c) => {
      c.end();
      const r = c.write('x', (err) => t.log(c, `write callback ${err ? err.code : 'ok'}`));
      t.log(c, `write returned ${r}`);
    },
  });
};
