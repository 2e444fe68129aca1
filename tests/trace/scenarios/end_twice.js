// end_twice: a second end() (with or without data) changes nothing: one 'finish', the
// server reads only the first end's bytes.
module.exports = (t) => {
  t.pair({
    onConnect: (c) => {
      t.threw(c, 'end', () => c.end('one'));
      t.threw(c, 'end', () => c.end());
      t.log(c, `writable=${+c.writable}`);
    },
  });
};
