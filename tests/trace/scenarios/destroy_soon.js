// destroy_soon: write then destroySoon(): the write is flushed, the side ended, and the
// socket destroyed once 'finish' has come; the server reads everything.
module.exports = (t) => {
  t.pair({
    onConnect: (c) => {
      c.write('abc');
      c.destroySoon();
      t.log(c, `destroySoon() writable=${+c.writable} destroyed=${+c.destroyed}`);
    },
  });
};
