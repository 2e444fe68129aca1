// get_connections: getConnections() counts open connections at the call and answers on
// a later turn: 1 after the first connection, 2 after the second, 0 once both closed.
module.exports = (t) => {
  let closedCount = 0;
  const s = t.server('server');
  const counted = (err, count) => t.log(s, `getConnections ${err ? err.code : 'null'} ${count}`);
  s.on('listening', () => t.connect(t.socket('client1'), s));
  s.on('connection', (conn) => {
    conn.on('close', () => {
      if (++closedCount === 2) {
        s.getConnections(counted);
        s.close();
      }
    });
    s.getConnections(counted);
    if (t.object('client2') === null) {
      t.connect(t.socket('client2'), s);
    } else {
      t.object('client1').end();
      t.object('client2').end();
    }
  });
  t.listen(s, '127.0.0.1', 0);
};
