// end_basic: the client writes "hello" and ends; the server, not half-open, reads to the
// end, ends its side in turn, and both close without error.
module.exports = (t) => {
  t.pair({ onConnect: (client) => client.end('hello') });
};
