// bytes_counters: bytesWritten counts what write() was given, bytesRead what 'data'
// delivered: the client writes 5 + 6 bytes, the server answers 3 and ends.
module.exports = (t) => {
  const show = (s) => t.log(s, `bytesRead=${s.bytesRead} bytesWritten=${s.bytesWritten}`);
  t.pair({
    server: { allowHalfOpen: true },
    client: { allowHalfOpen: true },
    onConnection: (s) => {
      s.on('end', () => s.end('abc'));
      s.on('close', () => show(s));
    },
    onConnect: (c) => {
      c.write('hello');
      c.write(' world');
      show(c);
      c.end();
      c.on('close', () => show(c));
    },
  });
};
