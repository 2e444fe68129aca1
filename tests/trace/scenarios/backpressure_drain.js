// backpressure_drain: the client writes 256 chunks of 64 KiB at once, more than the
// kernel takes: some write returns false (writableLength at or over highWaterMark), the
// last one surely does; one 'drain' comes once the server has read enough, with
// writableLength 0; then the client ends. The server reads the 16 MiB to the end.
module.exports = (t) => {
  t.pair({
    onConnect: (c) => {
      const chunk = Buffer.alloc(65536);
      let anyFalse = 0;
      let r = true;
      for (let i = 0; i < 256; i++) {
        r = c.write(chunk);
        anyFalse |= !r;
      }
      t.log(c, `some write returned false=${anyFalse}, the last returned ${r}, ` +
        `writableLength>=hwm=${+(c.writableLength >= 16384)}`);
      c.once('drain', () => {
        t.log(c, `writableLength=${c.writableLength} bufferSize=${c.bufferSize}`);
        c.end();
      });
      c.on('close', () => t.log(c, `bytesWritten=${c.bytesWritten}`));
    },
    onConnection: (s) => s.on('close', () => t.log(s, `bytesRead=${s.bytesRead}`)),
  });
};
