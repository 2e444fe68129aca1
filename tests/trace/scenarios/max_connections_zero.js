// max_connections_zero: maxConnections 0 is no limit in Node 20 (its check is a truthy
// one): the client is served, not dropped; getConnections() after the server's 'close'
// answers 0 with no error.
module.exports = (t) => {
  const s = t.server('server');
  s.maxConnections = 0;
  s.on('listening', () => t.connect(t.socket('client'), s));
  s.on('connection', (conn) => {
    t.log(s, `maxConnections=${s.maxConnections}`);
    s.close();
    conn.end('hi');
  });
  s.on('drop', () => s.close());
  s.on('close', () => {
    s.getConnections((err, count) => t.log(s, `getConnections ${err ? err.code : 'null'} ${count}`));
  });
  t.listen(s, '127.0.0.1', 0);
};
