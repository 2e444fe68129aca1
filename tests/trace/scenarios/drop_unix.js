// drop_unix: maxConnections 1 on a Unix path: the second client is dropped and 'drop'
// carries no address, as in Node; the first connection is served afterwards.
module.exports = (t) => {
  const s = t.server('server');
  s.maxConnections = 1;
  s.on('listening', () => t.connect(t.socket('client1'), s));
  s.on('connection', () => {
    // Started only now, so that client1 is surely the accepted one.
    const c2 = t.socket('client2');
    c2.on('close', () => t.object('client1').end('one'));
    t.connect(c2, s);
  });
  s.on('drop', () => {
    t.log(s, `maxConnections=${s.maxConnections}`);
    s.close();
  });
  t.listenPath(s, 's.sock');
};
