// half_open_server: an allowHalfOpen server keeps its side open after the client's end,
// answers "bye", then ends; the client (not half-open) reads it after its 'finish'.
module.exports = (t) => {
  t.pair({
    server: { allowHalfOpen: true },
    onConnection: (s) => {
      s.on('end', () => {
        t.log(s, `writable=${+s.writable} readyState=${s.readyState}`);
        s.end('bye');
      });
    },
    onConnect: (c) => c.end('hello'),
  });
};
