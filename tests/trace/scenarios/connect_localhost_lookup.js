// connect_localhost_lookup: connect to the name "localhost" with family 4: 'lookup'
// (null, 127.0.0.1, 4, localhost) comes before 'connect'.
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => {
    const c = t.socket('client');
    t.threw(c, 'connect', () => c.connect({ port: s.address().port, host: 'localhost', family: 4 }));
    t.log(c, `connecting=${+c.connecting}`);
    c.end();
  });
  s.on('connection', () => s.close());
  t.listen(s, '127.0.0.1', 0);
};
