// pause_in_data: the client pauses in its first 'data' ("abc" and the FIN are already
// on their way): no 'end' comes while it is paused, however long; resume() (once the
// server side's 'finish' says the FIN was sent) lets 'end' through.
module.exports = (t) => {
  let paused = false;
  let finished = false;
  const maybeResume = () => {
    if (!paused || !finished) return;
    const c = t.object('client');
    t.log(c, `resume() isPaused=${+c.isPaused()}`);
    c.resume();
  };
  t.pair({
    onConnection: (s) => {
      s.on('finish', () => {
        finished = true;
        maybeResume();
      });
      s.end('abc');
    },
    onConnect: (c) => {
      c.on('data', () => {
        if (paused) return;
        paused = true;
        c.pause();
        t.log(c, `pause() isPaused=${+c.isPaused()}`);
        maybeResume();
      });
    },
  });
};
