// onread_stop_resume: a client with onread and a 4-byte buffer gets the server's 12
// bytes in 4-byte reads, no 'data'; returning false from the first call stops reading
// (nothing more, not even 'end', until resume() a while later); then the rest, 'end'.
module.exports = (t) => {
  const buf = Buffer.alloc(4);
  let calls = 0;
  let c = null;
  const callback = (nread, b) => {
    t.log(c, `onread ${nread} ${b.toString('latin1', 0, nread)} bytesRead=${c.bytesRead}`);
    if (++calls > 1) return true;
    // Nothing else can happen meanwhile: the client reads nothing, the server is done.
    setTimeout(() => {
      t.log(c, `resume() isPaused=${+c.isPaused()}`);
      c.resume();
    }, 50);
    return false;
  };
  t.pair({
    client: { onread: { buffer: buf, callback } },
    onConnection: (s) => s.end('hello world!'),
    onConnect: (s) => {
      c = s;
    },
  });
};
