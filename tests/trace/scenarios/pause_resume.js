// pause_resume: a paused client reads nothing of the server's "abc" and end until
// resume(), which the server's 'finish' triggers; then 'data' and 'end' come.
module.exports = (t) => {
  t.pair({
    onConnection: (s) => {
      s.on('finish', () => {
        const c = t.object('client');
        t.log(c, `resume() bytesRead=${c.bytesRead}`);
        c.resume();
      });
      s.end('abc');
    },
    onConnect: (c) => c.pause(),
  });
};
