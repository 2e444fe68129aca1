// pause_on_connect: a pauseOnConnect server's connection reads nothing, even with a
// 'data' listener, until resume(): the client's bytes wait in the kernel meanwhile.
module.exports = (t) => {
  t.pair({
    server: { pauseOnConnect: true },
    onConnect: (c) => {
      c.on('finish', () => {
        const conn = t.object('conn1');
        t.log(conn, `resume() bytesRead=${conn.bytesRead}`);
        conn.resume();
      });
      c.end('hello');
    },
  });
};
