// reset_while_writing: the client (onread, so that pause() stops the reading itself, as
// in Node) pauses in 'ready' and writes 16 MiB; the server side, which never reads
// (pauseOnConnect), resets the connection once both ends are connected. The queued
// write fails with ECONNRESET, syscall write: its callback, 'error', close(true).
const BIG = 16 << 20;

module.exports = (t) => {
  let ready = 0;
  let c = null;
  const maybeReset = () => {
    if (++ready === 2) t.object('conn1').resetAndDestroy();
  };
  t.pair({
    server: { pauseOnConnect: true },
    client: {
      onread: {
        buffer: Buffer.alloc(64),
        callback: (nread) => {
          t.log(c, `onread ${nread}`);
          return true;
        },
      },
    },
    onConnection: () => maybeReset(),
    onConnect: (s) => {
      c = s;
      c.on('ready', () => {
        c.pause();
        c.write(Buffer.alloc(BIG), (err) => t.log(c, `write callback ${err ? err.code : 'ok'}`));
        maybeReset();
      });
    },
  });
};
