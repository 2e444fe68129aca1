// write_length_pending: right after a 16 MiB write that the kernel cannot take at once:
// writableLength and bufferSize count the whole chunk until it is done, bytesWritten
// counts it already; the server reads all of it.
const BIG = 16 << 20;

module.exports = (t) => {
  const logLengths = (c, when) => {
    t.log(c, `${when}: writableLength=${c.writableLength} bufferSize=${c.bufferSize} ` +
      `bytesWritten=${c.bytesWritten}`);
  };
  t.pair({
    onConnect: (c) => {
      const r = c.write(Buffer.alloc(BIG), (err) => {
        t.log(c, `write callback ${err ? err.code : 'ok'}`);
        logLengths(c, 'written');
      });
      t.log(c, `write returned ${+r}`);
      logLengths(c, 'pending');
      c.end();
      logLengths(c, 'ended');
    },
  });
};
