// pause_before_connect: pause() before connecting holds the data back after the
// connect too, until resume() (on the server's 'finish').
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => {
    const c = t.socket('client');
    c.pause();
    t.connect(c, s);
  });
  s.on('connection', (conn) => {
    conn.on('finish', () => {
      const c = t.object('client');
      t.log(c, `resume() bytesRead=${c.bytesRead}`);
      c.resume();
    });
    conn.end('data');
    s.close();
  });
  t.listen(s, '127.0.0.1', 0);
};
