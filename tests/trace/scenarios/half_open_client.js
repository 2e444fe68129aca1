// half_open_client: an allowHalfOpen client stays writable after the server's end
// ("writeOnly"), writes "late" and ends; the server reads it after its own 'finish'.
module.exports = (t) => {
  t.pair({
    client: { allowHalfOpen: true },
    onConnection: (s) => s.end('bye'),
    onConnect: (c) => {
      c.on('end', () => {
        t.log(c, `writable=${+c.writable} readyState=${c.readyState}`);
        c.end('late');
      });
    },
  });
};
