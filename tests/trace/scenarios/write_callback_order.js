// write_callback_order: write callbacks come in order, before 'finish'; a write on a
// connected socket returns true below highWaterMark.
module.exports = (t) => {
  let n = 0;
  t.pair({
    onConnect: (c) => {
      const cb = (err) => t.log(c, `write ${++n} callback ${err ? err.code : 'ok'}`);
      const a = c.write('one', cb);
      const b = c.write('two', cb);
      t.log(c, `write returned ${a} ${b}`);
      c.end();
    },
  });
};
