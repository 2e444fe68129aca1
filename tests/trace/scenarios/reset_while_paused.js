// reset_while_paused: the client pauses in 'connect' and writes 16 MiB; the server
// side, which never reads (pauseOnConnect), resets the connection once both ends are
// connected. Node's pause() stops only the flow: the read its 'data' listener asked for
// before the connect starts at 'connect' all the same, so the reset shows on read.
const BIG = 16 << 20;

module.exports = (t) => {
  let ready = 0;
  const maybeReset = () => {
    if (++ready === 2) t.object('conn1').resetAndDestroy();
  };
  t.pair({
    server: { pauseOnConnect: true },
    onConnection: () => maybeReset(),
    onConnect: (c) => {
      c.pause();
      c.write(Buffer.alloc(BIG), (err) => t.log(c, `write callback ${err ? err.code : 'ok'}`));
      maybeReset();
    },
  });
};
