// write_empty: a zero-length write on a connected socket returns true and calls its
// callback; nothing reaches the server, which sees only the end.
module.exports = (t) => {
  t.pair({
    onConnect: (c) => {
      const r = c.write('', (err) => t.log(c, `write callback ${err ? err.code : 'ok'}`));
      t.log(c, `write returned ${r}`);
      c.end();
    },
  });
};
