// writable_length_connecting: writes made while connecting wait for the connection:
// writableLength, bufferSize and bytesWritten count them at once; the server gets them
// all once connected, then the end.
module.exports = (t) => {
  const logLengths = (c, when) => {
    t.log(c, `${when}: connecting=${+c.connecting} writableLength=${c.writableLength} ` +
      `bufferSize=${c.bufferSize} bytesWritten=${c.bytesWritten}`);
  };
  const s = t.server('server');
  s.on('listening', () => {
    const c = t.socket('client');
    c.on('connect', () => logLengths(c, 'connect'));
    t.connect(c, s);
    const r = c.write('abc', (err) => t.log(c, `write callback ${err ? err.code : 'ok'}`));
    t.log(c, `write returned ${+r}`);
    logLengths(c, 'after write');
    c.end('de');
    logLengths(c, 'after end');
  });
  s.on('connection', () => s.close());
  t.listen(s, '127.0.0.1', 0);
};
